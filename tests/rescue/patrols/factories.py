"""Factories for patrol data: they go through the domain's services (as SYSTEM) and flush."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shapely.geometry import Point

from api.areas.models import Area
from api.areas.scope import SYSTEM, set_actor
from api.rescue.patrols import services
from api.rescue.patrols.models import Campaign, Encounter, Patrol, StreetPerson

_counter = itertools.count(1)
SETTINGS = services.PatrolSettings()


def campaign(
    area: Area,
    kind: str = "summer_cooling",
    starts_on: date = date(2026, 7, 1),
    ends_on: date = date(2026, 8, 31),
    **extra: Any,
) -> Campaign:
    set_actor(None, SYSTEM)
    return services.create_campaign(
        {
            "kind": kind,
            "name": extra.pop("name", f"测试行动{next(_counter)}"),
            "starts_on": starts_on,
            "ends_on": ends_on,
            "area_id": area.id,
            **extra,
        }
    )


def patrol(
    area: Area,
    started_at: datetime = datetime(2026, 7, 6, 20, 0, tzinfo=UTC),
    campaign: Campaign | None = None,
    team: list[int] | None = None,
    **extra: Any,
) -> Patrol:
    set_actor(None, SYSTEM)
    created, _ = services.create_patrol(
        {
            "client_uuid": uuid.uuid4(),
            "campaign_id": campaign.id if campaign else None,
            "area_id": area.id,
            "mode": extra.pop("mode", "on_foot"),
            "started_at": started_at,
            "team_ids": team or [],
            **extra,
        },
        SETTINGS,
    )
    return created


def street_person(area: Area, alias: str | None = None, **extra: Any) -> StreetPerson:
    set_actor(None, SYSTEM)
    return services.create_street_person(
        {"alias": alias or f"无名氏{next(_counter)}", "area_id": area.id, **extra}
    )


def encounter(
    on: Patrol,
    occurred_at: datetime | None = None,
    location: tuple[float, float] = (114.131, 24.351),
    outcome: str = "accepted_aid",
    person: StreetPerson | None = None,
    **extra: Any,
) -> Encounter:
    set_actor(None, SYSTEM)
    created, _ = services.create_encounter(
        on.id,
        {
            "client_uuid": uuid.uuid4(),
            "occurred_at": occurred_at or on.started_at + timedelta(minutes=30),
            "location": Point(*location),
            "outcome": outcome,
            "street_person_id": person.id if person else None,
            **extra,
        },
        SETTINGS,
    )
    return created


def iso(moment: datetime) -> str:
    return moment.isoformat()
