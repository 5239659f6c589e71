from __future__ import annotations

from flask import current_app, g
from flask.views import MethodView

from api.auth.permissions import require_roles
from api.casework.tasks import services
from api.casework.tasks.jobs import rq_failed_jobs
from api.casework.tasks.schemas import (
    ReassignSchema,
    RqFailedJobSchema,
    TaskHistorySchema,
    TaskQuerySchema,
    TaskSchema,
    TaskUpdateSchema,
)
from api.common import county_time
from api.common.arguments import Blueprint
from api.common.pagination import PAGINATION, paginate

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="Follow-up tasks")
worker_jobs_blp = Blueprint(
    "worker_jobs",
    __name__,
    url_prefix="/api/v1/jobs",
    description="Background jobs: RQ's failed registry",
)


@blp.route("")
class Tasks(MethodView):
    @blp.arguments(TaskQuerySchema, location="query")
    @blp.response(200, TaskSchema(many=True))
    @blp.paginate(**PAGINATION)
    def get(self, filters, pagination_parameters):
        """List tasks: by default the caller's own open tasks, soonest due first"""
        stmt = services.tasks_query(g.actor, filters, county_time.local_today())
        return paginate(stmt, pagination_parameters)

    @blp.arguments(TaskSchema)
    @blp.response(201, TaskSchema)
    def post(self, data):
        """Create a task by hand"""
        return services.create_task(g.actor, data)


@blp.route("/reassign")
class TasksReassign(MethodView):
    @require_roles(*services.SUPERVISING_ROLES)
    @blp.arguments(ReassignSchema)
    @blp.response(200, TaskSchema(many=True))
    def post(self, data):
        """Reassign many tasks at once (supervisors), all or none"""
        return services.reassign_tasks(g.actor, data["task_ids"], data["assignee_id"])


@blp.route("/<int:task_id>")
class TaskById(MethodView):
    @blp.response(200, TaskSchema)
    def get(self, task_id):
        """One task"""
        return services.get_task(task_id)

    @blp.arguments(TaskUpdateSchema)
    @blp.response(200, TaskSchema)
    def patch(self, changes, task_id):
        """Update a task: its assignee the status and outcome; a supervisor also reassigns"""
        return services.update_task(g.actor, services.get_task(task_id), changes)


@blp.route("/<int:task_id>/history")
class TaskHistory(MethodView):
    @blp.response(200, TaskHistorySchema(many=True))
    def get(self, task_id):
        """A task's changes, oldest first"""
        return services.task_history(services.get_task(task_id))


@worker_jobs_blp.route("/rq-failed")
class RqFailedJobs(MethodView):
    @require_roles("admin")
    @worker_jobs_blp.response(200, RqFailedJobSchema(many=True))
    @worker_jobs_blp.paginate(**PAGINATION)
    def get(self, pagination_parameters):
        """Jobs in RQ's failed registry (retries exhausted), newest first, with the error"""
        size = pagination_parameters.page_size
        start = (pagination_parameters.page - 1) * size
        total, rows = rq_failed_jobs(current_app, start, size)
        pagination_parameters.item_count = total
        g.total_count = total
        return rows
