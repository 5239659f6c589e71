"""``flask demo seed``: Wengyuan county (翁源县, 440229) with demo accounts and records."""

from flask_smorest import Api


def register(api: Api) -> None:
    from api.demo.cli import demo_cli

    api._app.cli.add_command(demo_cli)
