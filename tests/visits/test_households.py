"""The household register: create, search, duplicates, ID numbers, history."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from api.audit.models import AuditEntry
from api.common.county_time import local_today
from api.db import utcnow
from api.visits.crs import wgs84_to_gcj02
from api.visits.models import DuplicateFlag
from tests import factories
from tests.visits import factories as vf

# Valid GB 11643 numbers (check characters computed).
ID_A = vf.valid_id_number("440229199001011233")
ID_B = vf.valid_id_number("44022919850202002X")


def new_household(areas, **extra):
    body = {
        "area_id": areas.village_a1.id,
        "address": "甲一村1号",
        "location": {"type": "Point", "coordinates": [114.10, 24.35]},
        "urban_rural": "rural",
        "head_name": "陈伟",
        "head_id_number": ID_A,
        "members": [
            {
                "name": "陈伟",
                "relation": "户主",
                "sex": "male",
                "birth_year": 1990,
                "id_number": ID_A,
                "health": "良好",
                "work_status": "失业",
            },
            {"name": "林芳", "relation": "配偶", "sex": "female", "birth_year": 1992},
        ],
        "focus_groups": ["unemployed", "low_income_marginal"],
        "programmes": ["temporary_assistance"],
    }
    body.update(extra)
    return body


def test_create_household_masks_id_numbers(client, worker, areas):
    response = client.post(
        "/api/v1/households", json=new_household(areas), headers=factories.headers_for(worker)
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["head_id_number"] == ID_A[:4] + "*" * 10 + ID_A[-4:]
    assert body["members"][0]["id_number"].startswith("4402**")
    assert body["focus_groups"] == ["low_income_marginal", "unemployed"]
    assert body["programmes"] == ["temporary_assistance"]
    assert body["duplicate_flags"] == []


def test_household_in_a_town_not_a_village_is_refused(client, worker, areas):
    response = client.post(
        "/api/v1/households",
        json=new_household(areas, area_id=areas.town_a.id),
        headers=factories.headers_for(worker),
    )
    assert response.status_code == 422 and "area_id" in response.json["errors"]


@pytest.mark.parametrize(
    "change",
    [
        {"head_id_number": "440229199001011234x"},
        {"head_id_number": "440229199013011230"},
        {"urban_rural": "suburban"},
        {"focus_groups": ["rich"]},
        {"location": {"type": "Point", "coordinates": [500, 24]}},
        {"members": [{"name": "x"}]},
        {"members": [{"name": "x", "relation": "子女"}] * 31},
        {"address": ""},
        {"address": "x" * 256},
    ],
)
def test_bad_household_inputs(client, worker, areas, change):
    response = client.post(
        "/api/v1/households",
        json=new_household(areas, **change),
        headers=factories.headers_for(worker),
    )
    assert response.status_code == 422


def test_member_birth_year_is_bounded_by_the_county_year(client, worker, areas):
    this_year = local_today().year
    newborn = {"name": "陈小宝", "relation": "子女", "birth_year": this_year}
    response = client.post(
        "/api/v1/households",
        json=new_household(areas, members=[newborn]),
        headers=factories.headers_for(worker),
    )
    assert response.status_code == 201, response.json
    unborn = dict(newborn, birth_year=this_year + 1)
    response = client.post(
        "/api/v1/households",
        json=new_household(areas, address="甲一村2号", members=[unborn]),
        headers=factories.headers_for(worker),
    )
    assert response.status_code == 422
    assert "birth_year" in str(response.json["errors"])
    for wrong in (1899, "1990年", True):
        member = dict(newborn, birth_year=wrong)
        response = client.post(
            "/api/v1/households",
            json=new_household(areas, address="甲一村3号", members=[member]),
            headers=factories.headers_for(worker),
        )
        assert response.status_code == 422, wrong


def test_same_id_number_is_flagged_even_in_another_town(client, worker, areas, db):
    existing = vf.household(areas.village_b1, head_id_number=ID_A)
    response = client.post(
        "/api/v1/households", json=new_household(areas), headers=factories.headers_for(worker)
    )
    # Flagged, but the town-A worker is not told which household (tests/visits/test_duplicates.py)
    flags = response.json["duplicate_flags"]
    assert [(f["other_household_id"], f["reason"], f["outside_area"]) for f in flags] == [
        (None, "same_id_number", True)
    ]
    stored = db.scalar(
        select(DuplicateFlag).where(DuplicateFlag.household_id == response.json["id"])
    )
    assert stored.other_household_id == existing.id


def test_same_head_name_in_same_village_is_flagged(client, worker, areas):
    existing = vf.household(areas.village_a1, head_name="陈伟")
    vf.household(areas.village_a2, head_name="陈伟")  # another village: not flagged
    response = client.post(
        "/api/v1/households",
        json=new_household(areas, head_id_number=None, members=[]),
        headers=factories.headers_for(worker),
    )
    flags = response.json["duplicate_flags"]
    assert [(f["other_household_id"], f["reason"]) for f in flags] == [
        (existing.id, "same_head_name_in_village")
    ]


def test_visit_bringing_a_known_household_flags_it(client, worker, areas, db):
    existing = vf.household(areas.village_a1, head_name="陈伟")
    payload = vf.visit_payload(
        None,
        new_household={
            "area_id": areas.village_a1.id,
            "address": "x",
            "urban_rural": "rural",
            "head_name": "陈伟",
        },
    )
    response = client.post("/api/v1/visits", json=payload, headers=factories.headers_for(worker))
    flag = db.scalar(
        select(DuplicateFlag).where(DuplicateFlag.household_id == response.json["household_id"])
    )
    assert flag.other_household_id == existing.id


def test_duplicates_are_listed(client, worker, areas):
    vf.household(areas.village_a1, head_name="陈伟")
    client.post(
        "/api/v1/households", json=new_household(areas), headers=factories.headers_for(worker)
    )
    response = client.get("/api/v1/households/duplicates", headers=factories.headers_for(worker))
    assert response.status_code == 200 and len(response.json) == 1


def test_household_create_with_client_uuid_is_idempotent(client, worker, areas):
    body = new_household(areas, client_uuid="5f0b7c1e-8a0e-4a8e-9d7e-2b1d0c4e9a11")
    headers = factories.headers_for(worker)
    first = client.post("/api/v1/households", json=body, headers=headers)
    again = client.post("/api/v1/households", json=body, headers=headers)
    changed = client.post("/api/v1/households", json={**body, "address": "x"}, headers=headers)
    assert (first.status_code, again.status_code, changed.status_code) == (201, 200, 409)
    assert again.json["id"] == first.json["id"]


def test_gcj02_household_location_is_converted(client, worker, areas):
    body = new_household(areas, crs="gcj02")
    body["location"]["coordinates"] = list(wgs84_to_gcj02(114.10, 24.35))
    assert body["location"]["coordinates"][0] != pytest.approx(114.10, abs=1e-3)
    response = client.post("/api/v1/households", json=body, headers=factories.headers_for(worker))
    lon, lat = response.json["location"]["coordinates"]
    assert (lon, lat) == (pytest.approx(114.10, abs=1e-7), pytest.approx(24.35, abs=1e-7))


def test_patch_household_changes_only_what_is_sent(client, worker, areas):
    home = vf.household(areas.village_a1, focus_groups=("unemployed",), members=2)
    response = client.patch(
        f"/api/v1/households/{home.id}",
        json={"focus_groups": ["poverty_return_monitoring"], "address": "新地址"},
        headers=factories.headers_for(worker),
    )
    assert response.status_code == 200, response.json
    assert response.json["focus_groups"] == ["poverty_return_monitoring"]
    assert response.json["address"] == "新地址"
    assert len(response.json["members"]) == 2


# --- search -----------------------------------------------------------------------------


def search(client, user, **params):
    response = client.get(
        "/api/v1/households", query_string=params, headers=factories.headers_for(user)
    )
    assert response.status_code == 200, response.json
    return {item["id"] for item in response.json}


def test_search_by_area_focus_group_and_programme(client, worker, areas):
    a = vf.household(areas.village_a1, focus_groups=("unemployed",), programmes=("dibao",))
    b = vf.household(areas.village_a2, focus_groups=("flexible_employment",))
    vf.household(areas.village_b1)  # another town: never listed to this worker
    assert search(client, worker) == {a.id, b.id}
    assert search(client, worker, area_id=areas.village_a1.id) == {a.id}
    assert search(client, worker, focus_group="flexible_employment") == {b.id}
    assert search(client, worker, programme="dibao") == {a.id}


def test_search_by_name_and_id_number(client, worker, areas):
    a = vf.household(areas.village_a1, head_name="黄海", head_id_number=ID_B)
    vf.household(areas.village_a1, head_name="罗丽")
    assert search(client, worker, q="黄") == {a.id}
    assert search(client, worker, q=ID_B) == {a.id}
    assert search(client, worker, q="成员") != set()  # members' names count


def test_search_not_visited_since(client, worker, areas):
    visited = vf.household(areas.village_a1)
    never = vf.household(areas.village_a1)
    client.post(
        "/api/v1/visits", json=vf.visit_payload(visited.id), headers=factories.headers_for(worker)
    )
    since = (utcnow() - timedelta(days=7)).date().isoformat()
    assert search(client, worker, not_visited_since=since) == {never.id}


def test_search_near_a_point(client, worker, areas):
    close = vf.household(areas.village_a1, lon=114.100, lat=24.350)
    vf.household(areas.village_a1, lon=114.120, lat=24.350)  # about 2 km east
    assert search(client, worker, near="114.101,24.350", within_m=500) == {close.id}


@pytest.mark.parametrize(
    "params",
    [
        {"near": "abc"},
        {"near": "114.1"},
        {"near": "500,24"},
        {"within_m": 10**9},
        {"focus_group": "x"},
        {"not_visited_since": "yesterday"},
    ],
)
def test_bad_search_parameters_are_422(client, worker, params):
    response = client.get(
        "/api/v1/households", query_string=params, headers=factories.headers_for(worker)
    )
    assert response.status_code == 422


def test_other_towns_area_filter_is_422(client, worker, areas):
    response = client.get(
        "/api/v1/households",
        query_string={"area_id": areas.town_b.id},
        headers=factories.headers_for(worker),
    )
    assert response.status_code == 422


# --- ID numbers -------------------------------------------------------------------------


def test_supervisor_reveals_id_numbers_and_it_is_audited(client, areas, db):
    home = vf.household(areas.village_a1, head_id_number=ID_A)
    supervisor = factories.user("supervisor", areas.county)
    response = client.get(
        f"/api/v1/households/{home.id}",
        query_string={"reveal": "id_numbers"},
        headers=factories.headers_for(supervisor),
    )
    assert response.json["head_id_number"] == ID_A
    entry = db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "reveal", AuditEntry.record_id == str(home.id)
        )
    )
    assert entry is not None and entry.actor_id == supervisor.id
    masked = client.get(f"/api/v1/households/{home.id}", headers=factories.headers_for(supervisor))
    assert masked.json["head_id_number"] != ID_A


def test_worker_may_not_reveal_id_numbers(client, worker, areas):
    home = vf.household(areas.village_a1, head_id_number=ID_A)
    response = client.get(
        f"/api/v1/households/{home.id}",
        query_string={"reveal": "id_numbers"},
        headers=factories.headers_for(worker),
    )
    assert response.status_code == 403


# --- history ----------------------------------------------------------------------------


def test_visit_history_is_newest_first(client, worker, areas):
    home = vf.household(areas.village_a1)
    headers = factories.headers_for(worker)
    ids = []
    for days in (30, 2, 10):
        payload = vf.visit_payload(home.id, visited_at=utcnow() - timedelta(days=days))
        ids.append((days, client.post("/api/v1/visits", json=payload, headers=headers).json["id"]))
    response = client.get(f"/api/v1/households/{home.id}/visits", headers=headers)
    assert [v["id"] for v in response.json] == [i for _, i in sorted(ids)]
    assert response.headers["X-Total-Count"] == "3"
