"""``household_members.area_id``, the copy of the household's area that name search starts
from: kept right by the write path through every kind of change, found right by a
recomputation from scratch, repaired by ``flask households copy-member-areas``."""

import random

from sqlalchemy import text, update

from api.db import session
from api.visits import services
from api.visits.models import HouseholdMember
from tests import factories
from tests.visits import factories as vf

OUT_OF_STEP = """
SELECT count(*) FROM household_members m JOIN households h ON h.id = m.household_id
WHERE m.area_id IS DISTINCT FROM h.area_id
"""


def _member(name, relation="other"):
    return {"name": name, "relation": relation}


def test_random_writes_keep_every_member_in_its_households_area(client, db, areas):
    rng = random.Random(23)
    admin = factories.user("admin", areas.county)
    headers = factories.headers_for(admin)
    villages = [areas.village_a1, areas.village_a2, areas.village_b1, areas.village_b2]
    ids = [vf.household(rng.choice(villages), members=rng.randint(1, 4)).id for _ in range(5)]
    for step in range(60):
        kind = rng.choice(["create", "move", "members", "move and members", "rename head"])
        if kind == "create" or not ids:
            response = client.post(
                "/api/v1/households",
                json={
                    "area_id": rng.choice(villages).id,
                    "address": f"路{step}号",
                    "urban_rural": "rural",
                    "head_name": f"户主{step}",
                    "members": [_member(f"成员{step}-{i}") for i in range(rng.randint(0, 3))],
                },
                headers=headers,
            )
            assert response.status_code == 201, response.json
            ids.append(response.json["id"])
            continue
        body = {}
        if "move" in kind:
            body["area_id"] = rng.choice(villages).id
        if "members" in kind:
            body["members"] = [
                _member(f"新{step}-{i}", rng.choice(["head", "other"]) if i == 0 else "other")
                for i in range(rng.randint(0, 4))
            ]
        if kind == "rename head":
            body["head_name"] = f"改名{step}"
        response = client.patch(f"/api/v1/households/{rng.choice(ids)}", json=body, headers=headers)
        assert response.status_code == 200, response.json

    assert db.scalar(text("SELECT count(*) FROM household_members")) > 40
    assert db.scalar(text(OUT_OF_STEP)) == 0
    assert services.copy_member_areas() == 0  # a recomputation from scratch changes nothing


def test_the_command_rewrites_members_out_of_step(app, db, areas):
    home = vf.household(areas.village_a1, members=3)
    elsewhere = vf.household(areas.village_b1, members=2)
    # As rows loaded around the write path would be (bench data written by COPY, say).
    db.execute(
        update(HouseholdMember)
        .where(HouseholdMember.household_id.in_([home.id, elsewhere.id]))
        .values(area_id=areas.village_a2.id)
    )
    session.expire_all()
    assert db.scalar(text(OUT_OF_STEP)) == 5
    result = app.test_cli_runner().invoke(args=["households", "copy-member-areas"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "5 members rewritten"
    assert db.scalar(text(OUT_OF_STEP)) == 0
