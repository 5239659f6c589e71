"""Accounts, roles, sign-in tokens bound to devices, and request authentication."""

from flask_smorest import Api


def register(api: Api) -> None:
    from api.auth.cli import users_cli
    from api.auth.pages import page_blp
    from api.auth.routes import blp, users_blp

    api.register_blueprint(blp)
    api.register_blueprint(users_blp)
    api.register_blueprint(page_blp)
    api._app.cli.add_command(users_cli)
