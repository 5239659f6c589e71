from __future__ import annotations

from flask.views import MethodView

from api.audit.services import record_bulk_read
from api.auth.permissions import accepts, require_roles
from api.common.arguments import Blueprint
from api.common.pagination import PAGINATION, paginate
from api.photos import services as photo_services
from api.photos.schemas import PhotoSchema
from api.photos.uploads import UPLOAD_BODY, attach_uploaded_photo
from api.rescue.patrols import services, stats
from api.rescue.patrols.schemas import (
    CampaignQuerySchema,
    CampaignSchema,
    CampaignStatsSchema,
    CampaignUpdateSchema,
    EncounterQuerySchema,
    EncounterSchema,
    EncounterUpdateSchema,
    PatrolMapQuerySchema,
    PatrolMapSchema,
    PatrolQuerySchema,
    PatrolSchema,
    PatrolTrackSchema,
    PatrolUpdateSchema,
    StreetPersonQuerySchema,
    StreetPersonSchema,
    StreetPersonUpdateSchema,
    TeamCandidateSchema,
    TrackAppendSchema,
    TrackBatchSchema,
    TrackQuerySchema,
)
from api.rescue.roles import RESCUE_ROLES

# Rescue-centre staff run the patrols; admins may correct them; supervisors read. The
# readers are the roles that may see encounters and street people at all (RESCUE_ROLES).
WRITERS = ("rescue_staff", "admin")
READERS = tuple(sorted(RESCUE_ROLES))

campaigns_blp = Blueprint(
    "campaigns",
    __name__,
    url_prefix="/api/v1/campaigns",
    description="Summer-cooling and winter-warmth campaigns (夏季送清凉, 寒冬送温暖)",
)
patrols_blp = Blueprint(
    "patrols", __name__, url_prefix="/api/v1/patrols", description="Street patrols and tracks"
)
encounters_blp = Blueprint(
    "encounters",
    __name__,
    url_prefix="/api/v1/encounters",
    description="People met on patrols: help given, outcome",
)
people_blp = Blueprint(
    "street-people",
    __name__,
    url_prefix="/api/v1/street-people",
    description="People living on the street, known by alias or name",
)


def _settings() -> services.PatrolSettings:
    return services.PatrolSettings.from_config()


# Campaigns


@campaigns_blp.route("")
class Campaigns(MethodView):
    @require_roles(*READERS)
    @campaigns_blp.arguments(CampaignQuerySchema, location="query")
    @campaigns_blp.response(200, CampaignSchema(many=True))
    @campaigns_blp.paginate(**PAGINATION)
    def get(self, filters, pagination_parameters):
        """List campaigns, newest first"""
        return paginate(services.campaigns_query(filters), pagination_parameters)

    @require_roles(*WRITERS)
    @campaigns_blp.arguments(CampaignSchema)
    @campaigns_blp.response(201, CampaignSchema)
    def post(self, data):
        """Create a campaign"""
        return services.create_campaign(data)


@campaigns_blp.route("/<int:campaign_id>")
class CampaignById(MethodView):
    @require_roles(*READERS)
    @campaigns_blp.response(200, CampaignSchema)
    def get(self, campaign_id):
        """One campaign"""
        return services.get_campaign(campaign_id)

    @require_roles(*WRITERS)
    @campaigns_blp.arguments(CampaignUpdateSchema)
    @campaigns_blp.response(200, CampaignSchema)
    @campaigns_blp.alt_response(409, description="Patrols would fall outside the new dates")
    def patch(self, data, campaign_id):
        """Change a campaign's name, dates, supplies or notes"""
        return services.update_campaign(campaign_id, data, _settings())


@campaigns_blp.route("/<int:campaign_id>/stats")
class CampaignStats(MethodView):
    @require_roles(*READERS)
    @campaigns_blp.response(200, CampaignStatsSchema)
    def get(self, campaign_id):
        """Weekly figures of a campaign, beside the previous campaign of the same kind"""
        campaign = services.get_campaign(campaign_id)
        return stats.campaign_stats(campaign, _settings().timezone)


# Patrols


@patrols_blp.route("")
class Patrols(MethodView):
    @require_roles(*READERS)
    @patrols_blp.arguments(PatrolQuerySchema, location="query")
    @patrols_blp.response(200, PatrolSchema(many=True))
    @patrols_blp.paginate(**PAGINATION)
    def get(self, filters, pagination_parameters):
        """List patrols, latest first"""
        return paginate(services.patrols_query(filters, _settings()), pagination_parameters)

    @require_roles(*WRITERS)
    @patrols_blp.arguments(PatrolSchema)
    @patrols_blp.response(201, PatrolSchema)
    @patrols_blp.alt_response(200, schema=PatrolSchema, description="Replay: already stored")
    @patrols_blp.alt_response(409, description="client_uuid used for other content")
    def post(self, data):
        """Start a patrol (idempotent on client_uuid)"""
        patrol, created = services.create_patrol(data, _settings())
        return patrol, 201 if created else 200


@patrols_blp.route("/team-candidates")
class PatrolTeamCandidates(MethodView):
    @require_roles(*WRITERS)
    @patrols_blp.response(200, TeamCandidateSchema(many=True))
    @patrols_blp.paginate(**PAGINATION)
    def get(self, pagination_parameters):
        """Active rescue staff of the caller's area subtree, to name on a patrol team
        (id and name only)"""
        return paginate(services.team_candidates_query(), pagination_parameters)


@patrols_blp.route("/map")
class PatrolMap(MethodView):
    @require_roles(*READERS)
    @patrols_blp.arguments(PatrolMapQuerySchema, location="query")
    @patrols_blp.response(200, PatrolMapSchema)
    def get(self, filters):
        """Patrol routes as a GeoJSON FeatureCollection (campaign, dates, bbox)"""
        layer = services.patrol_features(filters, _settings())
        record_bulk_read("map", "patrols", filters.get("area_id"), filters, len(layer["features"]))
        return layer


@patrols_blp.route("/<int:patrol_id>")
class PatrolById(MethodView):
    @require_roles(*READERS)
    @patrols_blp.response(200, PatrolSchema)
    def get(self, patrol_id):
        """One patrol"""
        return services.get_patrol(patrol_id)

    @require_roles(*WRITERS)
    @patrols_blp.arguments(PatrolUpdateSchema)
    @patrols_blp.response(200, PatrolSchema)
    def patch(self, data, patrol_id):
        """End a patrol (ended_at, summary) or change its team, mode or campaign"""
        return services.update_patrol(patrol_id, data, _settings())


@patrols_blp.route("/<int:patrol_id>/track")
class PatrolTrack(MethodView):
    @require_roles(*READERS)
    @patrols_blp.arguments(TrackQuerySchema, location="query")
    @patrols_blp.response(200, PatrolTrackSchema)
    def get(self, query, patrol_id):
        """The drawn route (GeoJSON LineString) and its length in metres"""
        return services.track_summary(services.get_patrol(patrol_id), query["points"])

    @require_roles(*WRITERS)
    @patrols_blp.arguments(TrackBatchSchema)
    @patrols_blp.response(200, TrackAppendSchema)
    def post(self, batch, patrol_id):
        """Append up to 1,000 GPS points (any order; resent points are ignored); answers
        the totals and the part of the route the batch redrew"""
        return services.append_track(patrol_id, batch["points"], _settings(), batch["crs"])


@patrols_blp.route("/<int:patrol_id>/encounters")
class PatrolEncounters(MethodView):
    @require_roles(*READERS)
    @patrols_blp.response(200, EncounterSchema(many=True))
    @patrols_blp.paginate(**PAGINATION)
    def get(self, patrol_id, pagination_parameters):
        """The encounters of a patrol"""
        services.get_patrol(patrol_id)
        stmt = services.encounters_query({"patrol_id": patrol_id}, _settings())
        return paginate(stmt, pagination_parameters)

    @require_roles(*WRITERS)
    @patrols_blp.arguments(EncounterSchema)
    @patrols_blp.response(201, EncounterSchema)
    @patrols_blp.alt_response(200, schema=EncounterSchema, description="Replay: already stored")
    @patrols_blp.alt_response(409, description="client_uuid used for other content")
    def post(self, data, patrol_id):
        """Record a person met on this patrol (idempotent on client_uuid)"""
        encounter, created = services.create_encounter(patrol_id, data, _settings())
        return encounter, 201 if created else 200


# Encounters


@encounters_blp.route("")
class Encounters(MethodView):
    @require_roles(*READERS)
    @encounters_blp.arguments(EncounterQuerySchema, location="query")
    @encounters_blp.response(200, EncounterSchema(many=True))
    @encounters_blp.paginate(**PAGINATION)
    def get(self, filters, pagination_parameters):
        """List encounters (campaign, patrol, person, outcome, vulnerable, dates)"""
        return paginate(services.encounters_query(filters, _settings()), pagination_parameters)


@encounters_blp.route("/map")
class EncounterMap(MethodView):
    @require_roles(*READERS)
    @encounters_blp.arguments(PatrolMapQuerySchema, location="query")
    @encounters_blp.response(200, PatrolMapSchema)
    def get(self, filters):
        """Encounters as a GeoJSON FeatureCollection of Points (campaign, dates, bbox)"""
        layer = services.encounter_features(filters, _settings())
        record_bulk_read(
            "map", "encounters", filters.get("area_id"), filters, len(layer["features"])
        )
        return layer


@encounters_blp.route("/<int:encounter_id>")
class EncounterById(MethodView):
    @require_roles(*READERS)
    @encounters_blp.response(200, EncounterSchema)
    def get(self, encounter_id):
        """One encounter"""
        return services.get_encounter(encounter_id)

    @require_roles(*WRITERS)
    @encounters_blp.arguments(EncounterUpdateSchema)
    @encounters_blp.response(200, EncounterSchema)
    def patch(self, data, encounter_id):
        """Correct an encounter, change its outcome, or link it to a street person"""
        return services.update_encounter(encounter_id, data)


@encounters_blp.route("/<int:encounter_id>/photos")
class EncounterPhotos(MethodView):
    @require_roles(*READERS)
    @encounters_blp.response(200, PhotoSchema(many=True))
    def get(self, encounter_id):
        """The encounter's photos (metadata; the images are under /photos)"""
        services.get_encounter(encounter_id)
        return photo_services.photos_of("encounter", encounter_id)

    @require_roles(*WRITERS)
    @accepts("multipart/form-data")
    @encounters_blp.doc(requestBody=UPLOAD_BODY)
    @encounters_blp.response(201, PhotoSchema)
    @encounters_blp.alt_response(200, schema=PhotoSchema, description="a replay")
    def post(self, encounter_id):
        """Attach a photo (multipart file + client_uuid; idempotent; same rules as visits)"""
        encounter = services.get_encounter(encounter_id)
        return attach_uploaded_photo(
            "encounter", encounter.id, encounter.area_id, encounter.location, encounter.occurred_at
        )


# Street people


@people_blp.route("")
class StreetPeople(MethodView):
    @require_roles(*READERS)
    @people_blp.arguments(StreetPersonQuerySchema, location="query")
    @people_blp.response(200, StreetPersonSchema(many=True))
    @people_blp.paginate(**PAGINATION)
    def get(self, filters, pagination_parameters):
        """List street people (search by alias or name)"""
        return paginate(services.street_people_query(filters), pagination_parameters)

    @require_roles(*WRITERS)
    @people_blp.arguments(StreetPersonSchema)
    @people_blp.response(201, StreetPersonSchema)
    def post(self, data):
        """Register a person met on the street (alias when no name is known)"""
        return services.create_street_person(data)


@people_blp.route("/<int:person_id>")
class StreetPersonById(MethodView):
    @require_roles(*READERS)
    @people_blp.response(200, StreetPersonSchema)
    def get(self, person_id):
        """One street person"""
        return services.get_street_person(person_id)

    @require_roles(*WRITERS)
    @people_blp.arguments(StreetPersonUpdateSchema)
    @people_blp.response(200, StreetPersonSchema)
    def patch(self, data, person_id):
        """Correct a street person (alias, name, description)"""
        return services.update_street_person(person_id, data)
