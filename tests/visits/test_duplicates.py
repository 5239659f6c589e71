"""Duplicates across towns: detected past the caller's jurisdiction, but a household the
caller cannot see is never named. The caller learns only that a possible duplicate exists
outside their area (the same answer whatever area it is in), and a review task goes to the
nearest supervisor of the lowest area containing both households, once per pair."""

import json

import pytest
from shapely.geometry import box
from sqlalchemy import func, select

from api.areas.scope import SYSTEM, set_actor
from api.areas.services import create_area
from api.casework.tasks.models import Task
from api.visits.models import DuplicateFlag
from api.visits.schemas import OUTSIDE_AREA_NOTE
from tests import factories
from tests.visits import factories as vf
from workers import followup
from workers.app import use_app

ID_N = vf.valid_id_number("440229198001011230")
ID_OTHER = vf.valid_id_number("440229197502023450")


@pytest.fixture(autouse=True)
def _jobs_app(app, db):
    use_app(app)


@pytest.fixture
def town_c(areas):
    set_actor(None, SYSTEM)
    code = areas.county.code
    town = create_area(f"{code}102", "丙镇", "town", areas.county, box(114.3, 24.4, 114.35, 24.45))
    village = create_area(
        f"{code}102001", "丙一村", "village", town, box(114.3, 24.4, 114.35, 24.45)
    )
    return village


def _body(areas, id_number=ID_N, head_name="黄强", **extra):
    return {
        "area_id": areas.village_a1.id,
        "address": "甲一村8号",
        "urban_rural": "rural",
        "head_name": head_name,
        "members": [{"name": head_name, "relation": "户主", "id_number": id_number}],
        **extra,
    }


def _register(client, user, body):
    response = client.post("/api/v1/households", json=body, headers=factories.headers_for(user))
    assert response.status_code == 201, response.json
    return response


def _own_fields_dropped(body):
    """The answer without what belongs to the caller's new record itself (its id and
    times, the flags' ids and times): what is left is what the caller learns."""
    dropped = {k: v for k, v in body.items() if k not in ("id", "created_at", "updated_at")}
    dropped["duplicate_flags"] = [
        {k: v for k, v in flag.items() if k not in ("id", "household_id", "created_at")}
        for flag in body["duplicate_flags"]
    ]
    return json.dumps(dropped, sort_keys=True, ensure_ascii=False)


def test_a_household_in_another_town_is_flagged_but_not_named(client, worker, areas, db):
    theirs = vf.household(areas.village_b1, head_id_number=ID_N)
    body = _register(client, worker, _body(areas)).json
    [flag] = body["duplicate_flags"]
    assert flag["household_id"] == body["id"]
    assert flag["other_household_id"] is None
    assert flag["outside_area"] is True and flag["note"] == OUTSIDE_AREA_NOTE
    hidden = {theirs.id, areas.town_b.id, areas.village_b1.id}
    assert not hidden & {v for k, v in flag.items() if k not in ("id", "outside_area")}
    text = json.dumps(body, ensure_ascii=False)
    assert "乙" not in text and theirs.head_name not in text and theirs.address not in text


def test_the_answer_is_the_same_whichever_town_holds_the_number(client, worker, areas, town_c, db):
    answers = []
    for other_village in (areas.village_b1, town_c):
        theirs = vf.household(other_village, head_id_number=ID_N, head_name="王芳")
        answers.append(_register(client, worker, _body(areas)))
        # Start the second round as the first: only the other household's town differs.
        set_actor(None, SYSTEM)
        db.delete(db.get(type(theirs), answers[-1].json["id"]))
        theirs.head.id_number = theirs.head_id_number = None
        db.flush()
    first, second = (_own_fields_dropped(r.json) for r in answers)
    assert first == second
    assert answers[0].headers.get("Content-Length") == answers[1].headers.get("Content-Length")


def test_an_unknown_number_and_a_hidden_one_differ_only_by_the_flag(client, worker, areas):
    vf.household(areas.village_b1, head_id_number=ID_N)
    known = _register(client, worker, _body(areas)).json
    unknown = _register(client, worker, _body(areas, ID_OTHER, head_name="李四")).json
    assert unknown["duplicate_flags"] == []
    assert [f["outside_area"] for f in known["duplicate_flags"]] == [True]


def test_a_county_worker_who_sees_both_gets_the_flag_in_full(client, areas):
    county_worker = factories.user("outreach_worker", areas.county)
    theirs = vf.household(areas.village_b1, head_id_number=ID_N)
    [flag] = _register(client, county_worker, _body(areas)).json["duplicate_flags"]
    assert flag["other_household_id"] == theirs.id
    assert flag["outside_area"] is False and flag["note"] is None


def test_a_duplicate_inside_the_callers_town_is_named(client, worker, areas):
    mine = vf.household(areas.village_a2, head_id_number=ID_N)
    [flag] = _register(client, worker, _body(areas)).json["duplicate_flags"]
    assert flag["other_household_id"] == mine.id and flag["outside_area"] is False


def test_every_place_a_flag_is_shown_hides_the_other_household(client, worker, areas):
    theirs = vf.household(areas.village_b1, head_id_number=ID_N)
    headers = factories.headers_for(worker)
    created = _register(client, worker, _body(areas)).json
    shown = [
        client.get(f"/api/v1/households/{created['id']}", headers=headers).json,
        client.get("/api/v1/households", headers=headers).json[0],
        client.get("/api/v1/households", query_string={"q": ID_N}, headers=headers).json[0],
        client.patch(
            f"/api/v1/households/{created['id']}", json={"notes": "核实中"}, headers=headers
        ).json,
    ]
    flags = [household["duplicate_flags"][0] for household in shown]
    flags += client.get("/api/v1/households/duplicates", headers=headers).json
    assert len(flags) == 5
    for flag in flags:
        assert flag["other_household_id"] is None and flag["outside_area"] is True
        assert flag["household_id"] == created["id"]
    assert str(theirs.id) not in json.dumps(
        [{k: v for k, v in f.items() if k not in ("id", "created_at")} for f in flags]
    )


def test_the_other_town_sees_no_flag_and_the_county_sees_it_in_full(client, worker, areas):
    theirs = vf.household(areas.village_b1, head_id_number=ID_N)
    created = _register(client, worker, _body(areas)).json
    town_b = factories.headers_for(factories.user("supervisor", areas.town_b))
    assert client.get("/api/v1/households/duplicates", headers=town_b).json == []
    county = factories.headers_for(factories.user("supervisor", areas.county))
    [flag] = client.get("/api/v1/households/duplicates", headers=county).json
    assert (flag["household_id"], flag["other_household_id"]) == (created["id"], theirs.id)


def test_a_member_added_later_is_checked_too(client, worker, areas):
    vf.household(areas.village_b1, head_id_number=ID_N)
    created = _register(client, worker, _body(areas, ID_OTHER)).json
    assert created["duplicate_flags"] == []
    response = client.patch(
        f"/api/v1/households/{created['id']}",
        json={"members": [{"name": "黄强", "relation": "户主", "id_number": ID_N}]},
        headers=factories.headers_for(worker),
    )
    assert [f["outside_area"] for f in response.json["duplicate_flags"]] == [True]


# -- the review task ------------------------------------------------------------------------


def _review_tasks(db):
    set_actor(None, SYSTEM)
    return list(db.scalars(select(Task).where(Task.kind == "duplicate_review").order_by(Task.id)))


def test_the_county_is_told_once_per_pair(client, worker, areas, db, run_jobs):
    county_supervisor = factories.user("supervisor", areas.county)
    factories.user("supervisor", areas.town_a)  # sees only one of the two
    theirs = vf.household(areas.village_b1, head_id_number=ID_N)
    created = _register(client, worker, _body(areas)).json
    run_jobs()
    [task] = _review_tasks(db)
    assert task.area_id == areas.county.id
    assert task.assignee_id == county_supervisor.id
    assert task.rule == "duplicate_across_areas" and task.subject_id == created["id"]
    assert task.details["households"] == sorted([created["id"], theirs.id])
    assert ID_N not in (task.reason + task.title)

    # Their town edits its household: the same pair, flagged the other way, no new task.
    town_b_worker = factories.user("outreach_worker", areas.town_b)
    response = client.patch(
        f"/api/v1/households/{theirs.id}",
        json={"notes": "复核"},
        headers=factories.headers_for(town_b_worker),
    )
    assert [f["outside_area"] for f in response.json["duplicate_flags"]] == [True]
    run_jobs()
    assert len(_review_tasks(db)) == 1

    # The job run again over the same flags makes nothing.
    set_actor(None, SYSTEM)
    flag_ids = list(db.scalars(select(DuplicateFlag.id)))
    assert followup.duplicates_flagged(*flag_ids) == 0
    assert len(_review_tasks(db)) == 1


def test_two_villages_of_one_town_share_the_town(db, areas):
    one = vf.household(areas.village_a1, head_id_number=ID_N)
    two = vf.household(areas.village_a2, head_id_number=ID_N)
    set_actor(None, SYSTEM)
    flag = DuplicateFlag(
        area_id=one.area_id, household_id=one.id, other_household_id=two.id, reason="same_id_number"
    )
    db.add(flag)
    db.flush()
    assert followup.duplicates_flagged(flag.id) == 1
    [task] = _review_tasks(db)
    assert task.area_id == areas.town_a.id


def test_a_duplicate_the_caller_sees_makes_no_task(client, areas, db, run_jobs):
    county_worker = factories.user("outreach_worker", areas.county)
    vf.household(areas.village_b1, head_id_number=ID_N)
    _register(client, county_worker, _body(areas))
    run_jobs()
    assert _review_tasks(db) == []
    assert db.scalar(select(func.count()).select_from(DuplicateFlag)) == 1


def test_a_visit_bringing_a_new_household_hands_a_hidden_duplicate_over(
    client, worker, areas, db, run_jobs
):
    factories.user("supervisor", areas.county)
    theirs = vf.household(areas.village_b1, head_id_number=ID_N)
    payload = vf.visit_payload(
        None,
        new_household={
            "area_id": areas.village_a1.id,
            "address": "甲一村9号",
            "urban_rural": "rural",
            "head_name": "黄强",
            "head_id_number": ID_N,
        },
    )
    response = client.post("/api/v1/visits", json=payload, headers=factories.headers_for(worker))
    assert response.status_code == 201, response.json
    text = json.dumps(response.json, ensure_ascii=False)
    assert "duplicate" not in text and "乙" not in text  # the visit names no household but its own
    run_jobs()
    [task] = _review_tasks(db)
    assert task.area_id == areas.county.id
    assert task.details["households"] == sorted([response.json["household_id"], theirs.id])


def test_the_duplicates_list_refuses_another_towns_area(client, worker, areas):
    vf.household(areas.village_b1, head_id_number=ID_N)
    _register(client, worker, _body(areas))
    response = client.get(
        "/api/v1/households/duplicates",
        query_string={"area_id": areas.village_b1.id},
        headers=factories.headers_for(worker),
    )
    assert response.status_code == 422 and "area_id" in response.json["errors"]
