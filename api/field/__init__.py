"""The field app (phones, offline): its pages and service worker, delta sync and form
definitions."""

from flask_smorest import Api


def register(api: Api) -> None:
    from api.field.routes import forms_blp, page_blp, sync_blp

    api.register_blueprint(sync_blp)
    api.register_blueprint(forms_blp)
    api.register_blueprint(page_blp)
