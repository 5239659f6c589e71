"""Audit log: who created, changed or deleted what, and who saw personal data in full."""

from flask_smorest import Api


def register(api: Api) -> None:
    from api.audit import services  # noqa: F401  (installs the flush listener)
    from api.audit.cli import audit_cli
    from api.audit.routes import blp

    api.register_blueprint(blp)
    api._app.cli.add_command(audit_cli)
