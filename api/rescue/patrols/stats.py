"""Campaign figures by ISO week (in the county's zone), with the previous campaign of the
same kind beside them, so the trend the county reports on is one call away.

Definitions (per week, and for the whole campaign in ``totals``):

- ``encounters``: sightings recorded on the campaign's patrols;
- ``people``: distinct people met. Encounters linked to a street person count that person
  once; an encounter not linked to anyone counts as one (unidentified) person;
- ``new_people``: people met for the first time ever in the period (their first linked
  encounter of all time falls in it), plus the unidentified encounters;
- ``people_met_again``: linked people met in the period who had been met before it;
  ``people = new_people + people_met_again``;
- ``vulnerable_encounters``, ``aid`` (quantity handed out by kind), ``outcomes`` (count by
  outcome); the totals add ``patrols`` and ``route_length_m``.

The previous campaign is the latest campaign of the same kind and the same area that
started before this one; its weeks are aligned by ``week_index`` (1 = the week the
campaign starts in), since ISO week numbers differ from year to year.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from api.common.county_time import local_midnight
from api.db import session
from api.rescue.patrols.models import AID_KINDS, OUTCOMES, Campaign, Encounter, Patrol

CHANGE_KEYS = ("encounters", "people", "new_people", "people_met_again", "vulnerable_encounters")


@dataclass
class _Row:
    id: int
    local_day: date
    occurred_at: datetime
    person_id: int | None
    vulnerable: bool
    aid: list[Any]
    outcome: str


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _empty() -> dict[str, Any]:
    return {
        "encounters": 0,
        "people": 0,
        "new_people": 0,
        "people_met_again": 0,
        "unidentified_encounters": 0,
        "vulnerable_encounters": 0,
        "aid": dict.fromkeys(AID_KINDS, 0),
        "outcomes": dict.fromkeys(OUTCOMES, 0),
    }


def _figures(rows: list[_Row], period_start: datetime, first_seen: dict[int, datetime]) -> dict:
    figures = _empty()
    people: set[int] = set()
    aid: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    for row in rows:
        figures["encounters"] += 1
        if row.person_id is None:
            figures["unidentified_encounters"] += 1
        else:
            people.add(row.person_id)
        figures["vulnerable_encounters"] += int(row.vulnerable)
        for item in row.aid or []:
            aid[item["kind"]] += int(item.get("quantity") or 0)
        outcomes[row.outcome] += 1
    again = {person for person in people if first_seen[person] < period_start}
    figures["people_met_again"] = len(again)
    figures["new_people"] = len(people - again) + figures["unidentified_encounters"]
    figures["people"] = len(people) + figures["unidentified_encounters"]
    figures["aid"].update(aid)
    figures["outcomes"].update(outcomes)
    return figures


def _rows(campaign: Campaign, tz: ZoneInfo) -> list[_Row]:
    result = session.execute(
        select(
            Encounter.id,
            Encounter.occurred_at,
            Encounter.street_person_id,
            Encounter.vulnerable,
            Encounter.aid,
            Encounter.outcome,
        )
        .join(Patrol, Patrol.id == Encounter.patrol_id)
        .where(Patrol.campaign_id == campaign.id)
        .order_by(Encounter.occurred_at)
    )
    return [
        _Row(r[0], r[1].astimezone(tz).date(), r[1], r[2], bool(r[3]), r[4] or [], r[5])
        for r in result
    ]


def _first_seen(person_ids: set[int]) -> dict[int, datetime]:
    if not person_ids:
        return {}
    # When someone was first met is a fact about the person, whoever recorded it: earlier
    # sightings outside the caller's area still make them "met again", not "new".
    return dict(
        session.execute(
            select(Encounter.street_person_id, func.min(Encounter.occurred_at))
            .where(Encounter.street_person_id.in_(person_ids))
            .group_by(Encounter.street_person_id)
            .execution_options(skip_scope=True)
        ).all()
    )


def campaign_figures(campaign: Campaign, timezone: str) -> dict[str, Any]:
    tz = ZoneInfo(timezone)
    rows = _rows(campaign, tz)
    first_seen = _first_seen({row.person_id for row in rows if row.person_id is not None})
    first_monday = _monday(campaign.starts_on)
    weeks = []
    monday = first_monday
    while monday <= campaign.ends_on:
        sunday = monday + timedelta(days=6)
        week_rows = [row for row in rows if monday <= row.local_day <= sunday]
        iso = monday.isocalendar()
        weeks.append(
            {
                "week": f"{iso.year}-W{iso.week:02d}",
                "week_index": (monday - first_monday).days // 7 + 1,
                "starts_on": max(monday, campaign.starts_on).isoformat(),
                "ends_on": min(sunday, campaign.ends_on).isoformat(),
                **_figures(week_rows, local_midnight(monday, tz), first_seen),
            }
        )
        monday += timedelta(days=7)
    totals = _figures(rows, local_midnight(campaign.starts_on, tz), first_seen)
    patrols, length = session.execute(
        select(func.count(Patrol.id), func.coalesce(func.sum(Patrol.route_length_m), 0.0)).where(
            Patrol.campaign_id == campaign.id
        )
    ).one()
    totals["patrols"] = patrols
    totals["route_length_m"] = round(float(length), 1)
    return {"totals": totals, "weeks": weeks}


def _summary(campaign: Campaign) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "kind": campaign.kind,
        "name": campaign.name,
        "starts_on": campaign.starts_on.isoformat(),
        "ends_on": campaign.ends_on.isoformat(),
        "area_id": campaign.area_id,
        "supplies_planned": campaign.supplies_planned or {},
    }


def previous_campaign(campaign: Campaign) -> Campaign | None:
    return session.scalar(
        select(Campaign)
        .where(
            Campaign.kind == campaign.kind,
            Campaign.area_id == campaign.area_id,
            Campaign.starts_on < campaign.starts_on,
            Campaign.id != campaign.id,
        )
        .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
        .limit(1)
    )


def campaign_stats(campaign: Campaign, timezone: str) -> dict[str, Any]:
    current = campaign_figures(campaign, timezone)
    result: dict[str, Any] = {"campaign": _summary(campaign), **current}
    before = previous_campaign(campaign)
    if before is None:
        result["previous"] = None
        result["change"] = None
        return result
    previous = campaign_figures(before, timezone)
    result["previous"] = {"campaign": _summary(before), **previous}
    result["change"] = {
        key: current["totals"][key] - previous["totals"][key] for key in CHANGE_KEYS
    }
    return result
