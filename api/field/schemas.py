from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from api.casework.tasks.schemas import TaskSchema
from api.common.fields import AwareDateTime
from api.field.sync import CURSOR_MAX_CHARS
from api.visits.schemas import HouseholdSchema

SYNC_PAGE_DEFAULT = 500
SYNC_PAGE_MAX = 1000


class SyncQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    cursor = fields.String(
        # base64url: a cursor fits in a URL as it is.
        validate=[
            validate.Length(max=CURSOR_MAX_CHARS),
            validate.Regexp(r"^[A-Za-z0-9_-]*$", error="Not a sync cursor."),
        ],
        metadata={"description": "the cursor of the last answer; none: a first download"},
    )
    limit = fields.Integer(
        load_default=SYNC_PAGE_DEFAULT,
        validate=validate.Range(min=1, max=SYNC_PAGE_MAX),
        metadata={"description": "at most this many records and tombstones in the page"},
    )


class TombstoneSchema(Schema):
    id = fields.Integer()
    deleted = fields.Boolean(metadata={"description": "always true: drop the record"})


class _SyncPageSchema(Schema):
    tombstones = fields.List(
        fields.Nested(TombstoneSchema),
        metadata={"description": "records that left the caller's view: drop them"},
    )
    cursor = fields.String(
        metadata={"description": "send it back: the next page (has_more), else the next sync"}
    )
    has_more = fields.Boolean()


class FieldHouseholdSchema(HouseholdSchema):
    """A household as a phone keeps it: also when it was last visited (My work lists it)."""

    last_visited_at = AwareDateTime(dump_only=True, allow_none=True)


class HouseholdSyncSchema(_SyncPageSchema):
    records = fields.List(fields.Nested(FieldHouseholdSchema))


class TaskSyncSchema(_SyncPageSchema):
    records = fields.List(fields.Nested(TaskSchema))


class FormSchema(Schema):
    form = fields.String()
    version = fields.String(metadata={"description": "changes when the form does (the ETag)"})
    fields_ = fields.List(fields.Dict(), data_key="fields", attribute="fields")
    rules = fields.List(fields.Dict(), metadata={"description": "rules across fields"})
