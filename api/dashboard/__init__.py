"""The supervisors' page (static/) and its configuration endpoint."""

from flask_smorest import Api


def register(api: Api) -> None:
    """Register the page's routes (filled in by the supervisors issue)."""
