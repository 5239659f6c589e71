from flask.views import MethodView
from marshmallow import Schema, fields

from api.audit.services import audit_query
from api.auth.permissions import require_roles
from api.common.arguments import Blueprint
from api.common.pagination import PAGINATION, paginate

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Audit log")


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    actor_id = fields.Integer(allow_none=True)
    action = fields.String(metadata={"description": "create, update, delete or reveal"})
    table_name = fields.String()
    record_id = fields.String()
    area_id = fields.Integer(allow_none=True)
    changes = fields.Dict(metadata={"description": "field -> {old, new}; ID numbers masked"})
    request_id = fields.String(allow_none=True)


class AuditQuerySchema(Schema):
    table_name = fields.String()
    record_id = fields.String()
    actor_id = fields.Integer()


@blp.route("")
class AuditEntries(MethodView):
    @require_roles("admin", "supervisor")
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.paginate(**PAGINATION)
    def get(self, filters, pagination_parameters):
        """Audit entries in the caller's area, newest first"""
        return paginate(
            audit_query(**{k: filters.get(k) for k in ("table_name", "record_id", "actor_id")}),
            pagination_parameters,
        )
