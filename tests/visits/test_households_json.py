"""The hand-written household list (``schemas.households_json``) says exactly what
``HouseholdSchema`` says, for households of every shape: the same JSON, byte for byte."""

import json
import random
import uuid
from datetime import date, timedelta

import pytest

from api.areas.scope import Actor, set_actor
from api.common.fields import reveal_id_numbers
from api.db import session, utcnow
from api.visits import services
from api.visits.models import DuplicateFlag, HouseholdMember
from api.visits.people import RELATIONS
from api.visits.schemas import HouseholdSchema, households_json
from tests import factories
from tests.factories import headers_for
from tests.visits import factories as vf

FOCUS = ("unemployed", "flexible_employment", "low_income_marginal")
PROGRAMMES = ("dibao", "extreme_poverty", "temporary_assistance")
ODD_TEXT = ('"引号"\\反斜杠', "换行\n与制表\t", "emoji 🙂", "", "  spaces  ", "<b>&amp;</b>")


def _varied_households(areas, rng):
    villages = [areas.village_a1, areas.village_a2, areas.village_b1]
    households = []
    for n in range(40):
        head_id = vf.valid_id_number(f"4402291{rng.randint(950, 999)}0{rng.randint(1, 9)}1{n:04d}0")
        household = vf.household(
            rng.choice(villages),
            lon=114.1 + rng.random() / 10,
            lat=24.3 + rng.random() / 10,
            head_name=rng.choice(["王建国", "李秀英", "O'Brien", "陈" * 97]) + f"{n:02d}",
            urban_rural=rng.choice(["urban", "rural"]),
            focus_groups=tuple(rng.sample(FOCUS, rng.randint(0, 3))),
            programmes=tuple(rng.sample(PROGRAMMES, rng.randint(0, 3))),
            head_id_number=head_id if rng.random() < 0.7 else None,
            members=1,
            located=rng.random() < 0.8,
        )
        for i in range(rng.randint(0, 5)):
            born = date(1940, 1, 1) + timedelta(days=rng.randint(0, 30_000))
            household.members.append(
                HouseholdMember(
                    position=i + 1,
                    name=rng.choice(["张三", "李四", *ODD_TEXT[:3]]) + str(i),
                    relation=rng.choice([r for r in RELATIONS if r != "head"]),
                    sex=rng.choice(["male", "female", None]),
                    birth_date=born if rng.random() < 0.5 else None,
                    birth_year=born.year if rng.random() < 0.7 else None,
                    id_number=(
                        vf.valid_id_number(f"44022919{rng.randint(10, 99)}0101{i:03d}0")
                        if rng.random() < 0.5
                        else None
                    ),
                    health=rng.choice([None, "良好", *ODD_TEXT]),
                    work_status=rng.choice([None, "务农", "失业"]),
                )
            )
        household.notes = rng.choice([None, *ODD_TEXT])
        household.client_uuid = str(uuid.UUID(int=rng.getrandbits(128))) if n % 3 else None
        households.append(household)
    session.flush()
    for _ in range(25):  # flags to households in and out of the caller's town
        one, other = rng.sample(households, 2)
        if all(
            (f.household_id, f.other_household_id) != (one.id, other.id)
            for f in one.duplicate_flags
        ):
            session.add(
                DuplicateFlag(
                    area_id=one.area_id,
                    household_id=one.id,
                    other_household_id=other.id,
                    reason=rng.choice(["same_id_number", "same_head_name_in_village"]),
                    created_at=utcnow() - timedelta(microseconds=rng.randint(0, 10**9)),
                )
            )
    session.flush()
    session.expire_all()
    return households


@pytest.mark.parametrize("reveal", [False, True], ids=["masked", "revealed"])
def test_the_hand_written_list_is_the_schemas_json_byte_for_byte(db, areas, reveal):
    households = _varied_households(areas, random.Random(17))
    set_actor(
        None,
        Actor(
            user_id=None, role="supervisor", area_id=areas.town_a.id, area_path=areas.town_a.path
        ),
    )
    shown = services.show_households(households)
    token = reveal_id_numbers.set(reveal)
    try:
        by_schema = HouseholdSchema(many=True).dump(shown)
        by_hand = households_json(shown)
    finally:
        reveal_id_numbers.reset(token)

    assert json.dumps(by_hand, ensure_ascii=False) == json.dumps(by_schema, ensure_ascii=False)
    # The sample holds every shape the schema can show.
    members = [m for h in by_hand for m in h["members"]]
    flags = [f for h in by_hand for f in h["duplicate_flags"]]
    assert {h["location"] is None for h in by_hand} == {True, False}
    assert {h["client_uuid"] is None for h in by_hand} == {True, False}
    assert {bool(h["focus_groups"]) for h in by_hand} == {True, False}
    assert {bool(h["programmes"]) for h in by_hand} == {True, False}
    assert {m["birth_date"] is None for m in members} == {True, False}
    assert {m["id_number"] is None for m in members} == {True, False}
    assert any("*" in (m["id_number"] or "") for m in members) is not reveal
    assert {f["outside_area"] for f in flags} == {True, False}


@pytest.mark.parametrize("reveal", [False, True], ids=["masked", "revealed"])
def test_a_list_page_read_as_rows_is_the_schemas_json_of_the_households(client, db, areas, reveal):
    """``GET /households`` reads its page as rows (``search.households_page``), not ORM
    objects: its answer is the schema's JSON of the same households, loaded by the ORM
    (focus groups and programmes in code order), for a list and for a search."""
    households = _varied_households(areas, random.Random(23))
    supervisor = factories.user("supervisor", areas.town_a)
    params = {"page_size": 500, **({"reveal": "id_numbers"} if reveal else {})}
    listed = client.get("/api/v1/households", query_string=params, headers=headers_for(supervisor))
    near = client.get(
        "/api/v1/households",
        query_string={**params, "near": "114.15,24.35", "within_m": 3000},
        headers=headers_for(supervisor),
    )
    assert listed.status_code == near.status_code == 200

    set_actor(
        None,
        Actor(
            user_id=None, role="supervisor", area_id=areas.town_a.id, area_path=areas.town_a.path
        ),
    )
    in_town = {h.id for h in households if h.area_id != areas.village_b1.id}
    shown = services.show_households(
        sorted((h for h in households if h.id in in_town), key=lambda h: h.id)
    )
    token = reveal_id_numbers.set(reveal)
    try:
        by_schema = HouseholdSchema(many=True).dump(shown)
    finally:
        reveal_id_numbers.reset(token)
    for household in by_schema:
        household["focus_groups"].sort()
        household["programmes"].sort()

    by_schema = json.loads(json.dumps(by_schema, ensure_ascii=False))  # tuples as lists
    assert listed.json == by_schema
    assert listed.headers["X-Total-Count"] == str(len(by_schema))
    near_ids = [h["id"] for h in near.json]
    assert 0 < len(near_ids) < len(by_schema)
    assert near.json == [h for h in by_schema if h["id"] in set(near_ids)]
    assert near.headers["X-Total-Count"] == str(len(near_ids))
