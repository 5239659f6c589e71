from flask import current_app
from marshmallow import Schema, fields, validate

from api.common.fields import AwareDateTime, BirthYear, IdNumber
from api.rescue.centre import services
from api.rescue.centre.models import ADMISSION_ROUTES, DISCHARGE_REASONS, SEXES

_TEXT = validate.Length(max=5000)


class ResidentSchema(Schema):
    id = fields.Integer(dump_only=True)
    client_uuid = fields.UUID(allow_none=True)
    area_id = fields.Integer(
        allow_none=True,
        metadata={"description": "Defaults to the caller's area (the county's centre)."},
    )
    encounter_id = fields.Integer(
        allow_none=True,
        metadata={
            "description": "Admit from this patrol encounter: its facts are copied (fields "
            "sent win) and its outcome becomes escorted_to_centre."
        },
    )
    street_person_id = fields.Integer(dump_only=True, allow_none=True)
    admitted_at = AwareDateTime(metadata={"description": "Default: now."})
    admission_route = fields.String(
        validate=validate.OneOf(ADMISSION_ROUTES),
        metadata={"description": "Default: patrol_escort with an encounter, else walk_in."},
    )
    admission_notes = fields.String(allow_none=True, validate=_TEXT)
    stated_name = fields.String(allow_none=True, validate=validate.Length(max=100))
    stated_home_place = fields.String(allow_none=True, validate=validate.Length(max=255))
    dialect = fields.String(allow_none=True, validate=validate.Length(max=100))
    id_number = IdNumber(allow_none=True)
    sex = fields.String(validate=validate.OneOf(SEXES))
    estimated_birth_year = BirthYear(allow_none=True)
    description = fields.String(allow_none=True, validate=_TEXT)
    physical_marks = fields.String(allow_none=True, validate=_TEXT)
    health = fields.String(allow_none=True, validate=_TEXT)
    belongings = fields.List(
        fields.String(validate=validate.Length(max=200)),
        validate=validate.Length(max=100),
        allow_none=True,
    )
    bed = fields.String(allow_none=True, validate=validate.Length(max=40))
    display_name = fields.String(dump_only=True)
    discharged_at = AwareDateTime(dump_only=True, allow_none=True)
    discharge_reason = fields.String(dump_only=True, allow_none=True)
    discharge_destination = fields.String(dump_only=True, allow_none=True)
    discharge_notes = fields.String(dump_only=True, allow_none=True)
    days_stayed = fields.Method("_days_stayed", dump_only=True)
    long_stay = fields.Method(
        "_long_stay",
        dump_only=True,
        metadata={"description": "In the centre for LONG_STAY_DAYS days or more (today)."},
    )
    created_at = AwareDateTime(dump_only=True)
    updated_at = AwareDateTime(dump_only=True)

    def _days_stayed(self, resident):
        return services.days_stayed(resident)

    def _long_stay(self, resident):
        return (
            resident.discharged_at is None
            and services.days_stayed(resident) >= current_app.config["LONG_STAY_DAYS"]
        )


class ResidentUpdateSchema(ResidentSchema):
    class Meta:
        exclude = ("client_uuid", "area_id", "encounter_id")


class ResidentQuerySchema(Schema):
    present = fields.Boolean(metadata={"description": "true: still in the centre"})
    admission_route = fields.String(validate=validate.OneOf(ADMISSION_ROUTES))
    q = fields.String(validate=validate.Length(max=100), metadata={"description": "name or place"})
    admitted_from = fields.Date(data_key="from")
    admitted_to = fields.Date(data_key="to")


class AdmissibleEncounterQuerySchema(Schema):
    date_from = fields.Date(data_key="from", metadata={"description": "Default: 30 days ago."})
    date_to = fields.Date(data_key="to", metadata={"description": "Default: today."})


class DischargeSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(DISCHARGE_REASONS))
    discharged_at = AwareDateTime(metadata={"description": "Default: now."})
    destination = fields.String(allow_none=True, validate=validate.Length(max=255))
    notes = fields.String(allow_none=True, validate=_TEXT)


class LongStayQuerySchema(Schema):
    as_of = fields.Date(metadata={"description": "Default: today (county zone)."})
    threshold_days = fields.Integer(
        validate=validate.Range(min=1, max=36500),
        metadata={"description": "Default: the LONG_STAY_DAYS setting (90)."},
    )


class LongStayEntrySchema(Schema):
    resident = fields.Nested(ResidentSchema)
    resident_id = fields.Integer()
    admitted_on = fields.Date()
    days_stayed = fields.Integer()
    open_case_id = fields.Integer(allow_none=True)


class LongStayListSchema(Schema):
    as_of = fields.Date()
    threshold_days = fields.Integer()
    count = fields.Integer()
    residents = fields.List(fields.Nested(LongStayEntrySchema))


class _StoredDate(fields.Date):
    """A date kept as an ISO string inside a JSON column."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value if isinstance(value, str) else super()._serialize(value, attr, obj, **kwargs)


class MediaCoverageSchema(Schema):
    outlet = fields.String(required=True, validate=validate.Length(min=1, max=200))
    title = fields.String(allow_none=True, validate=validate.Length(max=300))
    url = fields.URL(allow_none=True, validate=validate.Length(max=1000))
    published_on = _StoredDate(allow_none=True)


class VisitorGroupSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    size = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100000))


class OpenDayEventSchema(Schema):
    id = fields.Integer(dump_only=True)
    client_uuid = fields.UUID(allow_none=True)
    area_id = fields.Integer(allow_none=True)
    held_on = fields.Date(metadata={"description": "Default: 19 June of the current year."})
    title = fields.String(validate=validate.Length(min=1, max=200))
    theme = fields.String(allow_none=True, validate=validate.Length(max=200))
    visitor_count = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=1000000))
    groups = fields.List(
        fields.Nested(VisitorGroupSchema), validate=validate.Length(max=200), allow_none=True
    )
    activities = fields.List(
        fields.String(validate=validate.Length(max=500)),
        validate=validate.Length(max=200),
        allow_none=True,
    )
    media_coverage = fields.List(
        fields.Nested(MediaCoverageSchema), validate=validate.Length(max=200), allow_none=True
    )
    notes = fields.String(allow_none=True, validate=_TEXT)
    created_at = AwareDateTime(dump_only=True)
    updated_at = AwareDateTime(dump_only=True)


class OpenDayEventUpdateSchema(OpenDayEventSchema):
    class Meta:
        exclude = ("client_uuid", "area_id")


class OpenDayEventQuerySchema(Schema):
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))
