"""Distances, the presence check of in-person visits, and "near a point" queries.

Distances between two points already in memory are computed here (haversine on the mean
Earth radius: well within a metre at village scale), identically on both back ends. Queries
that filter rows by distance use the database: ``ST_DWithin`` on geography for PostGIS,
``PtDistWithin`` (ellipsoidal metres) for SpatiaLite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from geoalchemy2 import Geography
from geoalchemy2.elements import WKBElement, WKTElement
from geoalchemy2.shape import to_shape
from shapely.geometry import Point
from sqlalchemy import ColumnElement, Table, and_, cast, func
from sqlalchemy.orm import Session

from api.common.spatial import columns_of, in_bbox

EARTH_RADIUS_M = 6_371_008.8


def as_point(value: Any) -> Point | None:
    if value is None:
        return None
    if isinstance(value, (WKBElement, WKTElement)):
        return to_shape(value)
    return value


def distance_m(a: Any, b: Any) -> float | None:
    """Great-circle distance in metres between two points (shapely or DB values)."""
    pa, pb = as_point(a), as_point(b)
    if pa is None or pb is None:
        return None
    lon1, lat1, lon2, lat2 = map(math.radians, (pa.x, pa.y, pb.x, pb.y))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass
class PresenceResult:
    flagged: bool = False
    distance_m: float | None = None
    reasons: list[str] = field(default_factory=list)


def check_presence(
    visit_point: Point | None,
    accuracy_m: float | None,
    household_point: Any,
    max_distance_m: float,
    max_accuracy_m: float,
) -> PresenceResult:
    """Flag an in-person visit far from the household or with poor GPS accuracy.

    A household without a registered location cannot be checked for distance; only the
    accuracy rule applies then.
    """
    result = PresenceResult()
    result.distance_m = distance_m(visit_point, household_point)
    if result.distance_m is not None:
        result.distance_m = round(result.distance_m, 1)
        if result.distance_m > max_distance_m:
            result.reasons.append("far_from_household")
    if accuracy_m is not None and accuracy_m > max_accuracy_m:
        result.reasons.append("poor_accuracy")
    result.flagged = bool(result.reasons)
    return result


def within_distance(
    db_session: Session, rows: type | Table, geometry_attr: str, point: Point, metres: float
) -> ColumnElement[bool]:
    """A SQL condition: the ``geometry_attr`` column of ``rows`` (a mapped class or a
    table; a POINT, SRID 4326) lies within ``metres`` of ``point``.

    The exact test works on the spheroid, which no index serves; a box around the point
    (a little larger than the circle) is tried first, through the spatial index.
    """
    column = getattr(columns_of(rows), geometry_attr)
    target = func.ST_GeomFromText(point.wkt, 4326)
    # Degrees per metre: 1/110,574 along a meridian; along a parallel shrinking with
    # cos(latitude). 10 % spare covers the ellipsoid's variation.
    dlat = 1.1 * metres / 110_574
    dlon = 1.1 * metres / (111_320 * max(math.cos(math.radians(point.y)), 0.01))
    box = in_bbox(
        rows,
        geometry_attr,
        (
            max(point.x - dlon, -180.0),
            max(point.y - dlat, -90.0),
            min(point.x + dlon, 180.0),
            min(point.y + dlat, 90.0),
        ),
    )
    if db_session.get_bind().dialect.name == "postgresql":
        exact = func.ST_DWithin(cast(column, Geography), cast(target, Geography), metres)
    else:
        # SpatiaLite: PtDistWithin(a, b, metres, use_spheroid) on geographic coordinates.
        exact = func.PtDistWithin(column, target, metres, 1) == 1
    return and_(box, exact)
