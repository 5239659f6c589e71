from flask.views import MethodView
from marshmallow import Schema, fields

from api.auth.permissions import require_roles
from api.common.arguments import Blueprint
from api.common.pagination import PAGINATION, paginate
from api.jobs.services import failed_jobs_query

blp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs", description="Background jobs")


class OutboxJobSchema(Schema):
    id = fields.Integer()
    func = fields.String()
    args = fields.List(fields.Raw())
    created_at = fields.AwareDateTime()
    enqueued_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)


@blp.route("/failed")
class FailedJobs(MethodView):
    @require_roles("admin")
    @blp.response(200, OutboxJobSchema(many=True))
    @blp.paginate(**PAGINATION)
    def get(self, pagination_parameters):
        """Jobs that failed at least once and have not finished, with their last error"""
        return paginate(failed_jobs_query(), pagination_parameters)
