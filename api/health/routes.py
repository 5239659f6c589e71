from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy import text

from api.auth.permissions import public
from api.common.arguments import Blueprint
from api.db import session
from api.errors import problem

blp = Blueprint("health", __name__, description="Health probes")


class HealthSchema(Schema):
    status = fields.String()
    checks = fields.Dict(keys=fields.String(), values=fields.String())


@blp.route("/healthz")
@public
class Liveness(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    def get(self):
        """The process is up"""
        return {"status": "ok"}


@blp.route("/readyz")
@public
class Readiness(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, description="A dependency is down; the problem names it")
    def get(self):
        """The database and the job queue are reachable"""
        checks = {"database": _check_database(), "queue": _check_queue()}
        down = [name for name, state in checks.items() if state != "ok"]
        if down:
            return problem(
                503,
                "Service unavailable",
                f"Not reachable: {', '.join(down)}.",
                "dependency-down",
                checks=checks,
            )
        return {"status": "ok", "checks": checks}


def _check_database() -> str:
    try:
        session.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # any failure means not ready; the name says which part
        session.rollback()
        return f"down ({type(exc).__name__})"


def _check_queue() -> str:
    from api.jobs.queue import ping

    return ping(current_app)
