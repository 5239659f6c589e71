import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.casework.leads.models import (
    ABOUT,
    CHANNELS,
    CONTACT_KINDS,
    OUTCOMES,
    QUEUES,
    STAFF_CHANNELS,
    STATUSES,
    URGENCIES,
    URGENT_REASONS,
)
from api.casework.leads.rules import RESPONSE_STATUSES
from api.common.fields import AwareDateTime

_PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,18}[0-9]$")
_MAX_ID = 2**31 - 1


def _encodable(value: str) -> None:
    # A lone surrogate ("\ud800") cannot be stored; refuse it here rather than at the
    # database.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError("Not valid text.") from exc


def _text(max_length: int, min_length: int = 0, **kwargs):
    return fields.String(
        validate=[validate.Length(min=min_length, max=max_length), _encodable], **kwargs
    )


def _id(strict: bool = True, **kwargs):
    # Bounded to the database's integer range: a larger id names nothing (422, not a 500).
    return fields.Integer(strict=strict, validate=validate.Range(min=1, max=_MAX_ID), **kwargs)


def _in_service_years(value) -> None:
    # The calendar's ends overflow when moved to UTC; the service's range is 1900–2100.
    if not 1900 <= value.year <= 2100:
        raise ValidationError("Must be between 1900 and 2100.")


def _moment(**kwargs):
    return AwareDateTime(validate=_in_service_years, **kwargs)


def mask_phone(phone: str | None) -> str | None:
    """138****5678: enough to tell two callers apart in a list, not to call them."""
    if not phone:
        return phone
    digits = re.sub(r"\D", "", phone)
    if len(digits) <= 4:
        return "*" * len(digits)
    return digits[:3] + "*" * max(len(digits) - 7, 1) + digits[-4:]


def _phone(value: str) -> None:
    _encodable(value)
    if not _PHONE.match(value):
        raise ValidationError("A phone number: digits, spaces or dashes, 7 to 20 long.")


class _RequestFields(Schema):
    """What a request says, from staff or the public form."""

    requester_name = _text(50, allow_none=True)
    requester_phone = fields.String(allow_none=True, validate=[validate.Length(max=20), _phone])
    about = fields.String(validate=validate.OneOf(ABOUT))
    subject_name = _text(50, allow_none=True)
    about_street_person = fields.Boolean()
    area_id = _id(allow_none=True)
    address = _text(200, allow_none=True)
    description = _text(2000, min_length=1, required=True)
    urgency = fields.String(validate=validate.OneOf(URGENCIES))
    urgent_reasons = fields.List(
        fields.String(validate=validate.OneOf(URGENT_REASONS)), validate=validate.Length(max=5)
    )

    @validates_schema
    def _urgent_reasons_mean_urgent(self, data, **kwargs):
        if data.get("urgent_reasons") and data.get("urgency", "normal") != "urgent":
            raise ValidationError("Urgent reasons are given only with urgency urgent.", "urgency")


class LeadCreateSchema(_RequestFields):
    channel = fields.String(required=True, validate=validate.OneOf(STAFF_CHANNELS))
    household_id = _id(allow_none=True)


class PublicRequestSchema(_RequestFields):
    """The public form: a phone is required (the only way to reach the person back and to
    look the request up)."""

    requester_phone = fields.String(required=True, validate=[validate.Length(max=20), _phone])


class ContactSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(CONTACT_KINDS))
    at = _moment(allow_none=True)
    note = _text(2000, allow_none=True)
    visit_id = _id(allow_none=True)
    by_id = fields.Integer(dump_only=True, allow_none=True)


class LeadListSchema(Schema):
    """A row of a list: the requester's phone masked."""

    id = fields.Integer(dump_only=True)
    origin = fields.String(dump_only=True)
    channel = fields.String(dump_only=True, allow_none=True)
    requester_name = fields.String(dump_only=True, allow_none=True)
    requester_phone = fields.Function(lambda lead: mask_phone(lead.requester_phone))
    about = fields.String(dump_only=True)
    subject_name = fields.String(dump_only=True, allow_none=True)
    about_street_person = fields.Boolean(dump_only=True)
    reported_area_id = fields.Integer(dump_only=True, allow_none=True)
    address = fields.String(dump_only=True, allow_none=True)
    area_id = fields.Integer(dump_only=True)
    queue = fields.String(dump_only=True)
    urgency = fields.String(dump_only=True)
    urgent_reasons = fields.List(fields.String(), dump_only=True)
    status = fields.String(dump_only=True)
    response_status = fields.String(dump_only=True)
    household_id = fields.Integer(dump_only=True, allow_none=True)
    task_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = AwareDateTime(dump_only=True)
    respond_by = AwareDateTime(dump_only=True)
    assigned_at = AwareDateTime(dump_only=True, allow_none=True)
    first_contact_at = AwareDateTime(dump_only=True, allow_none=True)
    first_contact_kind = fields.String(dump_only=True, allow_none=True)
    visited_at = AwareDateTime(dump_only=True, allow_none=True)
    closed_at = AwareDateTime(dump_only=True, allow_none=True)
    outcome = fields.String(dump_only=True, allow_none=True)
    outcome_detail = fields.String(dump_only=True, allow_none=True)


class LeadSchema(LeadListSchema):
    """One request: all its fields, the phone in full (the worker calls it back)."""

    requester_phone = fields.String(dump_only=True, allow_none=True)
    description = fields.String(dump_only=True)
    outcome_note = fields.String(dump_only=True, allow_none=True)
    created_by_id = fields.Integer(dump_only=True, allow_none=True)
    closed_by_id = fields.Integer(dump_only=True, allow_none=True)
    contacts = fields.List(fields.Nested(ContactSchema), dump_only=True)


class LeadCreatedSchema(LeadSchema):
    tracking_code = fields.String(
        dump_only=True,
        metadata={"description": "Shown once: the requester looks the request up with it"},
    )


class LeadQuerySchema(Schema):
    area_id = _id(strict=False)
    status = fields.List(fields.String(validate=validate.OneOf(STATUSES)))
    channel = fields.List(fields.String(validate=validate.OneOf(CHANNELS)))
    urgency = fields.List(fields.String(validate=validate.OneOf(URGENCIES)))
    queue = fields.List(fields.String(validate=validate.OneOf(QUEUES)))
    outcome = fields.List(fields.String(validate=validate.OneOf(OUTCOMES)))
    response_status = fields.List(fields.String(validate=validate.OneOf(RESPONSE_STATUSES)))
    household_id = _id(strict=False)
    created_from = _moment()
    created_to = _moment()


class LeadUpdateSchema(Schema):
    household_id = _id(allow_none=True, metadata={"description": "Link (null: unlink)"})
    area_id = _id(metadata={"description": "Re-route to this place (supervisors)"})

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("Give household_id or area_id.")


class CloseSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    outcome_detail = _text(500, allow_none=True)
    outcome_note = _text(2000, allow_none=True)


class PublicCreatedSchema(Schema):
    tracking_code = fields.String()
    status = fields.String()
    received_on = fields.Date()


class LookupSchema(Schema):
    tracking_code = fields.String(
        required=True, validate=[validate.Length(min=1, max=40), _encodable]
    )
    phone_last4 = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{4}$"))


class PublicStatusSchema(Schema):
    """All the public lookup tells: a status and county dates, nothing about anyone."""

    status = fields.String()
    received_on = fields.Date()
    assigned_on = fields.Date(allow_none=True)
    visited_on = fields.Date(allow_none=True)
    closed_on = fields.Date(allow_none=True)


class PublicAreaSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    level = fields.String()
    parent_id = fields.Integer(allow_none=True)


class _TimesSchema(Schema):
    count = fields.Integer()
    median_hours = fields.Float(allow_none=True)
    p90_hours = fields.Float(allow_none=True)


class _SummarySchema(Schema):
    total = fields.Integer()
    open = fields.Integer()
    by_response_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    breached_share = fields.Float(allow_none=True)
    first_contact = fields.Nested(_TimesSchema)
    closure = fields.Nested(_TimesSchema)


class TownStatsSchema(_SummarySchema):
    area_id = fields.Integer()
    name = fields.String()
    queue = fields.String()


class HelpStatsSchema(_SummarySchema):
    area = fields.Dict()
    from_date = fields.Date(data_key="from", attribute="from")
    to_date = fields.Date(data_key="to", attribute="to")
    by_channel = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_urgency = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_outcome = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_town = fields.List(fields.Nested(TownStatsSchema))
