from datetime import date

from flask import current_app, request
from flask.views import MethodView

from api.auth.permissions import require_roles
from api.casework.tracing import reports, services
from api.casework.tracing.schemas import (
    AsOfQuerySchema,
    LongStayCountSchema,
    OpenCasesReportSchema,
    OutcomeSchema,
    OutcomesQuerySchema,
    OutcomesReportSchema,
    StaleQuerySchema,
    StatusStepSchema,
    TracingActionQuerySchema,
    TracingActionSchema,
    TracingCaseQuerySchema,
    TracingCaseSchema,
    TracingCaseUpdateSchema,
    TracingLeadSchema,
    TracingLeadUpdateSchema,
)
from api.common.arguments import Blueprint
from api.common.county_time import local_today
from api.common.pagination import PAGINATION, paginate
from api.common.patching import partial_update
from api.common.replica import reads_from_replica
from api.errors import Invalid
from api.rescue.centre.models import RESIDENT_ROLES

ROLES = tuple(sorted(RESIDENT_ROLES))

blp = Blueprint(
    "tracing_cases",
    __name__,
    url_prefix="/api/v1/tracing-cases",
    description="Family tracing (大爱寻亲，温暖回家): rescue staff, supervisors and admins only",
)


@blp.route("")
class TracingCases(MethodView):
    @require_roles(*ROLES)
    @blp.arguments(TracingCaseQuerySchema, location="query")
    @blp.response(200, TracingCaseSchema(many=True))
    @blp.paginate(**PAGINATION)
    def get(self, filters, pagination_parameters):
        """Tracing cases, newest first"""
        return paginate(services.cases_query(**filters), pagination_parameters)

    @require_roles(*ROLES)
    @blp.arguments(TracingCaseSchema)
    @blp.response(201, TracingCaseSchema)
    def post(self, data):
        """Open a tracing case for a resident in the centre"""
        return services.open_case(data["resident_id"], data.get("summary"))


@blp.route("/<int:case_id>")
class TracingCaseById(MethodView):
    @require_roles(*ROLES)
    @blp.response(200, TracingCaseSchema)
    def get(self, case_id):
        """One case with its status history and allowed next steps"""
        return services.get_case(case_id)

    @require_roles(*ROLES)
    @blp.arguments(TracingCaseUpdateSchema)
    @blp.response(200, TracingCaseSchema)
    def patch(self, changes, case_id):
        """Edit a case's summary"""
        return services.update_case(services.get_case(case_id), changes)


@blp.route("/<int:case_id>/status")
class TracingCaseStatus(MethodView):
    @require_roles(*ROLES)
    @blp.arguments(StatusStepSchema)
    @blp.response(200, TracingCaseSchema)
    def post(self, data, case_id):
        """Move a case one allowed step (409 names the allowed ones)"""
        return services.change_status(
            services.get_case(case_id), data["status"], data.get("reason")
        )


@blp.route("/<int:case_id>/outcome")
class TracingCaseOutcome(MethodView):
    @require_roles(*ROLES)
    @blp.arguments(OutcomeSchema)
    @blp.response(200, TracingCaseSchema)
    def post(self, data, case_id):
        """Record a reunion or local settlement; discharges the resident in the same step"""
        return services.record_outcome(services.get_case(case_id), data)


@blp.route("/<int:case_id>/actions")
class TracingActions(MethodView):
    @require_roles(*ROLES)
    @blp.arguments(TracingActionQuerySchema, location="query")
    @blp.response(200, TracingActionSchema(many=True))
    @blp.paginate(**PAGINATION)
    def get(self, filters, pagination_parameters, case_id):
        """The case's action log, newest first"""
        case = services.get_case(case_id)
        return paginate(services.actions_query(case, **filters), pagination_parameters)

    @require_roles(*ROLES)
    @blp.arguments(TracingActionSchema)
    @blp.response(201, TracingActionSchema)
    @blp.alt_response(200, schema=TracingActionSchema, description="A replayed resend")
    def post(self, data, case_id):
        """Log an action (DNA sample, police check, media appeal, field trip…)"""
        action, created = services.add_action(
            services.get_case(case_id), data, request.get_json(silent=True)
        )
        return action, 201 if created else 200


@blp.route("/<int:case_id>/leads")
class TracingLeads(MethodView):
    @require_roles(*ROLES)
    @blp.response(200, TracingLeadSchema(many=True))
    @blp.paginate(**PAGINATION)
    def get(self, pagination_parameters, case_id):
        """The case's leads"""
        return paginate(services.leads_query(services.get_case(case_id)), pagination_parameters)

    @require_roles(*ROLES)
    @blp.arguments(TracingLeadSchema)
    @blp.response(201, TracingLeadSchema)
    def post(self, data, case_id):
        """Add a lead: a possible place or family"""
        return services.add_lead(services.get_case(case_id), data)


@blp.route("/<int:case_id>/leads/<int:lead_id>")
class TracingLeadById(MethodView):
    @require_roles(*ROLES)
    @blp.arguments(partial_update(TracingLeadUpdateSchema))
    @blp.response(200, TracingLeadSchema)
    def patch(self, changes, case_id, lead_id):
        """Update a lead (its status, contact details, notes)"""
        case = services.get_case(case_id)
        return services.update_lead(services.get_lead(case, lead_id), changes)


@blp.route("/stale")
class StaleCases(MethodView):
    @require_roles(*ROLES)
    @blp.arguments(StaleQuerySchema, location="query")
    @blp.response(200, TracingCaseSchema(many=True))
    def get(self, query):
        """Open cases with no action logged for TRACING_STALE_DAYS days (or ?days=)"""
        return services.stale_cases(
            query.get("as_of") or local_today(),
            query.get("days") or current_app.config["TRACING_STALE_DAYS"],
        )


@blp.route("/reports/open")
class OpenCasesReport(MethodView):
    @require_roles(*ROLES)
    @blp.arguments(AsOfQuerySchema, location="query")
    @blp.response(200, OpenCasesReportSchema)
    @reads_from_replica
    def get(self, query):
        """Cases open on a date, by status and by days open"""
        return reports.open_cases_report(query.get("as_of") or local_today())


@blp.route("/reports/outcomes")
class OutcomesReport(MethodView):
    @require_roles(*ROLES)
    @blp.arguments(OutcomesQuerySchema, location="query")
    @blp.response(200, OutcomesReportSchema)
    @reads_from_replica
    def get(self, query):
        """Reunited and settled locally, per month and per campaign year"""
        today = local_today()
        date_from = query.get("date_from") or date(today.year, 1, 1)
        date_to = query.get("date_to") or today
        if date_to < date_from:
            raise Invalid({"to": ["Must not be before from."]})
        if (date_to - date_from).days > 366 * 20:
            raise Invalid({"from": ["At most twenty years at a time."]})
        try:
            year_start = reports.parse_year_start(query.get("campaign_year_start") or "01-01")
        except ValueError as exc:
            raise Invalid({"campaign_year_start": ["Not a day of the year."]}) from exc
        return reports.outcomes_report(date_from, date_to, year_start)


@blp.route("/reports/long-stay")
class LongStayCount(MethodView):
    @require_roles(*ROLES)
    @blp.arguments(AsOfQuerySchema, location="query")
    @blp.response(200, LongStayCountSchema)
    def get(self, query):
        """How many long-stay residents the centre had on a date"""
        as_of = query.get("as_of") or local_today()
        threshold = current_app.config["LONG_STAY_DAYS"]
        return {
            "as_of": as_of,
            "threshold_days": threshold,
            "count": reports.long_stay_count(as_of, threshold),
        }
