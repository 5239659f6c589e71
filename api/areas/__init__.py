"""The administrative tree (county > town > village/community) and jurisdiction scoping."""

from flask_smorest import Api


def register(api: Api) -> None:
    from api.areas.cli import areas_cli
    from api.areas.routes import blp

    api.register_blueprint(blp)
    api._app.cli.add_command(areas_cli)
