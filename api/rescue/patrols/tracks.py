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

The flags are recomputed over the whole track after each batch, because a late point can
change which of its neighbours is plausible.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from geoalchemy2.shape import from_shape
from shapely.geometry import LineString, Point
from sqlalchemy import func, insert, select, update

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


@dataclass
class Fix:
    """One point as the filter sees it."""

    recorded_at: datetime
    lon: float
    lat: float
    accuracy_m: float | None


def classify(fixes: Sequence[Fix], max_accuracy_m: float, max_speed_kmh: float) -> list[str | None]:
    """For fixes in time order: None for a point of the route, else why it is left out."""
    max_speed_ms = max_speed_kmh / 3.6
    reasons: list[str | None] = []
    last: Fix | None = None
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


def route_of(fixes: Iterable[Fix]) -> tuple[LineString | None, float]:
    """The LineString through ``fixes`` (in order) and its length in metres."""
    coords = [(fix.lon, fix.lat) for fix in fixes]
    if len(coords) < 2:
        return None, 0.0
    length = sum(distance_m(a[0], a[1], b[0], b[1]) for a, b in itertools.pairwise(coords))
    return LineString(coords), length


@dataclass
class AppendResult:
    received: int
    added: int
    duplicates: int


def append_points(
    patrol: Patrol,
    points: Sequence[dict[str, Any]],
    max_accuracy_m: float,
    max_speed_kmh: float,
) -> AppendResult:
    """Store the new points of a batch and redraw the route. Points are dicts with
    ``lon``, ``lat``, ``recorded_at`` (aware) and ``accuracy_m`` (or None)."""
    batch: dict[datetime, dict[str, Any]] = {}
    for point in points:
        batch.setdefault(point["recorded_at"], point)
    stored: set[datetime] = set()
    if batch:
        stored = set(
            session.scalars(
                select(TrackPoint.recorded_at).where(
                    TrackPoint.patrol_id == patrol.id,
                    TrackPoint.recorded_at >= min(batch),
                    TrackPoint.recorded_at <= max(batch),
                )
            )
        )
    new = [point for at, point in sorted(batch.items()) if at not in stored]
    if new:
        session.execute(
            insert(TrackPoint),
            [
                {
                    "patrol_id": patrol.id,
                    "recorded_at": point["recorded_at"],
                    "location": from_shape(Point(point["lon"], point["lat"]), srid=4326),
                    "accuracy_m": point.get("accuracy_m"),
                    "used_in_route": True,
                    "excluded_reason": None,
                }
                for point in new
            ],
        )
        redraw(patrol, max_accuracy_m, max_speed_kmh)
    return AppendResult(received=len(points), added=len(new), duplicates=len(points) - len(new))


def load_fixes(patrol_id: int) -> list[tuple[int, Fix, bool, str | None]]:
    rows = session.execute(
        select(
            TrackPoint.id,
            TrackPoint.recorded_at,
            func.ST_X(TrackPoint.location),
            func.ST_Y(TrackPoint.location),
            TrackPoint.accuracy_m,
            TrackPoint.used_in_route,
            TrackPoint.excluded_reason,
        )
        .where(TrackPoint.patrol_id == patrol_id)
        .order_by(TrackPoint.recorded_at)
    )
    return [
        (row[0], Fix(row[1], float(row[2]), float(row[3]), row[4]), row[5], row[6]) for row in rows
    ]


def redraw(patrol: Patrol, max_accuracy_m: float, max_speed_kmh: float) -> None:
    """Recompute every point's flag and the patrol's route, length and point count."""
    loaded = load_fixes(patrol.id)
    reasons = classify([fix for _, fix, _, _ in loaded], max_accuracy_m, max_speed_kmh)
    changes = [
        {"id": point_id, "used_in_route": reason is None, "excluded_reason": reason}
        for (point_id, _, used, old_reason), reason in zip(loaded, reasons, strict=True)
        if used != (reason is None) or old_reason != reason
    ]
    if changes:
        session.execute(update(TrackPoint), changes)
    line, length = route_of(
        fix for (_, fix, _, _), reason in zip(loaded, reasons, strict=True) if reason is None
    )
    patrol.route = from_shape(line, srid=4326) if line is not None else None
    patrol.route_length_m = round(length, 1)
    patrol.point_count = len(loaded)
    session.flush()
