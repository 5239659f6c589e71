"""Follow-up tasks and the rules that create them from what was recorded."""

from flask_smorest import Api


def register(api: Api) -> None:
    """Register the task blueprints."""
    from api.casework.tasks.routes import blp, worker_jobs_blp

    api.register_blueprint(blp)
    api.register_blueprint(worker_jobs_blp)
