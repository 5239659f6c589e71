"""The supervisors' page (static/dashboard), its configuration endpoint, and the labels
every page reads."""

from flask_smorest import Api


def register(api: Api) -> None:
    """Register the page (``/``, ``/dashboard``), ``/api/v1/dashboard/config`` and
    ``/api/v1/labels``."""
    from api.dashboard.routes import blp, labels_blp, page_blp

    api.register_blueprint(page_blp)
    api.register_blueprint(blp)
    api.register_blueprint(labels_blp)
