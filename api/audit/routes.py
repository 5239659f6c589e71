from typing import Any

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.audit.services import ACTIONS, audit_query
from api.auth.permissions import require_roles
from api.common.arguments import Blueprint
from api.common.pagination import PAGINATION, paginate

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Audit log")


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    actor_id = fields.Integer(allow_none=True)
    action = fields.String(metadata={"description": ", ".join(ACTIONS)})
    table_name = fields.String()
    record_id = fields.String(metadata={"description": "the record; empty for many"})
    record_ids = fields.List(
        fields.String(),
        allow_none=True,
        metadata={
            "description": "the records of an entry about several created together (a "
            "sync batch's visits); null otherwise"
        },
    )
    area_id = fields.Integer(allow_none=True)
    changes = fields.Dict(
        metadata={
            "description": "field -> {old, new}; with record_ids: record id -> {field -> "
            "{new}}; reveal: {revealed}; export and map: {endpoint, filters, rows, "
            "complete}; ID numbers masked"
        }
    )
    request_id = fields.String(allow_none=True)


class AuditQuerySchema(Schema):
    table_name = fields.String(metadata={"description": "record kind (households, photos…)"})
    record_id = fields.String(
        metadata={"description": "entries about this record, alone or among several"}
    )
    actor_id = fields.Integer()
    action = fields.List(
        fields.String(validate=validate.OneOf(ACTIONS)),
        metadata={"description": "one or more (repeat the parameter): " + ", ".join(ACTIONS)},
    )
    area_id = fields.Integer(metadata={"description": "entries of this area's subtree"})
    from_date = fields.Date(data_key="from", metadata={"description": "first local day"})
    to_date = fields.Date(data_key="to", metadata={"description": "last local day, inclusive"})

    @validates_schema
    def _period(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("from_date") and data.get("to_date") and data["from_date"] > data["to_date"]:
            raise ValidationError("Must not be after `to`.", "from")


@blp.route("")
class AuditEntries(MethodView):
    @require_roles("admin", "supervisor")
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.paginate(**PAGINATION)
    def get(self, filters, pagination_parameters):
        """Audit entries in the caller's area, newest first"""
        return paginate(audit_query(**filters), pagination_parameters)
