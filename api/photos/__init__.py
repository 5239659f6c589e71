"""Photos for every domain: upload rules, the cleaning job, serving the cleaned copies."""

from flask_smorest import Api


def register(api: Api) -> None:
    from api.photos.routes import blp

    api.register_blueprint(blp)
