"""Campaigns, patrols, GPS tracks, encounters, street people and campaign statistics."""

from flask_smorest import Api


def register(api: Api) -> None:
    """Register the patrol blueprints."""
