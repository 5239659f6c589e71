from datetime import timedelta

from flask import current_app, request
from flask.views import MethodView

from api.auth.permissions import accepts, require_roles
from api.casework.tracing import services as tracing
from api.common import county_time
from api.common.arguments import Blueprint
from api.common.pagination import PAGINATION, paginate
from api.common.patching import partial_update
from api.errors import Invalid
from api.photos import services as photo_services
from api.photos.schemas import PhotoSchema
from api.photos.uploads import UPLOAD_BODY, attach_uploaded_photo
from api.rescue.centre import services
from api.rescue.centre.models import RESIDENT_ROLES
from api.rescue.centre.schemas import (
    AdmissibleEncounterQuerySchema,
    DischargeSchema,
    LongStayListSchema,
    LongStayQuerySchema,
    OpenDayEventQuerySchema,
    OpenDayEventSchema,
    OpenDayEventUpdateSchema,
    ResidentQuerySchema,
    ResidentSchema,
    ResidentUpdateSchema,
)
from api.rescue.patrols.schemas import EncounterSchema

ROLES = tuple(sorted(RESIDENT_ROLES))

residents = Blueprint(
    "residents",
    __name__,
    url_prefix="/api/v1/residents",
    description="Rescue-centre residents (rescue staff, supervisors and admins only)",
)
open_days = Blueprint(
    "open_day_events",
    __name__,
    url_prefix="/api/v1/open-day-events",
    description="Open-day logs of the rescue centre (the 6·19 open day)",
)


@residents.route("")
class Residents(MethodView):
    @require_roles(*ROLES)
    @residents.arguments(ResidentQuerySchema, location="query")
    @residents.response(200, ResidentSchema(many=True))
    @residents.paginate(**PAGINATION)
    def get(self, filters, pagination_parameters):
        """Residents, newest admission first"""
        return paginate(services.residents_query(**filters), pagination_parameters)

    @require_roles(*ROLES)
    @residents.arguments(ResidentSchema)
    @residents.response(201, ResidentSchema)
    @residents.alt_response(200, schema=ResidentSchema, description="A replayed resend")
    def post(self, data):
        """Admit a resident (optionally from a patrol encounter)"""
        resident, created = services.admit_resident(data, request.get_json(silent=True))
        return resident, 201 if created else 200


@residents.route("/<int:resident_id>")
class ResidentById(MethodView):
    @require_roles(*ROLES)
    @residents.response(200, ResidentSchema)
    def get(self, resident_id):
        """One resident"""
        return services.get_resident(resident_id)

    @require_roles(*ROLES)
    @residents.arguments(partial_update(ResidentUpdateSchema))
    @residents.response(200, ResidentSchema)
    def patch(self, changes, resident_id):
        """Correct or complete a resident's record (bed, what they said, health…)"""
        return services.update_resident(services.get_resident(resident_id), changes)


@residents.route("/<int:resident_id>/discharge")
class ResidentDischarge(MethodView):
    @require_roles(*ROLES)
    @residents.arguments(DischargeSchema)
    @residents.response(200, ResidentSchema)
    def post(self, data, resident_id):
        """Discharge a resident (closes an open tracing case as closed_other)"""
        return tracing.discharge(
            services.get_resident(resident_id),
            data["reason"],
            data.get("discharged_at"),
            data.get("destination"),
            data.get("notes"),
        )


@residents.route("/long-stay")
class LongStayResidents(MethodView):
    @require_roles(*ROLES)
    @residents.arguments(LongStayQuerySchema, location="query")
    @residents.response(200, LongStayListSchema)
    def get(self, query):
        """Long-stay residents (长期滞留人员) on a date, with days stayed"""
        as_of = query.get("as_of") or county_time.local_today()
        threshold = query.get("threshold_days") or current_app.config["LONG_STAY_DAYS"]
        rows = tracing.long_stay_residents(as_of, threshold)
        return {"as_of": as_of, "threshold_days": threshold, "count": len(rows), "residents": rows}


@residents.route("/admissible-encounters")
class AdmissibleEncounters(MethodView):
    @require_roles(*ROLES)
    @residents.arguments(AdmissibleEncounterQuerySchema, location="query")
    @residents.response(200, EncounterSchema(many=True))
    @residents.paginate(**PAGINATION)
    def get(self, query, pagination_parameters):
        """Patrol encounters nobody has been admitted from yet (to admit from), newest first"""
        date_to = query.get("date_to") or county_time.local_today()
        date_from = query.get("date_from") or date_to - timedelta(days=30)
        if date_to < date_from:
            raise Invalid({"to": ["Must not be before from."]})
        stmt = services.admissible_encounters_query(date_from, date_to)
        return paginate(stmt, pagination_parameters)


@residents.route("/<int:resident_id>/photos")
class ResidentPhotos(MethodView):
    @require_roles(*ROLES)
    @residents.response(200, PhotoSchema(many=True))
    def get(self, resident_id):
        """The resident's photos (metadata; the images are under /photos)"""
        services.get_resident(resident_id)
        return photo_services.photos_of("resident", resident_id)

    @require_roles(*ROLES)
    @accepts("multipart/form-data")
    @residents.doc(requestBody=UPLOAD_BODY)
    @residents.response(201, PhotoSchema)
    @residents.alt_response(200, schema=PhotoSchema, description="A replayed resend")
    def post(self, resident_id):
        """Attach a photo of the resident (multipart file + client_uuid; idempotent)"""
        resident = services.get_resident(resident_id)
        return attach_uploaded_photo("resident", resident.id, resident.area_id)


@open_days.route("")
class OpenDayEvents(MethodView):
    @open_days.arguments(OpenDayEventQuerySchema, location="query")
    @open_days.response(200, OpenDayEventSchema(many=True))
    @open_days.paginate(**PAGINATION)
    def get(self, filters, pagination_parameters):
        """Open-day events, newest first"""
        return paginate(services.open_day_events_query(**filters), pagination_parameters)

    @require_roles(*ROLES)
    @open_days.arguments(OpenDayEventSchema)
    @open_days.response(201, OpenDayEventSchema)
    @open_days.alt_response(200, schema=OpenDayEventSchema, description="A replayed resend")
    def post(self, data):
        """Log an open day (default date: 19 June of this year)"""
        event, created = services.create_open_day_event(data, request.get_json(silent=True))
        return event, 201 if created else 200


@open_days.route("/<int:event_id>")
class OpenDayEventById(MethodView):
    @open_days.response(200, OpenDayEventSchema)
    def get(self, event_id):
        """One open-day event"""
        return services.get_open_day_event(event_id)

    @require_roles(*ROLES)
    @open_days.arguments(partial_update(OpenDayEventUpdateSchema))
    @open_days.response(200, OpenDayEventSchema)
    def patch(self, changes, event_id):
        """Complete an open-day log (visitors, coverage…)"""
        return services.update_open_day_event(services.get_open_day_event(event_id), changes)


@open_days.route("/<int:event_id>/photos")
class OpenDayEventPhotos(MethodView):
    @require_roles(*ROLES)
    @open_days.response(200, PhotoSchema(many=True))
    def get(self, event_id):
        """The open day's photos (metadata; the images are under /photos)"""
        services.get_open_day_event(event_id)
        return photo_services.photos_of("open_day_event", event_id)

    @require_roles(*ROLES)
    @accepts("multipart/form-data")
    @open_days.doc(requestBody=UPLOAD_BODY)
    @open_days.response(201, PhotoSchema)
    @open_days.alt_response(200, schema=PhotoSchema, description="A replayed resend")
    def post(self, event_id):
        """Attach a photo of the open day (multipart file + client_uuid; idempotent)"""
        event = services.get_open_day_event(event_id)
        return attach_uploaded_photo("open_day_event", event.id, event.area_id)
