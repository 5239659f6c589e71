"""The rescue centre: residents (admission, stay, discharge, long stay) and open days."""

from flask_smorest import Api


def register(api: Api) -> None:
    """Register the centre's blueprints."""
    from api.rescue.centre.routes import open_days, residents

    api.register_blueprint(residents)
    api.register_blueprint(open_days)
