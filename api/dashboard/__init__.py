"""The supervisors' page (static/dashboard) and its configuration endpoint."""

from flask_smorest import Api


def register(api: Api) -> None:
    """Register the page (``/``, ``/dashboard``) and ``/api/v1/dashboard/config``."""
    from api.dashboard.routes import blp, page_blp

    api.register_blueprint(page_blp)
    api.register_blueprint(blp)
