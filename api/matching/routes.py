"""Data matching (``/api/v1/matching``): sources, list uploads and their progress, rows,
the review queue, warnings and per-town statistics."""

from __future__ import annotations

from flask import g, request
from flask.views import MethodView
from marshmallow import EXCLUDE

from api.audit.services import record_bulk_read
from api.auth.permissions import accepts, body_limit, require_roles
from api.common.arguments import Blueprint
from api.common.county_time import county_zone
from api.common.pagination import PAGINATION, paginate
from api.errors import Invalid
from api.matching import services
from api.matching.schemas import (
    UPLOAD_BODY,
    DataSourceCreateSchema,
    DataSourceSchema,
    DataSourceUpdateSchema,
    DecisionSchema,
    ListQuerySchema,
    ListSchema,
    ReviewItemSchema,
    ReviewQuerySchema,
    RowQuerySchema,
    RowSchema,
    StatsSchema,
    UploadFormSchema,
    WarningQuerySchema,
    WarningSchema,
)
from api.visits.coverage import services as coverage
from api.visits.coverage.schemas import PeriodQuerySchema

SUPERVISING = ("admin", "supervisor")
WARNING_READERS = ("admin", "supervisor", "outreach_worker")

blp = Blueprint(
    "matching",
    __name__,
    url_prefix="/api/v1/matching",
    description="Data matching and early warning (数据比对预警): department lists against "
    "the register",
)


@blp.route("/sources")
class Sources(MethodView):
    @require_roles(*SUPERVISING)
    @blp.response(200, DataSourceSchema(many=True))
    @blp.paginate(**PAGINATION)
    def get(self, pagination_parameters):
        """The sources (department list kinds) of the caller's area"""
        return paginate(services.sources_query(), pagination_parameters)

    @require_roles("admin")
    @blp.arguments(DataSourceCreateSchema)
    @blp.response(201, DataSourceSchema)
    def post(self, data):
        """Define a source: department, kind, column mapping, encoding, warning rules"""
        return services.create_source(data)


@blp.route("/sources/<int:source_id>")
class SourceById(MethodView):
    @require_roles(*SUPERVISING)
    @blp.response(200, DataSourceSchema)
    def get(self, source_id):
        """One source"""
        return services.get_source(source_id)

    @require_roles("admin")
    @blp.arguments(DataSourceUpdateSchema)
    @blp.response(200, DataSourceSchema)
    def patch(self, data, source_id):
        """Change a source's mapping, encoding or rules (lists already imported keep theirs)"""
        return services.update_source(services.get_source(source_id), data)


@blp.route("/lists")
class Lists(MethodView):
    @require_roles(*SUPERVISING)
    @blp.arguments(ListQuerySchema, location="query")
    @blp.response(200, ListSchema(many=True))
    @blp.paginate(**PAGINATION)
    def get(self, filters, pagination_parameters):
        """Uploaded lists, newest first"""
        return paginate(services.lists_query(filters), pagination_parameters)

    @require_roles(*SUPERVISING)
    @accepts("multipart/form-data")
    @body_limit("MATCHING_MAX_UPLOAD_BYTES")
    @blp.doc(requestBody=UPLOAD_BODY)
    @blp.response(202, ListSchema)
    def post(self):
        """Upload a department's list (CSV in UTF-8/GBK/GB18030, or XLSX): checked, stored,
        and imported by a job; follow its progress on GET /lists/{id}"""
        form = Blueprint.ARGUMENTS_PARSER.parse(
            UploadFormSchema(), location="form", unknown=EXCLUDE
        )
        upload = request.files.get("file")
        if upload is None:
            raise Invalid({"file": ["Send the list as the multipart field file."]})
        source = services.get_source(form["source_id"])
        return services.upload_list(
            g.actor, source, upload.stream, upload.filename or "", form.get("area_id")
        )


@blp.route("/lists/<int:list_id>")
class ListById(MethodView):
    @require_roles(*SUPERVISING)
    @blp.response(200, ListSchema)
    def get(self, list_id):
        """A list and its import's progress (rows done, rows per second, outcomes)"""
        return services.get_list(list_id)


@blp.route("/lists/<int:list_id>/rows")
class ListRows(MethodView):
    @require_roles(*SUPERVISING)
    @blp.arguments(RowQuerySchema, location="query")
    @blp.response(200, RowSchema(many=True))
    @blp.paginate(**PAGINATION)
    def get(self, filters, pagination_parameters, list_id):
        """A list's rows: as read, why bad, what they matched (ID numbers masked)"""
        upload = services.get_list(list_id)
        rows = paginate(services.rows_query(upload, filters), pagination_parameters)
        record_bulk_read("list_rows", "matching_list_rows", upload.area_id, filters, len(rows))
        return rows


@blp.route("/review")
class ReviewQueue(MethodView):
    @require_roles(*SUPERVISING)
    @blp.arguments(ReviewQuerySchema, location="query")
    @blp.response(200, ReviewItemSchema(many=True))
    @blp.paginate(**PAGINATION)
    def get(self, filters, pagination_parameters):
        """Rows waiting for review, each beside the register person proposed"""
        rows = paginate(services.review_query(filters), pagination_parameters)
        return [{"row": row, "candidate": services.candidate(row)} for row in rows]


@blp.route("/review/<int:row_id>")
class ReviewDecisionById(MethodView):
    @require_roles(*SUPERVISING)
    @blp.arguments(DecisionSchema)
    @blp.response(200, RowSchema)
    def post(self, data, row_id):
        """Accept (link the row to the person and run the source's rules on it) or reject
        (never propose this pair again)"""
        row = services.get_row(row_id)
        return services.decide(g.actor, row, data["decision"], data.get("note"))


@blp.route("/warnings")
class Warnings(MethodView):
    @require_roles(*WARNING_READERS)
    @blp.arguments(WarningQuerySchema, location="query")
    @blp.response(200, WarningSchema(many=True))
    @blp.paginate(**PAGINATION)
    def get(self, filters, pagination_parameters):
        """Warnings of the caller's area, newest first: level, reason, whom, due day, task"""
        return paginate(services.warnings_query(filters), pagination_parameters)


@blp.route("/warnings/<int:warning_id>")
class WarningById(MethodView):
    @require_roles(*WARNING_READERS)
    @blp.response(200, WarningSchema)
    def get(self, warning_id):
        """One warning"""
        return services.get_warning(warning_id)


@blp.route("/stats")
class WarningStats(MethodView):
    @require_roles(*SUPERVISING)
    @blp.arguments(PeriodQuerySchema, location="query")
    @blp.response(200, StatsSchema)
    def get(self, args):
        """Per town: warnings raised in the period, handled by their due day (预警处置率),
        handled late, open, overdue"""
        area = coverage.visible_area(args.get("area_id"), g.actor.area_id)
        period = coverage.default_period(county_zone(), args.get("from_date"), args.get("to_date"))
        return services.warning_stats(area, period.first, period.last)
