"""Active discovery (政策找人): households, home visits, photos, screening, and the
supervisors' coverage, maps and exports (``coverage``)."""

from flask_smorest import Api


def register(api: Api) -> None:
    from api.visits import coverage
    from api.visits.cli import households_cli
    from api.visits.routes import households_blp, standards_blp, visits_blp

    api.register_blueprint(households_blp)
    api.register_blueprint(visits_blp)
    api.register_blueprint(standards_blp)
    coverage.register(api)
    api._app.cli.add_command(households_cli)
