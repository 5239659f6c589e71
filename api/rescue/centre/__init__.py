"""The rescue centre: residents (admission, stay, discharge, long stay) and open days."""

from flask_smorest import Api


def register(api: Api) -> None:
    """Register the centre's blueprints."""
