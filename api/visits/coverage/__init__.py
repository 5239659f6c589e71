"""Coverage reports, map layers and exports for supervisors."""

from flask_smorest import Api


def register(api: Api) -> None:
    """Register the coverage, map and export blueprints."""
