"""Factories for households, visits and programme standards."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from shapely.geometry import Point

from api.areas.models import Area
from api.areas.scope import SYSTEM, set_actor
from api.common.fields import to_db_geometry
from api.common.idnumber import check_character
from api.db import session, utcnow
from api.visits.models import (
    Household,
    HouseholdFocusGroup,
    HouseholdMember,
    HouseholdProgramme,
    ProgrammeStandard,
)
from api.visits.people import id_number_facts

_counter = itertools.count(1)


def household(
    area: Area,
    lon: float = 114.10,
    lat: float = 24.35,
    head_name: str | None = None,
    urban_rural: str = "rural",
    focus_groups: tuple[str, ...] = ("unemployed",),
    programmes: tuple[str, ...] = (),
    head_id_number: str | None = None,
    members: int = 3,
    located: bool = True,
) -> Household:
    """A household of ``members`` people (at least its head, the first member)."""
    set_actor(None, SYSTEM)
    n = next(_counter)
    head = HouseholdMember(
        position=0,
        name=head_name or f"户主{n}",
        relation="head",
        id_number=head_id_number,
        **id_number_facts(head_id_number),
    )
    row = Household(
        area_id=area.id,
        address=f"测试路{n}号",
        location=to_db_geometry(Point(lon, lat)) if located else None,
        urban_rural=urban_rural,
        head_name=head.name,
        head_id_number=head_id_number,
        members=[
            head,
            *(
                HouseholdMember(position=i, name=f"成员{n}-{i}", relation="other")
                for i in range(1, members)
            ),
        ],
        focus_group_rows=[HouseholdFocusGroup(focus_group=g) for g in focus_groups],
        programme_rows=[HouseholdProgramme(programme=p) for p in programmes],
    )
    session.add(row)
    session.flush()
    return row


def standard(
    area: Area,
    amount: float,
    urban_rural: str = "rural",
    valid_from: date = date(2022, 1, 1),
    valid_to: date | None = None,
    programme: str = "dibao",
) -> ProgrammeStandard:
    set_actor(None, SYSTEM)
    row = ProgrammeStandard(
        area_id=area.id,
        programme=programme,
        urban_rural=urban_rural,
        monthly_amount=amount,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    session.add(row)
    session.flush()
    return row


def visit_payload(
    household_id: int | None = None,
    channel: str = "in_person",
    lon: float = 114.10,
    lat: float = 24.35,
    accuracy_m: float | None = 12.5,
    visited_at: datetime | None = None,
    **extra: Any,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "client_uuid": str(uuid.uuid4()),
        "channel": channel,
        "visited_at": (visited_at or utcnow() - timedelta(hours=2)).isoformat(),
        "findings": {"household_size": 3, "monthly_income_total": 3000},
        "needs": ["medical"],
        "notes": "母亲住院",
    }
    if household_id is not None:
        payload["household_id"] = household_id
    if channel == "in_person":
        payload["location"] = {"type": "Point", "coordinates": [lon, lat]}
        payload["accuracy_m"] = accuracy_m
    payload.update(extra)
    return payload


def valid_id_number(number: str) -> str:
    """``number`` (18 characters) with its GB 11643 check character made right."""
    return number[:17] + check_character(number[:17])
