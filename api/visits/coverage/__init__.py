"""Coverage reports, map layers and exports for supervisors."""

from flask_smorest import Api


def register(api: Api) -> None:
    """Register the coverage, map and export blueprints."""
    from api.visits.coverage.cli import coverage_cli
    from api.visits.coverage.routes import coverage_blp, exports_blp, maps_blp

    api.register_blueprint(coverage_blp)
    api.register_blueprint(maps_blp)
    api.register_blueprint(exports_blp)
    api._app.cli.add_command(coverage_cli)
