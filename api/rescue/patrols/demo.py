"""Demo patrols in 龙仙镇, the county seat: campaigns, patrols with GPS tracks along the
town's streets, people met and linked to street-people records.

Adds to the seeding context, for the seeders that run later:

- ``context["campaigns"]``: {"summer_2025", "winter_2024", "winter_2025", "summer_2026"} ->
  Campaign;
- ``context["patrols"]``: list of Patrol, oldest first;
- ``context["street_people"]``: alias -> StreetPerson;
- ``context["encounters"]``: key -> Encounter; among them ``"escorted"`` (an encounter
  escorted to the centre, not yet admitted), ``"hospital"`` (sent to hospital) and
  ``"refused_cold"`` (a vulnerable elderly man who refused help in the cold).
"""

from __future__ import annotations

import itertools
import math
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shapely.geometry import Point

from api.rescue.patrols import services, tracks
from api.rescue.patrols.models import Encounter, Patrol

SH = ZoneInfo("Asia/Shanghai")
SETTINGS = services.PatrolSettings()
# A fixed namespace keeps the demo's client_uuids stable from one seeding to the next.
_NAMESPACE = uuid.UUID("6d1c5e1a-7c53-4d0e-9b5e-3a1f2f0c0d04")

# Street polylines of the demo county seat (lon, lat), around 114.13, 24.35.
STREETS = {
    # 建设路, north-south through the centre
    "jianshe": [(114.1262, 24.3428), (114.1271, 24.3475), (114.1280, 24.3522), (114.1286, 24.3571)],
    # 环城东路 round to the bus station
    "huancheng": [
        (114.1286, 24.3571),
        (114.1335, 24.3580),
        (114.1378, 24.3552),
        (114.1392, 24.3501),
    ],
    # 滨江路 along the river, back west
    "binjiang": [
        (114.1392, 24.3501),
        (114.1350, 24.3462),
        (114.1298, 24.3440),
        (114.1262, 24.3428),
    ],
}


def _uuid(key: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, key)


def _walk(route: list[tuple[float, float]], start: datetime, speed_ms: float) -> list[dict]:
    """Points every 20 s along ``route`` at ``speed_ms``."""
    points: list[dict[str, Any]] = []
    moment = start
    for (lon0, lat0), (lon1, lat1) in itertools.pairwise(route):
        metres = tracks.distance_m(lon0, lat0, lon1, lat1)
        steps = max(1, math.ceil(metres / (speed_ms * 20)))
        for step in range(steps):
            f = step / steps
            points.append(
                {
                    "lon": round(lon0 + (lon1 - lon0) * f, 6),
                    "lat": round(lat0 + (lat1 - lat0) * f, 6),
                    "recorded_at": moment,
                    "accuracy_m": 8.0 + (step % 5),
                }
            )
            moment += timedelta(seconds=20)
    lon, lat = route[-1]
    points.append({"lon": lon, "lat": lat, "recorded_at": moment, "accuracy_m": 9.0})
    return points


def _patrol(
    key: str,
    campaign_id: int | None,
    area_id: int,
    team: list[int],
    start: datetime,
    mode: str,
    streets: list[str],
    summary: str,
) -> Patrol:
    route = [point for name in streets for point in STREETS[name]]
    # Slow: the team stops, looks under bridges and talks to people.
    speed = 3.0 if mode == "vehicle" else 0.8
    points = _walk(route, start, speed)
    # One fix from a phone that lost its GPS: kept, but left out of the drawn route.
    middle = points[len(points) // 2]
    points.append(
        {
            "lon": middle["lon"] + 0.05,
            "lat": middle["lat"],
            "recorded_at": middle["recorded_at"] + timedelta(seconds=5),
            "accuracy_m": 15.0,
        }
    )
    patrol, _ = services.create_patrol(
        {
            "client_uuid": _uuid(key),
            "campaign_id": campaign_id,
            "area_id": area_id,
            "mode": mode,
            "started_at": start,
            "team_ids": team,
        },
        SETTINGS,
    )
    tracks.append_points(patrol, points, SETTINGS.max_accuracy_m, SETTINGS.max_speed_kmh)
    services.update_patrol(
        patrol.id,
        {
            "ended_at": max(
                points[-1]["recorded_at"] + timedelta(minutes=5), start + timedelta(hours=2)
            ),
            "summary": summary,
        },
        SETTINGS,
    )
    return patrol


def _meet(key: str, patrol: Patrol, minutes: int, street: str, index: int, **data: Any):
    lon, lat = STREETS[street][index]
    encounter, _ = services.create_encounter(
        patrol.id,
        {
            "client_uuid": _uuid(key),
            "occurred_at": patrol.started_at + timedelta(minutes=minutes),
            "location": Point(lon + 0.0002, lat + 0.0001),
            "accuracy_m": 10.0,
            **data,
        },
        SETTINGS,
        notify=False,
    )
    return encounter


def seed(context: dict[str, Any]) -> None:
    areas = context["areas"]
    county, town = areas.county, areas.towns["龙仙镇"]
    rescue = context["users"]["demo-rescue"]
    team = [rescue.id]

    def campaign(kind: str, name: str, starts: date, ends: date, supplies: dict[str, int]):
        return services.create_campaign(
            {
                "kind": kind,
                "name": name,
                "starts_on": starts,
                "ends_on": ends,
                "area_id": county.id,
                "supplies_planned": supplies,
            }
        )

    campaigns = {
        "winter_2024": campaign(
            "winter_warmth", "2024-2025年寒冬送温暖专项救助行动",
            date(2024, 12, 1), date(2025, 2, 28), {"quilt": 200, "clothing": 300, "hot_meal": 500},
        ),
        "summer_2025": campaign(
            "summer_cooling", "2025年夏季送清凉专项救助行动",
            date(2025, 6, 15), date(2025, 9, 15), {"water": 1500, "heat_relief": 400, "food": 600},
        ),
        "winter_2025": campaign(
            "winter_warmth", "2025-2026年寒冬送温暖专项救助行动",
            date(2025, 12, 1), date(2026, 2, 28), {"quilt": 300, "clothing": 400, "hot_meal": 800},
        ),
        "summer_2026": campaign(
            "summer_cooling", "2026年夏季送清凉专项救助行动",
            date(2026, 6, 15), date(2026, 9, 15), {"water": 2000, "heat_relief": 500, "food": 800},
        ),
    }  # fmt: skip

    people = {
        alias: services.create_street_person(
            {"alias": alias, "sex": sex, "approximate_age": age, "description": text},
            area_id=town.id,
        )
        for alias, sex, age, text in [
            ("桥头老伯", "male", 68, "常在建设路桥头，讲客家话，左腿行动不便"),
            ("车站阿姨", "female", 52, "汽车站候车厅附近，精神状况欠佳"),
            ("滨江少年", "male", 15, "滨江路一带，自称从外省来找工作"),
            ("菜市场老人", "male", 76, "菜市场屋檐下过夜"),
        ]
    }

    def at(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
        return datetime(y, m, d, hh, mm, tzinfo=SH)

    patrols = [
        _patrol(
            "winter-2024-1", campaigns["winter_2024"].id, town.id, team,
            at(2025, 1, 15, 20), "vehicle", ["jianshe", "huancheng"], "城区夜巡，发放棉被",
        ),
        _patrol(
            "summer-2025-1", campaigns["summer_2025"].id, town.id, team,
            at(2025, 7, 16, 14), "on_foot", ["jianshe", "huancheng", "binjiang"], "午后高温巡查",
        ),
        _patrol(
            "winter-2025-1", campaigns["winter_2025"].id, town.id, team,
            at(2026, 1, 12, 20), "vehicle", ["jianshe", "huancheng", "binjiang"], "寒潮夜巡",
        ),
        _patrol(
            "winter-2025-2", campaigns["winter_2025"].id, town.id, team,
            at(2026, 1, 26, 21), "vehicle", ["binjiang", "jianshe"], "春节前夜巡",
        ),
        _patrol(
            "summer-2026-1", campaigns["summer_2026"].id, town.id, team,
            at(2026, 7, 8, 14), "on_foot", ["jianshe", "huancheng"], "高温天气送清凉",
        ),
        _patrol(
            "summer-2026-2", campaigns["summer_2026"].id, town.id, team,
            at(2026, 7, 22, 15), "on_foot", ["huancheng", "binjiang"], "滨江路巡查",
        ),
    ]  # fmt: skip
    p_w24, p_s25, p_w25a, p_w25b, p_s26a, p_s26b = patrols

    def aid(**quantities: int) -> list[dict[str, Any]]:
        return [{"kind": kind, "quantity": qty} for kind, qty in quantities.items()]

    old_man, station, teen, market = (people[a] for a in people)
    encounters: dict[str, Encounter] = {
        "w24_oldman": _meet(
            "w24-oldman", p_w24, 10, "jianshe", 1, sex="male", approximate_age=68,
            street_person_id=old_man.id, aid=aid(quilt=1, hot_meal=1), outcome="accepted_aid",
            vulnerable=True, vulnerability_kinds=["elderly", "cold_danger"], language="客家话",
        ),
        "s25_station": _meet(
            "s25-station", p_s25, 25, "huancheng", 1, sex="female", approximate_age=52,
            street_person_id=station.id, aid=aid(water=2, heat_relief=1), outcome="accepted_aid",
            condition="中暑迹象",
            vulnerable=True, vulnerability_kinds=["mentally_ill", "heat_danger"],
        ),
        "refused_cold": _meet(
            "w25-oldman", p_w25a, 8, "jianshe", 1, sex="male", approximate_age=68,
            street_person_id=old_man.id, aid=aid(clothing=1), outcome="refused_aid",
            condition="衣着单薄，拒绝入站", vulnerable=True,
            vulnerability_kinds=["elderly", "cold_danger"], language="客家话",
        ),
        "escorted": _meet(
            "w25-teen", p_w25a, 40, "binjiang", 1, sex="male", approximate_age=15,
            street_person_id=teen.id, aid=aid(hot_meal=1, quilt=1), outcome="escorted_to_centre",
            gave_name=True, name="李小明", language="普通话", vulnerable=True,
            vulnerability_kinds=["minor", "cold_danger"],
        ),
        "hospital": _meet(
            "w25-market", p_w25b, 15, "jianshe", 2, sex="male", approximate_age=76,
            street_person_id=market.id, aid=aid(hot_meal=1), outcome="sent_to_hospital",
            condition="发热咳嗽", vulnerable=True, vulnerability_kinds=["elderly"],
        ),
        "w25_police": _meet(
            "w25-unknown", p_w25b, 30, "binjiang", 2, sex="male", approximate_age=40,
            aid=aid(hot_meal=1), outcome="handed_to_police", condition="醉酒",
        ),
        "s26_station": _meet(
            "s26-station", p_s26a, 20, "huancheng", 1, sex="female", approximate_age=52,
            street_person_id=station.id, aid=aid(water=3, heat_relief=1, food=1),
            outcome="referred_to_town", vulnerable=True, vulnerability_kinds=["mentally_ill"],
        ),
        "s26_home": _meet(
            "s26-traveller", p_s26b, 25, "binjiang", 1, sex="male", approximate_age=35,
            aid=aid(water=2, food=1), outcome="returned_home", gave_name=True, name="王建国",
            notes="购票返乡",
        ),
        "s26_oldman": _meet(
            "s26-oldman", p_s26b, 50, "binjiang", 3, sex="male", approximate_age=68,
            street_person_id=old_man.id, aid=aid(water=2), outcome="accepted_aid",
            vulnerable=True, vulnerability_kinds=["elderly", "heat_danger"],
        ),
    }  # fmt: skip

    context["campaigns"] = campaigns
    context["patrols"] = patrols
    context["street_people"] = people
    context["encounters"] = encounters
