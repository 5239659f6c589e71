from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from api.common.fields import AwareDateTime, IdNumber
from api.common.idnumber import mask_text
from api.matching.models import (
    BAD_REASONS,
    DECISIONS,
    ENCODINGS,
    LEVELS,
    MAPPED_FIELDS,
    ROW_STATUSES,
    SOURCE_KINDS,
)

_MAX_ID = 2**31 - 1


def _id(strict: bool = False, **kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=strict, validate=validate.Range(min=1, max=_MAX_ID), **kwargs)


def _mapping(value: dict[str, Any]) -> None:
    unknown = sorted(set(value) - set(MAPPED_FIELDS))
    if unknown:
        raise ValidationError(
            f"Unknown fields {', '.join(unknown)}; map {', '.join(MAPPED_FIELDS)}."
        )
    if not all(isinstance(v, str) and 0 < len(v) <= 100 for v in value.values()):
        raise ValidationError("Each field maps to a column header (1 to 100 characters).")


class _DataSourceFields(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    department = fields.String(validate=validate.Length(min=1, max=100))
    encoding = fields.String(validate=validate.OneOf(ENCODINGS))
    columns = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        validate=_mapping,
        metadata={"description": f"field -> column header; fields: {', '.join(MAPPED_FIELDS)}"},
    )
    attributes = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)), validate=validate.Length(max=50)
    )
    rules = fields.List(
        fields.Dict(),
        validate=validate.Length(max=50),
        metadata={"description": "warning rules (docs/data-matching.md)"},
    )
    unmatched_leads = fields.Boolean()


class DataSourceCreateSchema(_DataSourceFields):
    code = fields.String(
        required=True, validate=[validate.Length(min=1, max=40), validate.Regexp(r"^[a-z0-9_]+$")]
    )
    kind = fields.String(required=True, validate=validate.OneOf(SOURCE_KINDS))
    area_id = _id(strict=True, required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    department = fields.String(required=True, validate=validate.Length(min=1, max=100))
    columns = fields.Dict(
        keys=fields.String(), values=fields.String(), required=True, validate=_mapping
    )


class DataSourceUpdateSchema(_DataSourceFields):
    pass


class DataSourceSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    department = fields.String()
    kind = fields.String()
    area_id = fields.Integer()
    encoding = fields.String()
    columns = fields.Dict()
    attributes = fields.List(fields.String())
    rules = fields.List(fields.Dict())
    unmatched_leads = fields.Boolean()
    created_at = AwareDateTime()


class UploadFormSchema(Schema):
    # A form's fields are text.
    source_id = _id(strict=False, required=True)
    area_id = _id(strict=False, allow_none=True)


UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file", "source_id"],
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "source_id": {"type": "integer"},
                    "area_id": {"type": "integer"},
                },
            }
        }
    },
}


class ListSchema(Schema):
    id = fields.Integer()
    source_id = fields.Integer()
    area_id = fields.Integer()
    filename = fields.String()
    file_format = fields.String()
    encoding = fields.String(allow_none=True)
    size_bytes = fields.Integer()
    status = fields.String()
    error = fields.String(allow_none=True)
    rows_done = fields.Integer()
    rows_per_second = fields.Float(allow_none=True)
    rows_bad = fields.Integer()
    rows_matched = fields.Integer()
    rows_review = fields.Integer()
    rows_unmatched = fields.Integer()
    warnings_raised = fields.Integer()
    leads_made = fields.Integer()
    uploaded_by_id = fields.Integer(allow_none=True)
    created_at = AwareDateTime()
    started_at = AwareDateTime(allow_none=True)
    finished_at = AwareDateTime(allow_none=True)
    purged_at = AwareDateTime(allow_none=True)


class ListQuerySchema(Schema):
    source_id = _id()
    area_id = _id()


class RowQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(ROW_STATUSES))
    bad_reason = fields.String(validate=validate.OneOf(BAD_REASONS))


class RowSchema(Schema):
    """A list row: what came (ID numbers masked, also inside the raw fields) and what it
    matched."""

    id = fields.Integer()
    list_id = fields.Integer()
    area_id = fields.Integer()
    row_no = fields.Integer()
    raw = fields.Function(
        lambda row: {k: mask_text(v) for k, v in row.raw.items()} if row.raw else None
    )
    name = fields.String(allow_none=True)
    id_number = IdNumber(allow_none=True)
    birth_date = fields.Date(allow_none=True)
    sex = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    place_area_id = fields.Integer(allow_none=True)
    amount = fields.Decimal(as_string=True, allow_none=True)
    event_date = fields.Date(allow_none=True)
    attributes = fields.Dict(allow_none=True)
    unchanged = fields.Boolean()
    bad_reason = fields.String(allow_none=True)
    status = fields.String()
    method = fields.String(allow_none=True)
    member_id = fields.Integer(allow_none=True)
    household_id = fields.Integer(allow_none=True)
    score = fields.Float(allow_none=True)
    reasons = fields.List(fields.String())
    lead_id = fields.Integer(allow_none=True)


class CandidateSchema(Schema):
    member_id = fields.Integer()
    household_id = fields.Integer()
    area_id = fields.Integer()
    name = fields.String()
    id_number = IdNumber(allow_none=True)
    sex = fields.String(allow_none=True)
    birth_year = fields.Integer(allow_none=True)
    relation = fields.String(allow_none=True)
    address = fields.String(allow_none=True)


class ReviewItemSchema(Schema):
    """A row waiting for review, side by side with the register person proposed."""

    row = fields.Nested(RowSchema)
    candidate = fields.Nested(CandidateSchema, allow_none=True)


class ReviewQuerySchema(Schema):
    list_id = _id()
    area_id = _id()


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))


class WarningQuerySchema(Schema):
    level = fields.String(validate=validate.OneOf(LEVELS))
    list_id = _id()
    source_id = _id()
    household_id = _id()
    area_id = _id()


class WarningSchema(Schema):
    """A warning, with what the visit needs (the person's name, the household, the
    reason, the due day) and none of the list's other fields."""

    id = fields.Integer()
    list_id = fields.Integer()
    source_id = fields.Integer()
    area_id = fields.Integer()
    rule_code = fields.String()
    level = fields.String()
    action = fields.String()
    reason = fields.String()
    subject_name = fields.String(allow_none=True)
    household_id = fields.Integer(allow_none=True)
    lead_id = fields.Integer(allow_none=True)
    task_id = fields.Integer(allow_none=True)
    due_on = fields.Date()
    created_at = AwareDateTime()


class AreaStatsSchema(Schema):
    area_id = fields.Integer()
    area_name = fields.String()
    raised = fields.Integer()
    red = fields.Integer()
    handled_in_time = fields.Integer()
    handled_late = fields.Integer()
    open = fields.Integer()
    overdue = fields.Integer()
    handled_in_time_rate = fields.Float(allow_none=True)


class StatsSchema(Schema):
    area_id = fields.Integer()
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    areas = fields.List(fields.Nested(AreaStatsSchema))
    own = fields.Nested(AreaStatsSchema)
    total = fields.Nested(AreaStatsSchema)
