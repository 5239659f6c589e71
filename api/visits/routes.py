"""Households, home visits, reviews, programme standards.

Outreach workers, supervisors and admins work with households and visits in their own
area subtree; rescue-centre staff have no business here (403). Only supervisors and admins
review visits, see full ID numbers (``?reveal=id_numbers``, audited) and read programme
standards; only admins add them.
"""

from __future__ import annotations

from typing import Any

from flask import after_this_request, current_app, g
from flask.views import MethodView
from marshmallow import Schema, fields

from api.auth.permissions import accepts, require_roles
from api.common.arguments import Blueprint, checked_load
from api.common.fields import reveal_id_numbers
from api.common.pagination import PAGINATION, paginate
from api.common.patching import partial_update
from api.errors import Forbidden
from api.photos import services as photo_services
from api.photos.schemas import PhotoSchema
from api.photos.uploads import UPLOAD_BODY, attach_uploaded_photo
from api.visits import search, services
from api.visits.schemas import (
    BatchInSchema,
    BatchOutSchema,
    DuplicateFlagSchema,
    HouseholdQuerySchema,
    HouseholdSchema,
    HouseholdUpdateSchema,
    RevealSchema,
    ReviewInSchema,
    StandardQuerySchema,
    StandardSchema,
    VisitInSchema,
    VisitQuerySchema,
    VisitSchema,
    households_json,
    read_plain_visit,
)

FIELD_ROLES = ("outreach_worker", "supervisor", "admin")
REVIEW_ROLES = ("supervisor", "admin")

households_blp = Blueprint(
    "households", __name__, url_prefix="/api/v1/households", description="Household register"
)
visits_blp = Blueprint(
    "visits", __name__, url_prefix="/api/v1/visits", description="Home visits (offline-safe)"
)
standards_blp = Blueprint(
    "programme_standards",
    __name__,
    url_prefix="/api/v1/programme-standards",
    description="Programme standards (dibao etc.) per area, with validity dates",
)


def _reveal_if_asked(args: dict[str, Any], households: list[Any]) -> None:
    if args.get("reveal") != "id_numbers":
        return
    if g.actor.role not in REVIEW_ROLES:
        raise Forbidden("Only supervisors and admins may see full ID numbers.")
    reveal_id_numbers.set(True)

    @after_this_request
    def _mask_again(response: Any) -> Any:
        reveal_id_numbers.set(False)
        return response

    services.reveal_household_ids(households)


@households_blp.route("")
class Households(MethodView):
    @require_roles(*FIELD_ROLES)
    @households_blp.arguments(HouseholdQuerySchema, location="query")
    @households_blp.response(200, HouseholdSchema(many=True))
    @households_blp.paginate(**PAGINATION)
    def get(self, args, pagination_parameters):
        """Search the register (area, focus group, programme, name/ID, not visited, near)"""
        households = services.show_households(search.households_page(args, pagination_parameters))
        _reveal_if_asked(args, households)
        # The schema above documents the answer; the list is written by hand, the same
        # JSON at a fraction of the cost (schemas.households_json).
        return current_app.json.response(households_json(households))

    @require_roles(*FIELD_ROLES)
    @households_blp.arguments(HouseholdSchema)
    @households_blp.response(201, HouseholdSchema)
    @households_blp.alt_response(200, schema=HouseholdSchema, description="a replay")
    def post(self, data):
        """Register a household (likely duplicates are flagged, not merged)"""
        household, created = services.create_household(data)
        return services.show_households([household])[0], 201 if created else 200


@households_blp.route("/duplicates")
class HouseholdDuplicates(MethodView):
    @require_roles(*FIELD_ROLES)
    @households_blp.arguments(Schema.from_dict({"area_id": fields.Integer()})(), location="query")
    @households_blp.response(200, DuplicateFlagSchema(many=True))
    @households_blp.paginate(**PAGINATION)
    def get(self, args, pagination_parameters):
        """Likely duplicate households, newest first"""
        return services.mark_visible(
            paginate(services.duplicate_flags_query(**args), pagination_parameters)
        )


@households_blp.route("/<int:household_id>")
class HouseholdById(MethodView):
    @require_roles(*FIELD_ROLES)
    @households_blp.arguments(RevealSchema, location="query")
    @households_blp.response(200, HouseholdSchema)
    def get(self, args, household_id):
        """One household"""
        household = services.show_households([services.get_household(household_id)])[0]
        _reveal_if_asked(args, [household])
        return household

    @require_roles(*FIELD_ROLES)
    @households_blp.arguments(partial_update(HouseholdUpdateSchema))
    @households_blp.response(200, HouseholdSchema)
    def patch(self, data, household_id):
        """Change a household"""
        return services.show_households([services.update_household(household_id, data)])[0]


@households_blp.route("/<int:household_id>/visits")
class HouseholdVisits(MethodView):
    @require_roles(*FIELD_ROLES)
    @households_blp.response(200, VisitSchema(many=True))
    @households_blp.paginate(**PAGINATION)
    def get(self, household_id, pagination_parameters):
        """The household's visit history, newest first"""
        return paginate(services.household_visits_query(household_id), pagination_parameters)


@visits_blp.route("")
class Visits(MethodView):
    @require_roles(*FIELD_ROLES)
    @visits_blp.arguments(VisitQuerySchema, location="query")
    @visits_blp.response(200, VisitSchema(many=True))
    @visits_blp.paginate(**PAGINATION)
    def get(self, args, pagination_parameters):
        """Visits, newest first"""
        return paginate(services.visits_query(**args), pagination_parameters)

    @require_roles(*FIELD_ROLES)
    @visits_blp.arguments(VisitInSchema)
    @visits_blp.response(201, VisitSchema)
    @visits_blp.alt_response(200, schema=VisitSchema, description="a replay: the stored visit")
    def post(self, data):
        """Record a visit (idempotent by client_uuid)"""
        visit, created = services.record_visit(data)
        return visit, 201 if created else 200


@visits_blp.route("/batch")
class VisitBatch(MethodView):
    @require_roles(*FIELD_ROLES)
    @visits_blp.arguments(BatchInSchema)
    @visits_blp.response(200, BatchOutSchema)
    def post(self, data):
        """Offline sync: up to 200 visits, one result per item, in order"""
        return {"results": services.record_batch(data["visits"], _load_visit)}


_VISIT_IN = VisitInSchema()


def _load_visit(raw: Any) -> dict[str, Any]:
    """One item of a sync batch: read by hand when plainly valid (and then within every
    range already), else by the schema with the parser's range checks."""
    plain = read_plain_visit(raw)
    return plain if plain is not None else checked_load(_VISIT_IN, raw)


@visits_blp.route("/<int:visit_id>")
class VisitById(MethodView):
    @require_roles(*FIELD_ROLES)
    @visits_blp.response(200, VisitSchema)
    def get(self, visit_id):
        """One visit"""
        return services.get_visit(visit_id)


@visits_blp.route("/<int:visit_id>/review")
class VisitReview(MethodView):
    @require_roles(*REVIEW_ROLES)
    @visits_blp.arguments(ReviewInSchema)
    @visits_blp.response(200, VisitSchema)
    def patch(self, data, visit_id):
        """Review a visit: approved, has_issues or rejected (supervisor, admin)"""
        return services.review_visit(visit_id, data["state"], data.get("comment"))


@visits_blp.route("/<int:visit_id>/photos")
class VisitPhotos(MethodView):
    @require_roles(*FIELD_ROLES)
    @visits_blp.response(200, PhotoSchema(many=True))
    def get(self, visit_id):
        """The visit's photos (metadata; the images are under /photos)"""
        services.get_visit(visit_id)
        return photo_services.photos_of("visit", visit_id)

    @require_roles(*FIELD_ROLES)
    @accepts("multipart/form-data")
    @visits_blp.doc(requestBody=UPLOAD_BODY)
    @visits_blp.response(201, PhotoSchema)
    @visits_blp.alt_response(200, schema=PhotoSchema, description="a replay")
    def post(self, visit_id):
        """Attach a photo (multipart file + client_uuid; idempotent)"""
        visit = services.get_visit(visit_id)
        return attach_uploaded_photo(
            "visit", visit.id, visit.area_id, visit.location, visit.visited_at
        )


@standards_blp.route("")
class Standards(MethodView):
    @require_roles(*REVIEW_ROLES)
    @standards_blp.arguments(StandardQuerySchema, location="query")
    @standards_blp.response(200, StandardSchema(many=True))
    @standards_blp.paginate(**PAGINATION)
    def get(self, args, pagination_parameters):
        """Programme standards (supervisor, admin)"""
        return paginate(services.standards_query(**args), pagination_parameters)

    @require_roles("admin")
    @standards_blp.arguments(StandardSchema)
    @standards_blp.response(201, StandardSchema)
    def post(self, data):
        """Add a standard with its validity dates (admin)"""
        return services.add_standard(data)


@standards_blp.route("/<int:standard_id>")
class StandardById(MethodView):
    @require_roles("admin")
    @standards_blp.arguments(Schema.from_dict({"valid_to": fields.Date(required=True)})())
    @standards_blp.response(200, StandardSchema)
    def patch(self, data, standard_id):
        """Close a standard: set its last valid day (admin)"""
        return services.close_standard(standard_id, data["valid_to"])
