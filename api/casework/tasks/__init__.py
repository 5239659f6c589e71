"""Follow-up tasks and the rules that create them from what was recorded."""

from flask_smorest import Api


def register(api: Api) -> None:
    """Register the task blueprints."""
