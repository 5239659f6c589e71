"""Demo households, programme standards and a few months of visits.

Adds ``context["households"]`` (list of Household) for the seeders that run later.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from typing import Any

from flask import current_app
from shapely.geometry import Point
from shapely.wkb import loads as load_wkb

from api.areas.scope import SYSTEM, Actor, set_actor
from api.common.fields import to_db_geometry
from api.common.idnumber import check_character
from api.db import session, utcnow
from api.visits import services
from api.visits.coverage import summary
from api.visits.models import (
    FOCUS_GROUPS,
    Household,
    HouseholdFocusGroup,
    HouseholdMember,
    HouseholdProgramme,
    ProgrammeStandard,
)

SURNAMES = "陈李张黄刘罗邓曾温朱"
GIVEN = ["伟", "芳", "秀英", "建国", "桂兰", "志强", "丽", "海", "金凤", "国华"]


def _centre(area: Any) -> tuple[float, float]:
    shape = load_wkb(bytes(area.boundary.data))
    return shape.centroid.x, shape.centroid.y


# (relation, years after the head's birth, same sex as the head?) of the members after the
# head, in the order a household is filled.
_FAMILY = (("spouse", 2, False), ("child", 26, None), ("parent", -25, None))
# 翁源县's division code: demo ID numbers are well-formed, and fictitious.
_DIVISION = "440229"


def _members(rng: random.Random, surname: str) -> list[HouseholdMember]:
    """One to four people, the head first; sex and birth date as their ID numbers say
    (a fifth of them have no ID number on record)."""
    head_sex = rng.choice(("male", "female"))
    head_year = rng.randint(1945, 1990)
    out = []
    for position in range(rng.randint(1, 4)):
        if position == 0:
            relation, year, sex = "head", head_year, head_sex
        else:
            relation, offset, same = _FAMILY[position - 1]
            year = min(head_year + offset + rng.randint(-3, 3), 2020)
            other = "female" if head_sex == "male" else "male"
            sex = rng.choice(("male", "female")) if same is None else (head_sex if same else other)
        born = date(year, rng.randint(1, 12), rng.randint(1, 28))
        family_name = surname if relation in ("head", "child") else rng.choice(SURNAMES)
        member = HouseholdMember(
            position=position,
            name=family_name + rng.choice(GIVEN),
            relation=relation,
            sex=sex,
            birth_date=born,
            birth_year=born.year,
        )
        if rng.random() < 0.8:
            sequence = rng.randrange(0, 999, 2) + (1 if sex == "male" else 0)
            first17 = f"{_DIVISION}{born:%Y%m%d}{sequence:03d}"
            member.id_number = first17 + check_character(first17)
        out.append(member)
    return out


def seed(context: dict[str, Any]) -> None:
    rng = random.Random(440229)  # noqa: S311  (demo data, not security)
    areas = context["areas"]
    for urban_rural, amount in (("urban", 828), ("rural", 603)):
        for programme, factor in (("dibao", 1.0), ("extreme_poverty", 1.6)):
            session.add(
                ProgrammeStandard(
                    area_id=areas.county.id,
                    programme=programme,
                    urban_rural=urban_rural,
                    monthly_amount=round(amount * factor, 2),
                    valid_from=date(2022, 1, 1),
                    source="翁源县2022年分层分类社会救助工作方案",
                )
            )
    households: list[Household] = []
    for town_name, villages in areas.villages.items():
        for village in villages:
            lon0, lat0 = _centre(village)
            urban = "社区" in village.name
            for n in range(4):
                surname = SURNAMES[rng.randrange(len(SURNAMES))]
                groups = rng.sample(FOCUS_GROUPS, k=rng.choice([1, 1, 2]))
                members = _members(rng, surname)
                household = Household(
                    area_id=village.id,
                    address=f"{town_name}{village.name}{n + 1}号",
                    location=to_db_geometry(
                        Point(lon0 + rng.uniform(-0.006, 0.006), lat0 + rng.uniform(-0.02, 0.02))
                    ),
                    urban_rural="urban" if urban else "rural",
                    # The head is the first member; the household's columns copy it.
                    head_name=members[0].name,
                    head_id_number=members[0].id_number,
                    members=members,
                    focus_group_rows=[HouseholdFocusGroup(focus_group=g) for g in groups],
                    programme_rows=(
                        [HouseholdProgramme(programme="dibao")] if rng.random() < 0.25 else []
                    ),
                )
                session.add(household)
                households.append(household)
    session.flush()
    summary.touch([h.id for h in households], new=True)
    context["households"] = households
    _seed_visits(context, households, rng)


def _seed_visits(context: dict[str, Any], households: list[Household], rng: random.Random) -> None:
    workers = {
        "龙仙镇": context["users"].get("demo-worker"),
        "江尾镇": context["users"].get("demo-worker2"),
    }
    now = utcnow()
    for town_name, worker in workers.items():
        if worker is None:
            continue
        town = context["areas"].towns[town_name]
        set_actor(None, Actor(worker.id, worker.role, town.id, town.path))
        try:
            town_villages = {v.id for v in context["areas"].villages[town_name]}
            for household in [h for h in households if h.area_id in town_villages]:
                home = load_wkb(bytes(household.location.data))
                for _ in range(rng.randint(1, 3)):
                    visited_at = now - timedelta(days=rng.randint(1, 120), hours=rng.randint(0, 8))
                    channel = rng.choice(["in_person", "in_person", "in_person", "phone"])
                    far = rng.random() < 0.2
                    data: dict[str, Any] = {
                        "client_uuid": uuid.uuid4(),
                        "household_id": household.id,
                        "channel": channel,
                        "visited_at": visited_at,
                        "crs": "wgs84",
                        "findings": {
                            "household_size": max(1, len(household.members)),
                            "monthly_income_total": rng.choice([600, 1200, 1800, 2600, 4000]),
                            "rigid_expenses_monthly": rng.choice([0, 0, 300, 1500]),
                        },
                        "needs": rng.sample(
                            [
                                "medical",
                                "education",
                                "temporary_assistance",
                                "employment",
                                "housing",
                            ],
                            k=rng.randint(0, 2),
                        ),
                        "notes": "演示走访记录",
                    }
                    if channel == "in_person":
                        offset = 0.01 if far else 0.0008
                        data["location"] = Point(home.x + rng.uniform(-offset, offset), home.y)
                        data["accuracy_m"] = rng.choice([8.0, 15.0, 30.0, 150.0 if far else 20.0])
                    services.record_visit(data)
        finally:
            set_actor(None, SYSTEM)
    session.flush()
    current_app.logger.info("demo: %d households seeded", len(households))
