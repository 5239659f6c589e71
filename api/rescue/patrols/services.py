"""Campaigns, patrols, tracks, encounters and street people: the rules, as plain functions.

Services flush and never commit; the request (or job) owns the transaction. Records an
out-of-area caller names read as absent (404 for the record addressed, 422 for an id in
the body).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from shapely.geometry import Point
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import lazyload

from api.areas.models import Area
from api.areas.scope import current_actor, in_area, visible_area
from api.auth.models import User
from api.common.county_time import local_date, local_day_bounds
from api.common.fields import geometry_to_geojson, to_db_geometry
from api.common.idempotency import find_replay, fingerprint
from api.common.spatial import in_bbox
from api.db import session, utcnow
from api.errors import Conflict, Invalid, NotFound
from api.jobs.services import schedule_job
from api.rescue.patrols import tracks
from api.rescue.patrols.models import (
    Campaign,
    Encounter,
    Patrol,
    PatrolMember,
    StreetPerson,
    TrackPoint,
)
from api.visits.crs import to_wgs84

FOLLOWUP_JOB = "workers.followup.encounter_recorded"
# Who may be on a patrol team: the centre's staff, and supervisors, who lead campaign
# patrols (带队). Admins keep the records; they do not walk the streets.
PATROL_ROLES = frozenset({"rescue_staff", "supervisor"})


@dataclass(frozen=True)
class PatrolSettings:
    timezone: str = "Asia/Shanghai"
    max_speed_kmh: float = 150.0
    max_accuracy_m: float = 100.0
    clock_skew: timedelta = timedelta(minutes=10)

    @classmethod
    def from_config(cls) -> PatrolSettings:
        config = current_app.config
        return cls(
            timezone=config["COUNTY_TIMEZONE"],
            max_speed_kmh=config["PATROL_MAX_SPEED_KMH"],
            max_accuracy_m=config["TRACK_MAX_ACCURACY_M"],
            clock_skew=timedelta(minutes=config["VISIT_MAX_CLOCK_SKEW_MINUTES"]),
        )


def _actor_user_id() -> int | None:
    actor = current_actor()
    return actor.user_id if actor else None


def _default_area_id(area_id: int | None) -> int:
    if area_id is not None:
        return area_id
    actor = current_actor()
    if actor is None or actor.area_id is None:
        raise Invalid({"area_id": ["Required."]})
    return actor.area_id


def _within(child: Area, parent: Area) -> bool:
    return child.path.startswith(parent.path)


def _get(model: type, record_id: int, what: str) -> Any:
    if not 0 < record_id < 2**31:
        raise NotFound(f"No such {what}.")
    record = session.scalar(select(model).where(model.id == record_id))
    if record is None:
        raise NotFound(f"No such {what}.")
    return record


def _json_ready(data: dict[str, Any]) -> dict[str, Any]:
    """The loaded payload in a form whose fingerprint is stable."""
    ready: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, datetime):
            ready[key] = value.isoformat()
        elif isinstance(value, (uuid.UUID, date)):
            ready[key] = str(value)
        elif hasattr(value, "wkt"):
            ready[key] = value.wkt
        else:
            ready[key] = value
    return ready


# Campaigns


def get_campaign(campaign_id: int) -> Campaign:
    return _get(Campaign, campaign_id, "campaign")


def campaigns_query(filters: dict[str, Any]) -> Select:
    stmt = select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.id.desc())
    if filters.get("kind"):
        stmt = stmt.where(Campaign.kind == filters["kind"])
    if filters.get("area_id"):
        stmt = stmt.where(Campaign.area_id == filters["area_id"])
    return stmt


def _check_campaign_dates(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise Invalid({"ends_on": ["The campaign ends before it starts."]})
    if (ends_on - starts_on).days > 366:
        raise Invalid({"ends_on": ["A campaign lasts at most a year."]})


def create_campaign(data: dict[str, Any]) -> Campaign:
    _check_campaign_dates(data["starts_on"], data["ends_on"])
    area = visible_area(_default_area_id(data.get("area_id")))
    campaign = Campaign(
        kind=data["kind"],
        name=data["name"],
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        area_id=area.id,
        supplies_planned=data.get("supplies_planned") or {},
        notes=data.get("notes"),
        created_by_id=_actor_user_id(),
    )
    session.add(campaign)
    session.flush()
    return campaign


def update_campaign(campaign_id: int, data: dict[str, Any], settings: PatrolSettings) -> Campaign:
    campaign = get_campaign(campaign_id)
    starts_on = data.get("starts_on", campaign.starts_on)
    ends_on = data.get("ends_on", campaign.ends_on)
    _check_campaign_dates(starts_on, ends_on)
    if (starts_on, ends_on) != (campaign.starts_on, campaign.ends_on):
        first, _ = local_day_bounds(starts_on, settings.timezone)
        _, last = local_day_bounds(ends_on, settings.timezone)
        # Every patrol counts here, also those the caller cannot see: the campaign's
        # dates must keep holding for all of them.
        outside = session.scalar(
            select(func.count(Patrol.id))
            .where(
                Patrol.campaign_id == campaign.id,
                or_(Patrol.started_at < first, Patrol.started_at >= last),
            )
            .execution_options(skip_scope=True)
        )
        if outside:
            raise Conflict(
                f"{outside} patrol(s) of this campaign would fall outside the new dates.",
                patrols_outside=outside,
            )
    for key, value in data.items():
        setattr(campaign, key, value)
    session.flush()
    return campaign


# Patrols


def get_patrol(patrol_id: int) -> Patrol:
    return _get(Patrol, patrol_id, "patrol")


def patrols_query(filters: dict[str, Any], settings: PatrolSettings) -> Select:
    stmt = select(Patrol).order_by(Patrol.started_at.desc(), Patrol.id.desc())
    if filters.get("campaign_id"):
        stmt = stmt.where(Patrol.campaign_id == filters["campaign_id"])
    if filters.get("area_id"):
        stmt = stmt.where(in_area(Patrol.area_id, filters["area_id"]))
    if filters.get("from_"):
        stmt = stmt.where(
            Patrol.started_at >= local_day_bounds(filters["from_"], settings.timezone)[0]
        )
    if filters.get("to"):
        stmt = stmt.where(Patrol.started_at < local_day_bounds(filters["to"], settings.timezone)[1])
    if filters.get("bbox"):
        stmt = stmt.where(in_bbox(Patrol, "route", filters["bbox"]))
    return stmt


def _check_team(team_ids: list[int], area: Area) -> list[int]:
    """The team's user ids, each once, in the order given; a bad member is a 422 on
    ``team.<index>``.

    A member must be a user the caller can see (an invisible user reads as a nonexistent
    one), active, of a role that patrols (``PATROL_ROLES``), and working where the patrol
    goes: their area contains the patrol's area or lies inside it.
    """
    rows = session.execute(
        select(User.id, User.role, Area.path)
        .join(Area, Area.id == User.area_id)
        .where(User.id.in_(team_ids), User.active)
    ).all()
    found = {user_id: (role, path) for user_id, role, path in rows}
    errors: dict[str, list[str]] = {}
    for index, user_id in enumerate(team_ids):
        if user_id not in found:
            errors[f"team.{index}"] = [f"No such user: {user_id}."]
            continue
        role, path = found[user_id]
        if role not in PATROL_ROLES:
            errors[f"team.{index}"] = [f"Role {role} may not be on a patrol team."]
        elif not (path.startswith(area.path) or area.path.startswith(path)):
            errors[f"team.{index}"] = ["This user works outside the patrol's area."]
    if errors:
        raise Invalid(errors)
    return list(dict.fromkeys(team_ids))


def _default_team() -> list[int]:
    """With no team named, the caller, if the caller's role patrols (an admin recording a
    patrol for others names them)."""
    actor = current_actor()
    if actor is None or actor.user_id is None or actor.role not in PATROL_ROLES:
        return []
    return [actor.user_id]


def team_candidates_query() -> Select:
    """The active rescue staff a caller may name on a patrol team: the ``User`` scope
    limits them to the caller's area subtree (another town's staff are never listed)."""
    return (
        select(User)
        .where(User.role == "rescue_staff", User.active)
        .order_by(User.display_name, User.id)
    )


def _check_patrol_campaign(
    campaign_id: int | None, area: Area, started_at: datetime, settings: PatrolSettings
) -> Campaign | None:
    if campaign_id is None:
        return None
    campaign = session.scalar(select(Campaign).where(Campaign.id == campaign_id))
    if campaign is None:
        raise Invalid({"campaign_id": ["No such campaign."]})
    day = local_date(started_at, settings.timezone)
    if not campaign.starts_on <= day <= campaign.ends_on:
        raise Invalid(
            {
                "started_at": [
                    f"The patrol's date {day} is outside the campaign "
                    f"({campaign.starts_on} to {campaign.ends_on})."
                ]
            }
        )
    campaign_area = session.get(Area, campaign.area_id)
    if campaign_area is None or not _within(area, campaign_area):
        raise Invalid({"area_id": ["The patrol's area is outside the campaign's area."]})
    return campaign


def _check_times(started_at: datetime, ended_at: datetime | None, settings: PatrolSettings) -> None:
    latest = utcnow() + settings.clock_skew
    if started_at > latest:
        raise Invalid({"started_at": ["In the future."]})
    if ended_at is not None:
        if ended_at < started_at:
            raise Invalid({"ended_at": ["Before the patrol started."]})
        if ended_at > latest:
            raise Invalid({"ended_at": ["In the future."]})
        if ended_at - started_at > timedelta(days=2):
            raise Invalid({"ended_at": ["A patrol lasts at most two days."]})


def create_patrol(data: dict[str, Any], settings: PatrolSettings) -> tuple[Patrol, bool]:
    """The patrol and whether it was created (False: a replay of the same record)."""
    content = _json_ready({**data, "team_ids": sorted(set(data.get("team_ids") or []))})
    content_hash = fingerprint(content)
    existing = find_replay(Patrol, data["client_uuid"], content_hash)
    if existing is not None:
        return existing, False
    _check_times(data["started_at"], data.get("ended_at"), settings)
    campaign = None
    if data.get("campaign_id") is not None:
        campaign = session.scalar(select(Campaign).where(Campaign.id == data["campaign_id"]))
        if campaign is None:
            raise Invalid({"campaign_id": ["No such campaign."]})
    area_id = data.get("area_id")
    if area_id is None and campaign is not None:
        area_id = campaign.area_id
    area = visible_area(_default_area_id(area_id))
    _check_patrol_campaign(data.get("campaign_id"), area, data["started_at"], settings)
    team = data.get("team_ids") or _default_team()
    patrol = Patrol(
        client_uuid=str(data["client_uuid"]),
        content_hash=content_hash,
        campaign_id=data.get("campaign_id"),
        area_id=area.id,
        mode=data["mode"],
        started_at=data["started_at"],
        ended_at=data.get("ended_at"),
        summary=data.get("summary"),
        created_by_id=_actor_user_id(),
        members=[PatrolMember(user_id=user_id) for user_id in _check_team(team, area)],
    )
    session.add(patrol)
    session.flush()
    return patrol, True


def update_patrol(patrol_id: int, data: dict[str, Any], settings: PatrolSettings) -> Patrol:
    patrol = get_patrol(patrol_id)
    if "ended_at" in data or "campaign_id" in data:
        _check_times(patrol.started_at, data.get("ended_at", patrol.ended_at), settings)
    if "campaign_id" in data:
        area = session.get(Area, patrol.area_id)
        _check_patrol_campaign(data["campaign_id"], area, patrol.started_at, settings)
        patrol.campaign_id = data["campaign_id"]
    if "team_ids" in data:
        wanted = _check_team(data["team_ids"], session.get(Area, patrol.area_id))
        patrol.members = [
            next((m for m in patrol.members if m.user_id == user_id), None)
            or PatrolMember(user_id=user_id)
            for user_id in wanted
        ]
    for key in ("mode", "ended_at", "summary"):
        if key in data:
            setattr(patrol, key, data[key])
    session.flush()
    return patrol


# Tracks


def append_track(
    patrol_id: int,
    points: list[dict[str, Any]],
    settings: PatrolSettings,
    crs: str | None = None,
) -> dict[str, Any]:
    patrol = _locked_patrol(patrol_id)
    if crs not in (None, "wgs84"):
        points = [
            {
                **point,
                **dict(zip(("lon", "lat"), to_wgs84(point["lon"], point["lat"], crs), strict=True)),
            }
            for point in points
        ]
    latest = utcnow() + settings.clock_skew
    future = [index for index, point in enumerate(points) if point["recorded_at"] > latest]
    if future:
        raise Invalid({f"points.{index}.recorded_at": ["In the future."] for index in future[:20]})
    result = tracks.append_points(patrol, points, settings.max_accuracy_m, settings.max_speed_kmh)
    # What the batch changed and the totals, not the whole route (issue #17): a client
    # holding the route keeps its first ``route_from`` vertices and adds ``route_tail``.
    return {
        "patrol_id": patrol.id,
        "received": result.received,
        "added": result.added,
        "duplicates": result.duplicates,
        "length_m": patrol.route_length_m,
        **_point_counts(patrol, result.kept),
        "route_from": result.route_from,
        "route_tail": result.route_tail,
    }


def _locked_patrol(patrol_id: int) -> Patrol:
    """The patrol, its row locked until the request ends (PostgreSQL; SQLite serialises
    writers anyway): batches of one patrol are stored one after the other, each seeing the
    points and route of the one before. The team is not loaded: a track does not need it."""
    if not 0 < patrol_id < 2**31:
        raise NotFound("No such patrol.")
    patrol = session.scalar(
        select(Patrol)
        .where(Patrol.id == patrol_id)
        .options(lazyload(Patrol.members))
        .with_for_update(of=Patrol)
        .execution_options(populate_existing=True)
    )
    if patrol is None:
        raise NotFound("No such patrol.")
    return patrol


def _point_counts(patrol: Patrol, kept: int | None) -> dict[str, Any]:
    """The track's totals: points, those on the route, those left out by reason. ``kept``:
    the route's vertex count if known (the kept points, when there are two or more)."""
    if kept is not None and kept == patrol.point_count:
        # The route is drawn through the kept points and point_count counts the stored
        # ones (append_points keeps both): as many vertices as points means none is left
        # out, and the points need not be counted (a scan of the whole track).
        counts: dict[str | None, int] = {None: patrol.point_count}
    else:
        counts = dict(
            session.execute(
                select(TrackPoint.excluded_reason, func.count())
                .where(TrackPoint.patrol_id == patrol.id)
                .group_by(TrackPoint.excluded_reason)
            ).all()
        )
    return {
        "point_count": sum(counts.values()),
        "used_in_route": counts.get(None, 0),
        "excluded": {
            "poor_accuracy": counts.get("poor_accuracy", 0),
            "implausible_speed": counts.get("implausible_speed", 0),
        },
    }


def track_summary(patrol: Patrol, with_points: bool = False) -> dict[str, Any]:
    route = tracks.route_geojson(patrol.route)
    summary: dict[str, Any] = {
        "patrol_id": patrol.id,
        "route": route,
        "length_m": patrol.route_length_m,
        **_point_counts(patrol, len(route["coordinates"]) if route is not None else None),
    }
    if with_points:
        summary["points"] = [
            {
                "recorded_at": point.fix.recorded_at,
                "lon": point.fix.lon,
                "lat": point.fix.lat,
                "accuracy_m": point.fix.accuracy_m,
                "used_in_route": point.excluded_reason is None,
                "excluded_reason": point.excluded_reason,
            }
            for point in tracks.load_points(patrol.id)
        ]
    return summary


def patrol_features(filters: dict[str, Any], settings: PatrolSettings) -> dict[str, Any]:
    """Patrols as a GeoJSON FeatureCollection (routes; NULL geometry without a route)."""
    limit = filters.get("limit", 1000)
    rows = list(session.scalars(patrols_query(filters, settings).limit(limit + 1)))
    features = [
        {
            "type": "Feature",
            "id": patrol.id,
            "geometry": geometry_to_geojson(patrol.route),
            "properties": {
                "kind": "patrol",
                "id": patrol.id,
                "campaign_id": patrol.campaign_id,
                "area_id": patrol.area_id,
                "mode": patrol.mode,
                "started_at": patrol.started_at.isoformat(),
                "ended_at": patrol.ended_at.isoformat() if patrol.ended_at else None,
                "length_m": patrol.route_length_m,
            },
        }
        for patrol in rows[:limit]
    ]
    return {"type": "FeatureCollection", "features": features, "truncated": len(rows) > limit}


# Street people


def get_street_person(person_id: int) -> StreetPerson:
    return _get(StreetPerson, person_id, "street person")


def street_people_query(filters: dict[str, Any]) -> Select:
    stmt = select(StreetPerson).order_by(StreetPerson.id.desc())
    if filters.get("q"):
        like = f"%{filters['q']}%"
        stmt = stmt.where(or_(StreetPerson.alias.ilike(like), StreetPerson.name.ilike(like)))
    if filters.get("area_id"):
        stmt = stmt.where(in_area(StreetPerson.area_id, filters["area_id"]))
    return stmt


def create_street_person(data: dict[str, Any], area_id: int | None = None) -> StreetPerson:
    area = visible_area(_default_area_id(data.get("area_id", area_id)))
    person = StreetPerson(
        alias=data["alias"],
        name=data.get("name"),
        sex=data.get("sex") or "unknown",
        approximate_age=data.get("approximate_age"),
        description=data.get("description"),
        area_id=area.id,
        created_by_id=_actor_user_id(),
    )
    session.add(person)
    session.flush()
    return person


def update_street_person(person_id: int, data: dict[str, Any]) -> StreetPerson:
    person = get_street_person(person_id)
    for key, value in data.items():
        setattr(person, key, value)
    session.flush()
    return person


def refresh_seen(person_id: int | None) -> None:
    """Recompute a street person's first and last sighting from the linked encounters."""
    if person_id is None:
        return
    person = session.get(StreetPerson, person_id)
    if person is None:
        return
    # All encounters count, also those outside the caller's area.
    first, last = session.execute(
        select(func.min(Encounter.occurred_at), func.max(Encounter.occurred_at))
        .where(Encounter.street_person_id == person_id)
        .execution_options(skip_scope=True)
    ).one()
    person.first_seen_at, person.last_seen_at = first, last
    session.flush()


# Encounters


def get_encounter(encounter_id: int) -> Encounter:
    return _get(Encounter, encounter_id, "encounter")


def encounters_query(filters: dict[str, Any], settings: PatrolSettings) -> Select:
    stmt = select(Encounter).order_by(Encounter.occurred_at.desc(), Encounter.id.desc())
    if filters.get("patrol_id"):
        stmt = stmt.where(Encounter.patrol_id == filters["patrol_id"])
    if filters.get("campaign_id"):
        stmt = stmt.where(
            Encounter.patrol_id.in_(
                select(Patrol.id).where(Patrol.campaign_id == filters["campaign_id"])
            )
        )
    if filters.get("street_person_id"):
        stmt = stmt.where(Encounter.street_person_id == filters["street_person_id"])
    if filters.get("outcome"):
        stmt = stmt.where(Encounter.outcome == filters["outcome"])
    if "vulnerable" in filters:
        stmt = stmt.where(Encounter.vulnerable.is_(filters["vulnerable"]))
    if filters.get("from_"):
        stmt = stmt.where(
            Encounter.occurred_at >= local_day_bounds(filters["from_"], settings.timezone)[0]
        )
    if filters.get("to"):
        stmt = stmt.where(
            Encounter.occurred_at < local_day_bounds(filters["to"], settings.timezone)[1]
        )
    if filters.get("bbox"):
        stmt = stmt.where(in_bbox(Encounter, "location", filters["bbox"]))
    return stmt


def encounter_features(filters: dict[str, Any], settings: PatrolSettings) -> dict[str, Any]:
    limit = filters.get("limit", 1000)
    rows = list(session.scalars(encounters_query(filters, settings).limit(limit + 1)))
    features = [
        {
            "type": "Feature",
            "id": encounter.id,
            "geometry": geometry_to_geojson(encounter.location),
            "properties": {
                "kind": "encounter",
                "id": encounter.id,
                "patrol_id": encounter.patrol_id,
                "occurred_at": encounter.occurred_at.isoformat(),
                "outcome": encounter.outcome,
                "vulnerable": encounter.vulnerable,
                "street_person_id": encounter.street_person_id,
            },
        }
        for encounter in rows[:limit]
    ]
    return {"type": "FeatureCollection", "features": features, "truncated": len(rows) > limit}


def _area_at(point: Point, within: Area) -> int:
    """The smallest area of ``within``'s subtree containing ``point``, else ``within``."""
    stmt = (
        select(Area.id)
        .where(
            Area.path.startswith(within.path),
            func.ST_Intersects(Area.boundary, to_db_geometry(point)),
        )
        .order_by(func.length(Area.path).desc())
        .limit(1)
    )
    return session.scalar(stmt) or within.id


def _check_encounter_time(occurred_at: datetime, patrol: Patrol, settings: PatrolSettings) -> None:
    earliest = patrol.started_at - settings.clock_skew
    latest = min(patrol.ended_at or utcnow(), utcnow()) + settings.clock_skew
    if not earliest <= occurred_at <= latest:
        raise Invalid({"occurred_at": ["Outside the patrol's time (started_at to ended_at)."]})


def _check_person_fields(data: dict[str, Any], current: Encounter | None = None) -> None:
    gave_name = data.get("gave_name", current.gave_name if current else False)
    name = data.get("name", current.name if current else None)
    if name and not gave_name:
        raise Invalid({"name": ["Only when the person gave a name (gave_name)."]})


def _link_person(data: dict[str, Any], area_id: int) -> int | None:
    if data.get("new_street_person"):
        return create_street_person(data["new_street_person"], area_id=area_id).id
    person_id = data.get("street_person_id")
    if person_id is not None:
        visible = session.scalar(select(StreetPerson.id).where(StreetPerson.id == person_id))
        if visible is None:
            raise Invalid({"street_person_id": ["No such street person."]})
    return person_id


def _vulnerable(data: dict[str, Any], current: Encounter | None = None) -> bool:
    kinds = data.get("vulnerability_kinds", current.vulnerability_kinds if current else [])
    flag = data.get("vulnerable", current.vulnerable if current else False)
    return bool(kinds) or bool(flag)


def create_encounter(
    patrol_id: int, data: dict[str, Any], settings: PatrolSettings, notify: bool = True
) -> tuple[Encounter, bool]:
    """The encounter and whether it was created (False: a replay). ``notify=False`` skips
    the follow-up job (the demo seeder, whose follow-up rules run over everything later)."""
    patrol = get_patrol(patrol_id)
    content_hash = fingerprint(_json_ready({**data, "patrol_id": patrol.id}))
    existing = find_replay(Encounter, data["client_uuid"], content_hash)
    if existing is not None:
        return existing, False
    _check_encounter_time(data["occurred_at"], patrol, settings)
    _check_person_fields(data)
    if data.get("crs") not in (None, "wgs84"):
        data = {
            **data,
            "location": Point(*to_wgs84(data["location"].x, data["location"].y, data["crs"])),
        }
    patrol_area = session.get(Area, patrol.area_id)
    area_id = _area_at(data["location"], patrol_area)
    encounter = Encounter(
        client_uuid=str(data["client_uuid"]),
        content_hash=content_hash,
        patrol_id=patrol.id,
        area_id=area_id,
        occurred_at=data["occurred_at"],
        location=to_db_geometry(data["location"]),
        accuracy_m=data.get("accuracy_m"),
        sex=data.get("sex") or "unknown",
        approximate_age=data.get("approximate_age"),
        clothing=data.get("clothing"),
        language=data.get("language"),
        condition=data.get("condition"),
        gave_name=data.get("gave_name", False),
        name=data.get("name"),
        vulnerable=_vulnerable(data),
        vulnerability_kinds=sorted(set(data.get("vulnerability_kinds") or [])),
        aid=data.get("aid") or [],
        outcome=data["outcome"],
        notes=data.get("notes"),
        street_person_id=_link_person(data, area_id),
        created_by_id=_actor_user_id(),
    )
    session.add(encounter)
    session.flush()
    refresh_seen(encounter.street_person_id)
    if notify:
        schedule_job(FOLLOWUP_JOB, encounter.id, area_id=encounter.area_id)
    return encounter, True


def update_encounter(encounter_id: int, data: dict[str, Any]) -> Encounter:
    encounter = get_encounter(encounter_id)
    _check_person_fields(data, encounter)
    old_outcome, old_person = encounter.outcome, encounter.street_person_id
    if "street_person_id" in data:
        encounter.street_person_id = _link_person(data, encounter.area_id)
    encounter.vulnerable = _vulnerable(data, encounter)
    if "vulnerability_kinds" in data:
        encounter.vulnerability_kinds = sorted(set(data["vulnerability_kinds"]))
    for key in (
        "accuracy_m",
        "sex",
        "approximate_age",
        "clothing",
        "language",
        "condition",
        "gave_name",
        "name",
        "aid",
        "outcome",
        "notes",
    ):
        if key in data:
            setattr(encounter, key, data[key])
    session.flush()
    if encounter.street_person_id != old_person:
        refresh_seen(old_person)
        refresh_seen(encounter.street_person_id)
    if encounter.outcome != old_outcome:
        schedule_job(FOLLOWUP_JOB, encounter.id, area_id=encounter.area_id)
    return encounter
