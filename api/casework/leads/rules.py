"""Where a lead goes and how its answer is running: plain functions over plain values.

Routing: a person on the street goes to the rescue centre's queue (the centre is
county-level); a village's lead to its town; a town's to the town; anything else — the
county named, or nothing — to a town or village whose name the free address contains,
else to the county's own queue.

Response status, measured against ``respond_by`` (created + the channel's contact time):
``on_track``, ``at_risk`` once ``AT_RISK_SHARE`` of the time has gone by without a first
contact, ``breached`` when the first contact came (or has not come) by then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

AT_RISK_SHARE = 0.75
RESPONSE_STATUSES = ("on_track", "at_risk", "breached")


@dataclass(frozen=True)
class AreaFacts:
    id: int
    level: str  # county, town, village
    name: str
    parent_id: int | None


@dataclass(frozen=True)
class Route:
    area_id: int
    queue: str  # town, county, rescue_centre


def town_of(area: AreaFacts) -> int | None:
    """The town an area lies in: itself, or a village's parent."""
    if area.level == "town":
        return area.id
    if area.level == "village":
        return area.parent_id
    return None


def match_address(address: str | None, places: Sequence[AreaFacts]) -> AreaFacts | None:
    """The village or town of the county whose name the free address contains: the
    longest name wins (a village's over its town's), ties by id."""
    if not address:
        return None
    found = [p for p in places if p.level in ("town", "village") and p.name and p.name in address]
    if not found:
        return None
    return max(found, key=lambda p: (len(p.name), p.level == "village", -p.id))


def route(
    county_id: int,
    reported: AreaFacts | None,
    address: str | None,
    places: Sequence[AreaFacts],
    street_person: bool,
) -> Route:
    """The area and queue a lead goes to (``places``: the county's towns and villages)."""
    if street_person:
        return Route(county_id, "rescue_centre")
    town = town_of(reported) if reported is not None else None
    if town is None:
        matched = match_address(address, places)
        town = town_of(matched) if matched is not None else None
    if town is None:
        return Route(county_id, "county")
    return Route(town, "town")


def respond_by(
    created_at: datetime, urgency: str, urgent_hours: int, normal_hours: int
) -> datetime:
    return created_at + timedelta(hours=urgent_hours if urgency == "urgent" else normal_hours)


def at_risk_at(created_at: datetime, respond_by_at: datetime) -> datetime:
    return created_at + (respond_by_at - created_at) * AT_RISK_SHARE


def response_status(
    created_at: datetime,
    respond_by_at: datetime,
    first_contact_at: datetime | None,
    now: datetime,
) -> str:
    """on_track / at_risk / breached, at ``now`` (or as it stood at the first contact)."""
    moment = first_contact_at or now
    if moment >= respond_by_at:
        return "breached"
    if first_contact_at is not None:
        return "on_track"
    if moment >= at_risk_at(created_at, respond_by_at):
        return "at_risk"
    return "on_track"
