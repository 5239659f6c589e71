from flask.views import MethodView
from marshmallow import Schema, fields

from api.auth.permissions import require_roles
from api.common.arguments import Blueprint
from api.common.pagination import PAGINATION, paginate
from api.jobs.services import failed_jobs_query, shown_error

blp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs", description="Background jobs")


class OutboxJobSchema(Schema):
    id = fields.Integer()
    func = fields.String()
    args = fields.List(fields.Raw())
    created_at = fields.AwareDateTime()
    enqueued_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)
    area_id = fields.Integer(
        allow_none=True, metadata={"description": "the area of the record; null: system-wide"}
    )
    attempts = fields.Integer()
    last_error = fields.Function(
        lambda job: shown_error(job.last_error),
        allow_none=True,
        metadata={
            "type": "string",
            "description": "first line, ID numbers masked, at most 300 characters",
        },
    )


@blp.route("/failed")
class FailedJobs(MethodView):
    @require_roles("admin")
    @blp.response(200, OutboxJobSchema(many=True))
    @blp.paginate(**PAGINATION)
    def get(self, pagination_parameters):
        """Failed jobs of the caller's area (system-wide ones: county admins), last error"""
        return paginate(failed_jobs_query(), pagination_parameters)
