"""Liveness and readiness probes."""

from flask_smorest import Api


def register(api: Api) -> None:
    from api.health.routes import blp

    api.register_blueprint(blp)
