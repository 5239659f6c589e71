from marshmallow import Schema, fields, validate

from api.casework.tracing.models import ACTION_KINDS, LEAD_STATUSES, REUNION_KINDS
from api.casework.tracing.rules import OUTCOME_STATUSES, STATUSES, allowed_steps
from api.common.fields import AwareDateTime

_TEXT = validate.Length(max=5000)


class StatusChangeSchema(Schema):
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    changed_at = AwareDateTime()
    changed_by_id = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)


class TracingCaseSchema(Schema):
    id = fields.Integer(dump_only=True)
    resident_id = fields.Integer(required=True)
    area_id = fields.Integer(dump_only=True)
    resident_name = fields.String(attribute="resident.display_name", dump_only=True)
    status = fields.String(dump_only=True)
    allowed_steps = fields.Method("_allowed", dump_only=True)
    summary = fields.String(allow_none=True, validate=_TEXT)
    opened_at = AwareDateTime(dump_only=True)
    opened_by_id = fields.Integer(dump_only=True, allow_none=True)
    opened_reason = fields.String(dump_only=True)
    status_changed_at = AwareDateTime(dump_only=True)
    last_activity_on = fields.Date(dump_only=True)
    closed_at = AwareDateTime(dump_only=True, allow_none=True)
    reunion_kind = fields.String(dump_only=True, allow_none=True)
    collected_by = fields.String(dump_only=True, allow_none=True)
    collector_relationship = fields.String(dump_only=True, allow_none=True)
    destination = fields.String(dump_only=True, allow_none=True)
    settled_place = fields.String(dump_only=True, allow_none=True)
    settlement_programme = fields.String(dump_only=True, allow_none=True)
    outcome_notes = fields.String(dump_only=True, allow_none=True)
    history = fields.List(fields.Nested(StatusChangeSchema), dump_only=True)

    def _allowed(self, case):
        return list(allowed_steps(case.status))


class TracingCaseUpdateSchema(Schema):
    summary = fields.String(allow_none=True, validate=_TEXT)


class TracingCaseQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    resident_id = fields.Integer()
    is_open = fields.Boolean(data_key="open")


class StatusStepSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    reason = fields.String(allow_none=True, validate=_TEXT)


class OutcomeSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOME_STATUSES))
    at = AwareDateTime(metadata={"description": "When the person left; default now."})
    reunion_kind = fields.String(
        validate=validate.OneOf(REUNION_KINDS),
        metadata={"description": "reunited: family_collected (default) or returned_home"},
    )
    collected_by = fields.String(validate=validate.Length(max=200))
    collector_relationship = fields.String(validate=validate.Length(max=100))
    destination = fields.String(validate=validate.Length(max=255))
    settled_place = fields.String(validate=validate.Length(max=255))
    settlement_programme = fields.String(
        validate=validate.Length(max=200), metadata={"description": "e.g. 特困人员救助供养"}
    )
    notes = fields.String(allow_none=True, validate=_TEXT)
    reason = fields.String(allow_none=True, validate=_TEXT)


class TracingActionSchema(Schema):
    id = fields.Integer(dump_only=True)
    case_id = fields.Integer(dump_only=True)
    client_uuid = fields.UUID(allow_none=True)
    kind = fields.String(required=True, validate=validate.OneOf(ACTION_KINDS))
    performed_on = fields.Date(metadata={"description": "Default: today."})
    performed_by_id = fields.Integer(dump_only=True, allow_none=True)
    details = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    result = fields.String(allow_none=True, validate=_TEXT)
    published_in = fields.String(
        allow_none=True,
        validate=validate.Length(max=255),
        metadata={"description": "Required for media_appeal: where it was published."},
    )
    created_at = AwareDateTime(dump_only=True)


class TracingActionQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(ACTION_KINDS))


class TracingLeadSchema(Schema):
    id = fields.Integer(dump_only=True)
    case_id = fields.Integer(dump_only=True)
    description = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    place = fields.String(allow_none=True, validate=validate.Length(max=255))
    contact_name = fields.String(allow_none=True, validate=validate.Length(max=100))
    contact_phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    relation_to_resident = fields.String(allow_none=True, validate=validate.Length(max=100))
    source = fields.String(allow_none=True, validate=validate.Length(max=200))
    status = fields.String(validate=validate.OneOf(LEAD_STATUSES))
    notes = fields.String(allow_none=True, validate=_TEXT)
    created_at = AwareDateTime(dump_only=True)
    updated_at = AwareDateTime(dump_only=True)


class TracingLeadUpdateSchema(TracingLeadSchema):
    pass


class StaleQuerySchema(Schema):
    as_of = fields.Date()
    days = fields.Integer(validate=validate.Range(min=1, max=36500))


class AsOfQuerySchema(Schema):
    as_of = fields.Date(metadata={"description": "Default: today (county zone)."})


class OutcomesQuerySchema(Schema):
    date_from = fields.Date(data_key="from", metadata={"description": "Default: 1 Jan this year"})
    date_to = fields.Date(data_key="to", metadata={"description": "Default: today"})
    campaign_year_start = fields.String(
        validate=validate.Regexp(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"),
        metadata={"description": "MM-DD on which a campaign year starts; default 01-01"},
    )


class OpenCasesReportSchema(Schema):
    as_of = fields.Date()
    total = fields.Integer()
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_days_open = fields.List(fields.Dict())


class OutcomesReportSchema(Schema):
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    totals = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_month = fields.List(fields.Dict())
    by_campaign_year = fields.List(fields.Dict())


class LongStayCountSchema(Schema):
    as_of = fields.Date()
    threshold_days = fields.Integer()
    count = fields.Integer()
