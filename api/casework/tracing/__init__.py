"""Family-tracing cases (大爱寻亲，温暖回家): status steps, actions, leads, outcomes, reports."""

from flask_smorest import Api


def register(api: Api) -> None:
    """Register the tracing blueprints."""
    from api.casework.tracing.routes import blp

    api.register_blueprint(blp)
