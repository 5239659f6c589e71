from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from api.casework.tasks.models import TASK_KINDS, TASK_STATUSES
from api.common.fields import AwareDateTime
from api.common.spatial import BBoxField
from api.visits.models import REVIEW_STATES

MAX_PERIOD_DAYS = 3 * 366
DEFAULT_LIMIT = 2000
MAX_LIMIT = 10000
HOUSEHOLD_STATUSES = ("visited", "overdue", "never_visited", "up_to_date")


class PeriodQuerySchema(Schema):
    area_id = fields.Integer(
        metadata={"description": "Area reported on (default: the caller's own area)"}
    )
    from_date = fields.Date(
        data_key="from", metadata={"description": "First local day (Asia/Shanghai), inclusive"}
    )
    to_date = fields.Date(
        data_key="to", metadata={"description": "Last local day, inclusive (default: today)"}
    )

    @validates_schema
    def _period(self, data: dict[str, Any], **_kwargs: Any) -> None:
        first, last = data.get("from_date"), data.get("to_date")
        if first and last:
            if first > last:
                raise ValidationError("Must not be after `to`.", "from")
            if (last - first).days >= MAX_PERIOD_DAYS:
                raise ValidationError(f"A period is at most {MAX_PERIOD_DAYS} days.", "from")


class MapQuerySchema(PeriodQuerySchema):
    bbox = BBoxField()
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Most features returned (at most {MAX_LIMIT})"},
    )


class VisitMapQuerySchema(MapQuerySchema):
    flagged = fields.Boolean(metadata={"description": "Only flagged (or unflagged) visits"})
    review_state = fields.String(validate=validate.OneOf(REVIEW_STATES))


class HouseholdMapQuerySchema(MapQuerySchema):
    status = fields.String(validate=validate.OneOf(HOUSEHOLD_STATUSES))


class HouseholdListQuerySchema(PeriodQuerySchema):
    status = fields.String(
        validate=validate.OneOf(HOUSEHOLD_STATUSES),
        metadata={"description": "visited, overdue, never_visited or up_to_date"},
    )


class HouseholdRowSchema(Schema):
    id = fields.Integer(metadata={"description": "the household's id"})
    household_id = fields.Integer()
    head_name = fields.String()
    address = fields.String()
    area_id = fields.Integer()
    town_name = fields.String(allow_none=True)
    village_name = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "as the coverage columns count it"})
    last_visit_at = AwareDateTime(allow_none=True)
    focus_groups = fields.List(fields.String())
    last_worker_id = fields.Integer(allow_none=True)
    last_worker_name = fields.String(
        allow_none=True, metadata={"description": "who visited last: the worker to ask"}
    )


class ExportQuerySchema(PeriodQuerySchema):
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))


class MembersExportQuerySchema(Schema):
    class Meta:
        # The dashboard sends its period with every export; the register has none.
        unknown = EXCLUDE

    area_id = fields.Integer(
        metadata={"description": "Area exported (default: the caller's own area)"}
    )
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))


class TaskExportQuerySchema(ExportQuerySchema):
    as_listed = fields.Boolean(
        load_default=False,
        metadata={
            "description": "true: the tasks GET /tasks?area_id= lists with the filters below "
            "(open ones by default, whatever their due date); false: the tasks due in the period"
        },
    )
    assignee_id = fields.Integer()
    kind = fields.List(fields.String(validate=validate.OneOf(TASK_KINDS)))
    status = fields.List(fields.String(validate=validate.OneOf(TASK_STATUSES)))
    overdue = fields.Boolean()
    unassigned = fields.Boolean()


class HouseholdExportQuerySchema(ExportQuerySchema):
    status = fields.String(validate=validate.OneOf(HOUSEHOLD_STATUSES))


class AreaRefSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    level = fields.String()
    parent_id = fields.Integer(allow_none=True)


class CoverageRowSchema(Schema):
    area_id = fields.Integer()
    code = fields.String()
    name = fields.String()
    level = fields.String()
    focus_households = fields.Integer(metadata={"description": "Households in focus groups"})
    visited = fields.Integer(metadata={"description": "Focus households visited in the period"})
    visited_in_person = fields.Integer()
    coverage_rate = fields.Float(allow_none=True, metadata={"description": "visited / focus"})
    in_person_rate = fields.Float(allow_none=True)
    overdue = fields.Integer(
        metadata={"description": "Not visited in the period, last visit older than the cadence"}
    )
    never_visited = fields.Integer()
    up_to_date = fields.Integer(
        metadata={
            "description": "Not yet due: not visited in the period, last visit within the "
            "cadence. visited + overdue + never_visited + up_to_date = focus_households"
        }
    )
    visits = fields.Integer(metadata={"description": "Visits made here in the period"})
    visits_in_person = fields.Integer()
    flagged_visits = fields.Integer(metadata={"description": "Flagged by the presence checks"})
    flagged_pending_review = fields.Integer()
    open_tasks = fields.Integer()
    overdue_tasks = fields.Integer()


class CoverageSchema(Schema):
    area = fields.Nested(AreaRefSchema)
    from_date = fields.Date(data_key="from", attribute="from")
    to_date = fields.Date(data_key="to", attribute="to")
    timezone = fields.String()
    as_of = AwareDateTime()
    areas = fields.List(fields.Nested(CoverageRowSchema))
    own = fields.Nested(
        CoverageRowSchema,
        metadata={
            "description": "What lies in the area itself, in none of its child areas "
            "(a task placed at the county): total = the sum of areas + own"
        },
    )
    total = fields.Nested(CoverageRowSchema)


class WorkerRowSchema(Schema):
    worker_id = fields.Integer()
    username = fields.String(allow_none=True)
    display_name = fields.String(allow_none=True)
    home_area_id = fields.Integer(allow_none=True)
    home_area_name = fields.String(allow_none=True)
    visits = fields.Integer()
    households_reached = fields.Integer()
    in_person_share = fields.Float(allow_none=True)
    flagged_share = fields.Float(allow_none=True)
    median_upload_delay_seconds = fields.Integer(allow_none=True)
    tasks_done = fields.Integer(metadata={"description": "Tasks closed as done in the period"})
    tasks_overdue = fields.Integer(metadata={"description": "Open tasks past their due day"})


class WorkersSchema(Schema):
    area = fields.Nested(AreaRefSchema)
    from_date = fields.Date(data_key="from", attribute="from")
    to_date = fields.Date(data_key="to", attribute="to")
    timezone = fields.String()
    workers = fields.List(fields.Nested(WorkerRowSchema))


class FeatureSchema(Schema):
    type = fields.String()
    id = fields.Raw()
    geometry = fields.Dict(allow_none=True)
    properties = fields.Dict()


class FeatureCollectionSchema(Schema):
    type = fields.String()
    layer = fields.String()
    truncated = fields.Boolean(metadata={"description": "More features matched than `limit`"})
    features = fields.List(fields.Nested(FeatureSchema))
