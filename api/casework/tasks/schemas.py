from marshmallow import Schema, fields, validate

from api.casework.tasks.models import PRIORITIES, SUBJECT_KINDS, TASK_KINDS, TASK_STATUSES


class SourceSchema(Schema):
    rule = fields.String(metadata={"description": "the rule that made the task, or `manual`"})
    kind = fields.String(allow_none=True, metadata={"description": "visit, photo, encounter…"})
    id = fields.Integer(allow_none=True)


class SubjectSchema(Schema):
    kind = fields.String(allow_none=True)
    id = fields.Integer(allow_none=True)


class TaskSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(validate=validate.OneOf(TASK_KINDS), load_default="other")
    status = fields.String(dump_only=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    reason = fields.String(allow_none=True, validate=validate.Length(max=4000))
    due_on = fields.Date(required=True)
    priority = fields.String(validate=validate.OneOf(PRIORITIES), load_default="normal")
    area_id = fields.Integer(
        metadata={"description": "default: the area of the subject (or household)"}
    )
    assignee_id = fields.Integer(allow_none=True)
    household_id = fields.Integer(allow_none=True)
    realm = fields.String(
        dump_only=True,
        metadata={"description": "who reads it: households, rescue or supervision"},
    )
    subject_kind = fields.String(
        load_only=True, allow_none=True, validate=validate.OneOf(SUBJECT_KINDS)
    )
    subject_id = fields.Integer(load_only=True, allow_none=True)
    subject = fields.Nested(SubjectSchema, dump_only=True)
    source = fields.Nested(SourceSchema, dump_only=True)
    parent_id = fields.Integer(dump_only=True, allow_none=True)
    outcome_note = fields.String(dump_only=True, allow_none=True)
    details = fields.Dict(dump_only=True)
    created_by_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)
    closed_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class TaskUpdateSchema(Schema):
    status = fields.String(validate=validate.OneOf(TASK_STATUSES))
    outcome_note = fields.String(allow_none=True, validate=validate.Length(max=4000))
    assignee_id = fields.Integer(allow_none=True)
    due_on = fields.Date()
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    title = fields.String(validate=validate.Length(min=1, max=200))


class ReassignSchema(Schema):
    task_ids = fields.List(
        fields.Integer(), required=True, validate=validate.Length(min=1, max=500)
    )
    assignee_id = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: back to the area's queue"}
    )


class TaskQuerySchema(Schema):
    area_id = fields.Integer(metadata={"description": "this area's subtree (supervisors)"})
    assignee_id = fields.Integer(metadata={"description": "default: the caller"})
    kind = fields.List(fields.String(validate=validate.OneOf(TASK_KINDS)))
    status = fields.List(
        fields.String(validate=validate.OneOf(TASK_STATUSES)),
        metadata={"description": "default: open and in_progress"},
    )
    overdue = fields.Boolean()
    unassigned = fields.Boolean(
        metadata={"description": "only tasks nobody holds (supervisors; with area_id)"}
    )
    household_id = fields.Integer()


class TaskHistorySchema(Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    actor_id = fields.Integer(allow_none=True)
    action = fields.String()
    changes = fields.Dict()
    note = fields.String(allow_none=True)


class RqFailedJobSchema(Schema):
    id = fields.String()
    func_name = fields.String(allow_none=True)
    args = fields.List(fields.Raw())
    origin = fields.String(allow_none=True)
    enqueued_at = fields.AwareDateTime(allow_none=True)
    ended_at = fields.AwareDateTime(allow_none=True)
    error = fields.String(allow_none=True, metadata={"description": "the exception, last line"})
    traceback = fields.String(allow_none=True)
