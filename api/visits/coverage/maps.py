"""Map layers as GeoJSON FeatureCollections (RFC 7946: WGS-84, longitude first).

Every layer is filtered by area (subtree), period, an optional bounding box and capped by
``limit``; a collection that was cut short says ``"truncated": true``. The bounding box
is answered by the spatial index on both back ends (``in_bbox``).

The visits layer, the big one (thousands of points), is built as JSON text by PostGIS
(``json_build_object``/``json_agg``/``ST_AsGeoJSON``) and sent as it comes; on SQLite the
features are built here. Both give the same document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2.elements import WKBElement
from geoalchemy2.shape import to_shape
from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from sqlalchemy import (
    JSON,
    ColumnElement,
    Select,
    Text,
    and_,
    cast,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import aliased

from api.areas.models import Area
from api.common.spatial import BBox, in_bbox
from api.db import session
from api.rescue.patrols.models import Encounter, Patrol
from api.visits.coverage import services
from api.visits.coverage.services import Cadence, Period
from api.visits.models import Household, Visit


def geojson_geometry(value: Any) -> dict[str, Any] | None:
    """A stored geometry as an RFC 7946 geometry: closed rings, exteriors anticlockwise."""
    if value is None:
        return None
    geometry: BaseGeometry = to_shape(value) if isinstance(value, WKBElement) else value
    if isinstance(geometry, Polygon):
        geometry = orient(geometry, 1.0)
    elif isinstance(geometry, MultiPolygon):
        geometry = MultiPolygon([orient(p, 1.0) for p in geometry.geoms])
    return mapping(geometry)  # type: ignore[return-value]


def feature(geometry: Any, properties: dict[str, Any], feature_id: Any = None) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "Feature"}
    if feature_id is not None:
        item["id"] = feature_id
    item["geometry"] = geojson_geometry(geometry)
    item["properties"] = properties
    return item


def collection(features: list[dict[str, Any]], limit: int, **extra: Any) -> dict[str, Any]:
    truncated = len(features) > limit
    return {
        "type": "FeatureCollection",
        "features": features[:limit],
        "truncated": truncated,
        **extra,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def visits_layer(
    area: Area,
    period: Period,
    bbox: BBox | None,
    limit: int,
    flagged: bool | None = None,
    review_state: str | None = None,
) -> tuple[dict[str, Any] | str, int]:
    """(the layer, its number of features): visits with a location (in person) in the
    area and period, newest first.

    On PostgreSQL the document comes as JSON text, ready to send.
    """
    stmt = visits_select(area, period, bbox, limit, flagged, review_state)
    if session.get_bind().dialect.name == "postgresql":
        return _visits_document_in_sql(stmt, limit)
    layer = _visits_collection(stmt, limit)
    return layer, len(layer["features"])


def visits_select(
    area: Area,
    period: Period,
    bbox: BBox | None,
    limit: int,
    flagged: bool | None = None,
    review_state: str | None = None,
) -> Select[Any]:
    """The layer's rows, newest first, one more than ``limit`` (to tell it was cut)."""
    place = aliased(Area, name="place")
    stmt = (
        select(
            Visit.id,
            Visit.location,
            Visit.household_id,
            Visit.area_id,
            place.name,
            Visit.worker_id,
            Visit.channel,
            Visit.visited_at,
            Visit.review_state,
            Visit.presence_flagged,
            Visit.presence_reasons,
            Visit.presence_distance_m,
        )
        .join(place, place.id == Visit.area_id)
        .where(
            place.path.startswith(area.path),
            Visit.visited_at >= period.start,
            Visit.visited_at < period.end,
            Visit.location.is_not(None),
        )
        .order_by(Visit.visited_at.desc(), Visit.id.desc())
        .limit(limit + 1)
    )
    if bbox:
        stmt = stmt.where(in_bbox(Visit, "location", bbox))
    if flagged is not None:
        stmt = stmt.where(Visit.presence_flagged.is_(flagged))
    if review_state:
        stmt = stmt.where(Visit.review_state == review_state)
    return stmt


def _visits_collection(stmt: Select[Any], limit: int) -> dict[str, Any]:
    """``visits_layer``'s document built here, feature by feature (SQLite)."""
    features = [
        feature(
            row.location,
            {
                "kind": "visit",
                "visit_id": row.id,
                "household_id": row.household_id,
                "area_id": row.area_id,
                "area_name": row.name,
                "worker_id": row.worker_id,
                "channel": row.channel,
                "visited_at": _iso(row.visited_at),
                "review_state": row.review_state,
                "presence_flagged": bool(row.presence_flagged),
                "presence_reasons": row.presence_reasons or [],
                "presence_distance_m": row.presence_distance_m,
            },
            row.id,
        )
        for row in session.execute(stmt)
    ]
    return collection(features, limit, layer="visits")


def _sql_text(value: str) -> ColumnElement[str]:
    """A constant of this module as an SQL string literal (json_build_object takes "any",
    so a bound parameter would have no type)."""
    return literal_column("'" + value.replace("'", "''") + "'", Text)


def _json_object(**members: Any) -> ColumnElement[Any]:
    return func.json_build_object(
        *(part for key, value in members.items() for part in (_sql_text(key), value))
    )


def _visits_document_in_sql(stmt: Select[Any], limit: int) -> tuple[str, int]:
    """``visits_layer``'s document as JSON text, built by PostgreSQL (the same document
    as ``_visits_collection``), and its number of features.

    ``stmt`` is the ORM select of the layer (so jurisdiction applies to it as to any
    other), already ordered and cut at ``limit + 1`` rows; each row is numbered so that
    the collection keeps ``limit`` features and says whether there were more.
    """
    numbered = stmt.add_columns(
        func.row_number().over(order_by=(Visit.visited_at.desc(), Visit.id.desc())).label("n")
    ).subquery("v")
    v = numbered.c
    # As datetime.isoformat() in UTC: microseconds only when there are some.
    visited_at = func.replace(
        func.to_char(
            func.timezone(_sql_text("UTC"), v.visited_at),
            _sql_text('YYYY-MM-DD"T"HH24:MI:SS.US'),
        ),
        _sql_text(".000000"),
        _sql_text(""),
        type_=Text,
    ) + _sql_text("+00:00")
    feature = _json_object(
        type=_sql_text("Feature"),
        id=v.id,
        # 15 decimals: coordinates as stored (RFC 7946 needs no more than 6).
        geometry=func.ST_AsGeoJSON(v.location, 15).cast(JSON),
        properties=_json_object(
            kind=_sql_text("visit"),
            visit_id=v.id,
            household_id=v.household_id,
            area_id=v.area_id,
            area_name=v.name,
            worker_id=v.worker_id,
            channel=v.channel,
            visited_at=visited_at,
            review_state=v.review_state,
            presence_flagged=v.presence_flagged,
            presence_reasons=v.presence_reasons,
            presence_distance_m=v.presence_distance_m,
        ),
    )
    document = _json_object(
        type=_sql_text("FeatureCollection"),
        features=func.coalesce(
            func.json_agg(aggregate_order_by(feature, v.n)).filter(v.n <= limit),
            func.json_build_array(),
        ),
        truncated=func.count() > limit,
        layer=_sql_text("visits"),
    )
    features = func.least(func.count(), limit)
    text, count = session.execute(
        select(cast(document, Text), features).select_from(numbered)
    ).one()
    return text, count


def households_layer(
    area: Area,
    period: Period,
    cadence: Cadence,
    bbox: BBox | None,
    limit: int,
    status_filter: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Focus households with a location, each with its ``status`` for colouring."""
    status = services.household_status(area, period, cadence, now)
    stmt = (
        select(
            Household.id,
            Household.location,
            Household.head_name,
            Household.address,
            Household.area_id,
            status.c.status,
            status.c.last_visit,
            status.c.monitored,
        )
        .join(status, status.c.household_id == Household.id)
        .where(Household.location.is_not(None))
        .order_by(Household.id)
        .limit(limit + 1)
    )
    if bbox:
        stmt = stmt.where(in_bbox(Household, "location", bbox))
    if status_filter:
        stmt = stmt.where(status.c.status == status_filter)
    rows = session.execute(services.look_past_visit_scope(stmt))
    features = [
        feature(
            row.location,
            {
                "kind": "household",
                "household_id": row.id,
                "head_name": row.head_name,
                "address": row.address,
                "area_id": row.area_id,
                "status": row.status,
                "last_visit_at": _iso(row.last_visit),
                "poverty_return_monitoring": bool(row.monitored),
            },
            row.id,
        )
        for row in rows
    ]
    return collection(features, limit, layer="households")


def areas_layer(
    area: Area,
    period: Period,
    cadence: Cadence,
    bbox: BBox | None,
    limit: int,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The child areas' boundaries with their coverage figures (a choropleth)."""
    figures = {
        row["area_id"]: row for row in services.coverage(area, period, cadence, now)["areas"]
    }
    stmt = (
        select(Area.id, Area.boundary)
        .where(Area.parent_id == area.id)
        .order_by(Area.code)
        .limit(limit + 1)
    )
    if bbox:
        stmt = stmt.where(in_bbox(Area, "boundary", bbox))
    features = [
        feature(row.boundary, {"kind": "area", **figures[row.id]}, row.id)
        for row in session.execute(stmt)
        if row.id in figures
    ]
    return collection(features, limit, layer="areas")


def patrols_layer(area: Area, period: Period, bbox: BBox | None, limit: int) -> dict[str, Any]:
    """Patrol routes (LineStrings) and encounters (Points) in the area and period."""
    place = aliased(Area, name="place")
    in_area = place.path.startswith(area.path)
    routes = (
        select(
            Patrol.id,
            Patrol.route,
            Patrol.mode,
            Patrol.started_at,
            Patrol.ended_at,
            Patrol.route_length_m,
            Patrol.campaign_id,
            Patrol.area_id,
        )
        .join(place, place.id == Patrol.area_id)
        .where(
            in_area,
            Patrol.route.is_not(None),
            Patrol.started_at < period.end,
            or_(Patrol.ended_at.is_(None), Patrol.ended_at >= period.start),
        )
        .order_by(Patrol.started_at.desc(), Patrol.id.desc())
        .limit(limit + 1)
    )
    encounters = (
        select(
            Encounter.id,
            Encounter.location,
            Encounter.patrol_id,
            Encounter.occurred_at,
            Encounter.outcome,
            Encounter.vulnerable,
            Encounter.area_id,
        )
        .join(place, place.id == Encounter.area_id)
        .where(
            and_(
                in_area,
                Encounter.occurred_at >= period.start,
                Encounter.occurred_at < period.end,
            )
        )
        .order_by(Encounter.occurred_at.desc(), Encounter.id.desc())
        .limit(limit + 1)
    )
    if bbox:
        routes = routes.where(in_bbox(Patrol, "route", bbox))
        encounters = encounters.where(in_bbox(Encounter, "location", bbox))
    features = [
        feature(
            row.route,
            {
                "kind": "patrol_route",
                "patrol_id": row.id,
                "mode": row.mode,
                "started_at": _iso(row.started_at),
                "ended_at": _iso(row.ended_at),
                "route_length_m": row.route_length_m,
                "campaign_id": row.campaign_id,
                "area_id": row.area_id,
            },
            f"patrol-{row.id}",
        )
        for row in session.execute(routes)
    ]
    features += [
        feature(
            row.location,
            {
                "kind": "encounter",
                "encounter_id": row.id,
                "patrol_id": row.patrol_id,
                "occurred_at": _iso(row.occurred_at),
                "outcome": row.outcome,
                "vulnerable": bool(row.vulnerable),
                "area_id": row.area_id,
            },
            f"encounter-{row.id}",
        )
        for row in session.execute(encounters)
    ]
    return collection(features, limit, layer="patrols")
