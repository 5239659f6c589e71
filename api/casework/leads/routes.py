"""Help requests: the staff API (``/api/v1/help-requests``), the public form's API
(``/api/v1/help``, the only writes without sign-in) and the form itself (``/help/``)."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask.views import MethodView

from api.areas.scope import SYSTEM, set_actor
from api.auth.permissions import body_limit, client_address, public, require_roles
from api.casework.leads import services, stats
from api.casework.leads.schemas import (
    CloseSchema,
    ContactSchema,
    HelpStatsSchema,
    LeadCreatedSchema,
    LeadCreateSchema,
    LeadListSchema,
    LeadQuerySchema,
    LeadSchema,
    LeadUpdateSchema,
    LookupSchema,
    PublicAreaSchema,
    PublicCreatedSchema,
    PublicRequestSchema,
    PublicStatusSchema,
)
from api.common import county_time
from api.common.arguments import Blueprint
from api.common.county_time import county_zone
from api.common.pages import PAGE_DOC, STATIC_DIR, page_response
from api.common.pagination import PAGINATION, paginate
from api.common.replica import reads_from_replica
from api.db import utcnow
from api.visits.coverage import services as coverage
from api.visits.coverage.routes import EXPORT_DOC, send_export
from api.visits.coverage.schemas import ExportQuerySchema, PeriodQuerySchema

FORM_DIR = STATIC_DIR / "help"
ALL_ROLES = ("admin", "supervisor", "outreach_worker", "rescue_staff")
SUPERVISING_ROLES = ("admin", "supervisor")

blp = Blueprint(
    "help_requests",
    __name__,
    url_prefix="/api/v1/help-requests",
    description="Help requests (畅通求助渠道): staff intake, handling, statistics",
)
public_blp = Blueprint(
    "help_public",
    __name__,
    url_prefix="/api/v1/help",
    description="The public help form's API (no sign-in; rate-limited)",
)
page_blp = Blueprint("help_page", __name__, description="The public help form")


# -- staff ---------------------------------------------------------------------------------


@blp.route("")
class HelpRequests(MethodView):
    @blp.arguments(LeadQuerySchema, location="query")
    @blp.response(200, LeadListSchema(many=True))
    @blp.paginate(**PAGINATION)
    def get(self, filters, pagination_parameters):
        """List help requests the caller may see, newest first (phones masked)"""
        return paginate(services.leads_query(filters, utcnow()), pagination_parameters)

    @require_roles(*ALL_ROLES)
    @blp.arguments(LeadCreateSchema)
    @blp.response(201, LeadCreatedSchema)
    def post(self, data):
        """Record a help request taken by phone, at an office or by a cadre or grid worker"""
        lead, code = services.staff_intake(g.actor, data, current_app.config)
        lead.tracking_code = code
        return lead


def _scope(args: dict[str, Any]) -> tuple[Any, Any]:
    area = coverage.visible_area(args.get("area_id"), g.actor.area_id)
    period = coverage.default_period(county_zone(), args.get("from_date"), args.get("to_date"))
    return area, period


@blp.route("/stats")
class HelpRequestStats(MethodView):
    @require_roles(*SUPERVISING_ROLES)
    @blp.arguments(PeriodQuerySchema, location="query")
    @blp.response(200, HelpStatsSchema)
    @reads_from_replica
    def get(self, args):
        """Requests received in the period: by channel, town, urgency, status and outcome;
        time to first contact and to closure (median, 90th percentile); breached share"""
        area, period = _scope(args)
        return stats.help_stats(area, period, utcnow())


@blp.route("/stats/export")
class HelpRequestStatsExport(MethodView):
    @require_roles(*SUPERVISING_ROLES)
    @blp.arguments(ExportQuerySchema, location="query")
    @blp.doc(**EXPORT_DOC)
    @reads_from_replica
    def get(self, args):
        """The statistics per town and the total, as CSV or XLSX"""
        area, period = _scope(args)
        export = stats.stats_export(area, period, utcnow())
        return send_export(export, "leads", area.id, args)


@blp.route("/<int:help_request_id>")
class HelpRequestById(MethodView):
    @blp.response(200, LeadSchema)
    def get(self, help_request_id):
        """One help request, with its contacts"""
        return services.get_lead(help_request_id)

    @blp.arguments(LeadUpdateSchema)
    @blp.response(200, LeadSchema)
    def patch(self, data, help_request_id):
        """Link the request to a register household (null unlinks); a supervisor also
        re-routes it to another place"""
        lead = services.get_lead(help_request_id)
        if "area_id" in data:
            services.reroute(g.actor, lead, data["area_id"])
        if "household_id" in data:
            services.link_household(lead, data["household_id"])
        return lead


@blp.route("/<int:help_request_id>/contacts")
class HelpRequestContacts(MethodView):
    @blp.arguments(ContactSchema)
    @blp.response(201, ContactSchema)
    def post(self, data, help_request_id):
        """Record a call or a visit (the first is the request's first contact)"""
        return services.record_contact(g.actor, services.get_lead(help_request_id), data)


@blp.route("/<int:help_request_id>/close")
class HelpRequestClose(MethodView):
    @blp.arguments(CloseSchema)
    @blp.response(200, LeadSchema)
    def post(self, data, help_request_id):
        """Close the request with its outcome (its follow-up task closes too)"""
        return services.close_lead(g.actor, services.get_lead(help_request_id), data)


# -- public --------------------------------------------------------------------------------


@public_blp.route("/areas")
@public
class PublicAreas(MethodView):
    @public_blp.doc(security=[])
    @public_blp.response(200, PublicAreaSchema(many=True))
    def get(self):
        """The county, towns and villages the form offers"""
        set_actor(None, SYSTEM)
        return services.public_areas()


@public_blp.route("/requests")
@public
class PublicRequests(MethodView):
    @public_blp.doc(security=[])
    @body_limit("HELP_PUBLIC_MAX_BYTES")
    @public_blp.arguments(PublicRequestSchema)
    @public_blp.response(201, PublicCreatedSchema)
    def post(self, data):
        """Ask for help without an account; answers only a tracking code"""
        set_actor(None, SYSTEM)
        lead, code = services.submit_public(data, client_address(), current_app.config)
        return {
            "tracking_code": code,
            "status": lead.status,
            "received_on": county_time.local_date(lead.created_at),
        }


@public_blp.route("/status")
@public
class PublicStatus(MethodView):
    @public_blp.doc(security=[])
    @body_limit("HELP_PUBLIC_MAX_BYTES")
    @public_blp.arguments(LookupSchema)
    @public_blp.response(200, PublicStatusSchema)
    def post(self, data):
        """A request's status and dates, for its tracking code and the phone's last four
        digits (any miss: the same 404)"""
        set_actor(None, SYSTEM)
        # A failed lookup is kept: it counts towards the limits.
        g.commit_on_error = True
        return services.lookup_status(
            data["tracking_code"], data["phone_last4"], client_address(), current_app.config
        )


@page_blp.route("/help/")
@public
class HelpForm(MethodView):
    @page_blp.doc(**PAGE_DOC)
    def get(self):
        """The public help form (Chinese, for phones and WeChat)"""
        return page_response(FORM_DIR)
