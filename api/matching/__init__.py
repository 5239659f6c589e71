"""Data matching and early warning (数据比对预警): other departments' lists against the register."""

from flask_smorest import Api


def register(api: Api) -> None:
    from api.matching.cli import lists_cli
    from api.matching.pages import page_blp
    from api.matching.routes import blp

    api.register_blueprint(blp)
    api.register_blueprint(page_blp)
    api._app.cli.add_command(lists_cli)
