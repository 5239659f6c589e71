"""A patrol's GPS track: points kept in time order without duplicates, the plausibility
filter, and the drawn route (a LineString of the plausible points) with its length.

Phones send points late, out of order and more than once. A point is identified by its
patrol and its time (``recorded_at``): a second point at the same time is a duplicate and
is dropped (the first one stored wins). Every point is kept; the filter only decides which
ones the route is drawn through:

- ``poor_accuracy``: the phone's accuracy estimate is worse than ``TRACK_MAX_ACCURACY_M``;
- ``implausible_speed``: reaching it from the previous point of the route would need more
  than ``PATROL_MAX_SPEED_KMH``. The comparison is with the last *kept* point, so a single
  wild fix is dropped and the route continues from where the patrol really was.

A point's flag depends only on the last kept point before it, so a batch can change the
flags from its earliest point onwards and never before. Each batch therefore reclassifies
only that tail: the last kept point before the batch (the anchor), then the stored points
from the batch's earliest time, merged with the new ones. The route keeps its coordinates
up to the anchor and is redrawn from there; a batch that continues the track (the common
case) reads no stored point at all. What a batch redrew (the route's vertices from the
first one it changed) is what the append answers: the whole route is only on a read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

import numpy as np
import shapely
from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import LargeBinary, bindparam, func, insert, literal, select, text, update

from api.common.fields import to_ewkb
from api.db import session
from api.rescue.patrols.models import Patrol, TrackPoint

EARTH_RADIUS_M = 6_371_008.8


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine on the mean Earth radius)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlam = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def length_m(coords: np.ndarray) -> float:
    """The length in metres of a line through ``coords`` (an n×2 array of lon, lat): the
    sum of ``distance_m`` over its segments, computed for the whole line at once."""
    if len(coords) < 2:
        return 0.0
    return float(segment_lengths_m(coords).sum())


def segment_lengths_m(coords: np.ndarray) -> np.ndarray:
    """``distance_m`` of each segment of a line through ``coords`` (n×2, lon, lat)."""
    phi = np.radians(coords[:, 1])
    dlam = np.radians(np.diff(coords[:, 0]))
    a = np.sin(np.diff(phi) / 2) ** 2 + np.cos(phi[:-1]) * np.cos(phi[1:]) * np.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))


@dataclass
class Fix:
    """One point as the filter sees it."""

    recorded_at: datetime
    lon: float
    lat: float
    accuracy_m: float | None


def classify(
    fixes: Sequence[Fix], max_accuracy_m: float, max_speed_kmh: float, last: Fix | None = None
) -> list[str | None]:
    """For fixes in time order: None for a point of the route, else why it is left out.
    ``last`` is the kept point just before the first fix (None at the track's start)."""
    max_speed_ms = max_speed_kmh / 3.6
    if len(fixes) > 1 and _all_plausible(fixes, max_accuracy_m, max_speed_ms, last):
        return [None] * len(fixes)
    reasons: list[str | None] = []
    for fix in fixes:
        if fix.accuracy_m is not None and fix.accuracy_m > max_accuracy_m:
            reasons.append("poor_accuracy")
            continue
        if last is not None:
            seconds = (fix.recorded_at - last.recorded_at).total_seconds()
            metres = distance_m(last.lon, last.lat, fix.lon, fix.lat)
            # Same second, different place: no finite speed explains it (a few metres of
            # jitter are let through).
            too_fast = metres > 5.0 if seconds <= 0 else metres / seconds > max_speed_ms
            if too_fast:
                reasons.append("implausible_speed")
                continue
        reasons.append(None)
        last = fix
    return reasons


def _all_plausible(
    fixes: Sequence[Fix], max_accuracy_m: float, max_speed_ms: float, last: Fix | None
) -> bool:
    """Whether every fix passes the filter against the one just before it, computed for
    all at once. Then none is left out, each one's last kept point is the one before it,
    and ``classify``'s loop would keep them all (the usual batch of a walking patrol)."""
    if any(f.accuracy_m is not None and f.accuracy_m > max_accuracy_m for f in fixes):
        return False
    chain = [last, *fixes] if last is not None else list(fixes)
    metres = segment_lengths_m(np.array([(f.lon, f.lat) for f in chain], dtype=float))
    seconds = np.array(
        [
            (after.recorded_at - before.recorded_at).total_seconds()
            for before, after in pairwise(chain)
        ]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        too_fast = np.where(seconds <= 0, metres > 5.0, metres / seconds > max_speed_ms)
    return not too_fast.any()


@dataclass
class StoredPoint:
    id: int
    fix: Fix
    excluded_reason: str | None


@dataclass
class AppendResult:
    received: int
    added: int
    duplicates: int
    # The route's vertices (the kept points, in time order) from index ``route_from`` on,
    # as this batch redrew them; ``kept`` is how many there are in all, None when the
    # batch changed nothing and the route holds fewer than two of them (not counted then).
    route_from: int | None = None
    route_tail: list[tuple[float, float]] = field(default_factory=list)
    kept: int | None = None


def append_points(
    patrol: Patrol,
    points: Sequence[dict[str, Any]],
    max_accuracy_m: float,
    max_speed_kmh: float,
) -> AppendResult:
    """Store the new points of a batch, reclassify the track from the batch's earliest
    point and redraw the route from there. Points are dicts with ``lon``, ``lat``,
    ``recorded_at`` (aware) and ``accuracy_m`` (or None). The caller holds the patrol's
    row lock, so no other batch of this patrol is stored meanwhile."""
    batch: dict[datetime, dict[str, Any]] = {}
    for point in points:
        batch.setdefault(point["recorded_at"], point)
    since = min(batch)
    anchor, stored = load_tail(patrol.id, since)
    taken = {point.fix.recorded_at for point in stored}
    new = [
        Fix(at, point["lon"], point["lat"], point.get("accuracy_m"))
        for at, point in sorted(batch.items())
        if at not in taken
    ]
    result = AppendResult(received=len(points), added=len(new), duplicates=len(points) - len(new))
    if not new:
        # Nothing redrawn: the route's vertex count is its kept points' count.
        kept = len(_coordinates(patrol.route)) if patrol.route is not None else None
        result.route_from = result.kept = kept
        return result
    tail = sorted([point.fix for point in stored] + new, key=lambda fix: fix.recorded_at)
    reasons = dict(
        zip(
            (fix.recorded_at for fix in tail),
            classify(tail, max_accuracy_m, max_speed_kmh, anchor),
            strict=True,
        )
    )
    _insert(patrol.id, new, reasons)
    changed = [
        {
            "id": point.id,
            "used_in_route": reasons[point.fix.recorded_at] is None,
            "excluded_reason": reasons[point.fix.recorded_at],
        }
        for point in stored
        if reasons[point.fix.recorded_at] != point.excluded_reason
    ]
    if changed:
        session.execute(update(TrackPoint), changed)
    kept_tail = [(fix.lon, fix.lat) for fix in tail if reasons[fix.recorded_at] is None]
    result.route_from = _redraw(patrol, anchor, stored, kept_tail)
    result.route_tail = kept_tail
    result.kept = result.route_from + len(kept_tail)
    patrol.point_count += len(new)
    session.flush()
    return result


# One statement for the whole batch on PostgreSQL, each column one array literal: an
# executemany is a round trip per row, a multi-row VALUES or list parameters cost the
# driver more than the insert itself, and a JSON text of objects costs more to write here
# and to read there than arrays of plain values.
_INSERT_ARRAYS = text(
    """
    INSERT INTO track_points
        (patrol_id, recorded_at, location, accuracy_m, used_in_route, excluded_reason)
    SELECT :patrol_id, p.recorded_at, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326),
           p.accuracy_m, p.excluded_reason IS NULL, p.excluded_reason
    FROM unnest(
        CAST(:recorded_at AS timestamptz[]), CAST(:lon AS float8[]), CAST(:lat AS float8[]),
        CAST(:accuracy_m AS float8[]), CAST(:excluded_reason AS text[])
    ) AS p(recorded_at, lon, lat, accuracy_m, excluded_reason)
    """
)


def _array_literal(values: list[Any]) -> str:
    """A PostgreSQL array literal of values whose str() needs no quoting: numbers (str()
    of a float is its shortest exact form), ISO 8601 times, the exclusion reasons. None
    is NULL."""
    return "{" + ",".join(["NULL" if value is None else str(value) for value in values]) + "}"


def _insert(patrol_id: int, fixes: list[Fix], reasons: dict[datetime, str | None]) -> None:
    if session.get_bind().dialect.name == "postgresql":
        columns = {
            "recorded_at": _array_literal([fix.recorded_at.isoformat() for fix in fixes]),
            "lon": _array_literal([fix.lon for fix in fixes]),
            "lat": _array_literal([fix.lat for fix in fixes]),
            "accuracy_m": _array_literal([fix.accuracy_m for fix in fixes]),
            "excluded_reason": _array_literal([reasons[fix.recorded_at] for fix in fixes]),
        }
        session.execute(_INSERT_ARRAYS, {"patrol_id": patrol_id, **columns})
        return
    # SQLite: an executemany stays in process, so it is cheap.
    session.execute(
        insert(TrackPoint.__table__).values(
            location=func.MakePoint(bindparam("lon"), bindparam("lat"), 4326)
        ),
        [
            {
                "patrol_id": patrol_id,
                "recorded_at": fix.recorded_at,
                "lon": fix.lon,
                "lat": fix.lat,
                "accuracy_m": fix.accuracy_m,
                "used_in_route": reasons[fix.recorded_at] is None,
                "excluded_reason": reasons[fix.recorded_at],
            }
            for fix in fixes
        ],
    )


def _redraw(
    patrol: Patrol,
    anchor: Fix | None,
    stored: list[StoredPoint],
    kept_tail: list[tuple[float, float]],
) -> int:
    """Set the route to its part up to the anchor (unchanged) followed by ``kept_tail``
    (lon, lat of the kept points from the batch's earliest on), and its length; returns
    the index of the first vertex redrawn. The route's coordinates are the kept points in
    time order, so the part up to the anchor is the route less the stored points of the
    tail it held."""
    if patrol.route is not None:
        coords = _coordinates(patrol.route)
        held = sum(1 for point in stored if point.excluded_reason is None)
        head = coords[: len(coords) - held]
    else:
        # Fewer than two kept points so far: the anchor, if any, is the only one.
        head = np.array([[anchor.lon, anchor.lat]] if anchor else [], dtype=float).reshape(-1, 2)
    coords = np.concatenate([head, np.array(kept_tail, dtype=float).reshape(-1, 2)])
    patrol.route = _route_value(shapely.linestrings(coords)) if len(coords) >= 2 else None
    patrol.route_length_m = round(length_m(coords), 1)
    return len(head)


def _route_value(line: shapely.LineString) -> Any:
    """The route as the UPDATE sends it. PostgreSQL gets binary extended WKB: the column's
    own binding sends it as hex text, twice the bytes, which PostGIS then decodes (≈ 3 ms
    at 10,000 vertices). SQLite: the column's binding (plain WKB would go as WKT)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.ST_GeomFromEWKB(literal(to_ewkb(line), LargeBinary))
    return from_shape(line, srid=4326, extended=True)


def _coordinates(route: Any) -> np.ndarray:
    """A stored route's vertices as an n×2 array of lon, lat."""
    return shapely.get_coordinates(to_shape(route))


def route_geojson(route: Any) -> dict[str, Any] | None:
    """A stored route as a GeoJSON LineString, its coordinates read as one array (shapely's
    ``mapping`` goes vertex by vertex)."""
    if route is None:
        return None
    coords = _coordinates(route)
    # (lon, lat) tuples, not lists: the garbage collector stops tracking a tuple of floats,
    # while ten thousand lists alive until the answer is written bring on a collection of
    # the whole heap every few batches.
    lon, lat = coords[:, 0].tolist(), coords[:, 1].tolist()
    return {"type": "LineString", "coordinates": list(zip(lon, lat, strict=True))}


def load_points(patrol_id: int) -> list[StoredPoint]:
    """The patrol's stored points in time order."""
    return _points(patrol_id, None)


def load_tail(patrol_id: int, since: datetime) -> tuple[Fix | None, list[StoredPoint]]:
    """The last kept point recorded before ``since`` (the anchor, or None) and the stored
    points from ``since`` on, in time order, in one query."""
    anchor_at = (
        select(func.max(TrackPoint.recorded_at))
        .where(
            TrackPoint.patrol_id == patrol_id,
            TrackPoint.recorded_at < since,
            TrackPoint.used_in_route,
        )
        .scalar_subquery()
    )
    # Typed, so that SQLite compares it with the stored times as the same kind of text.
    since_value = literal(since, TrackPoint.__table__.c.recorded_at.type)
    points = _points(patrol_id, func.coalesce(anchor_at, since_value))
    if points and points[0].fix.recorded_at < since:
        return points[0].fix, points[1:]
    return None, points


def _points(patrol_id: int, since: Any) -> list[StoredPoint]:
    stmt = select(
        TrackPoint.id,
        TrackPoint.recorded_at,
        func.ST_X(TrackPoint.location),
        func.ST_Y(TrackPoint.location),
        TrackPoint.accuracy_m,
        TrackPoint.excluded_reason,
    ).where(TrackPoint.patrol_id == patrol_id)
    if since is not None:
        stmt = stmt.where(TrackPoint.recorded_at >= since)
    return [
        StoredPoint(row[0], Fix(row[1], float(row[2]), float(row[3]), row[4]), row[5])
        for row in session.execute(stmt.order_by(TrackPoint.recorded_at))
    ]
