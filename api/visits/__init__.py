"""Active discovery (政策找人): households, home visits, photos, screening, coverage."""

from flask_smorest import Api


def register(api: Api) -> None:
    """Register this domain's blueprints (filled in by the visits issue)."""
