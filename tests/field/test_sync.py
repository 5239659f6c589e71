"""Delta sync of the field app (api/field): the caller's households and open tasks."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from api.db import session
from api.field.models import SyncTombstone
from api.visits.models import Household
from tests import factories
from tests.casework.tasks import factories as tf
from tests.visits import factories as vf

HOUSEHOLDS = "/api/v1/sync/households"
TASKS = "/api/v1/sync/tasks"


@pytest.fixture
def people(areas):
    return {
        "worker_a": factories.user("outreach_worker", areas.town_a),
        "worker_b": factories.user("outreach_worker", areas.town_b),
        "supervisor": factories.user("supervisor", areas.county),
        "rescue": factories.user("rescue_staff", areas.town_a),
    }


def _sync(client, account, url=HOUSEHOLDS, cursor=None, **params):
    if cursor is not None:
        params["cursor"] = cursor
    response = client.get(url, query_string=params, headers=factories.headers_for(account))
    assert response.status_code == 200, response.json
    return response.json


def _ids(page):
    return sorted(record["id"] for record in page["records"])


def _dead(page):
    return sorted(tombstone["id"] for tombstone in page["tombstones"])


def _drain(client, account, url=HOUSEHOLDS, cursor=None, limit=500):
    """Every page of one sync: (record ids in order, tombstone ids, the next cursor)."""
    records, dead = [], []
    while True:
        page = _sync(client, account, url, cursor, limit=limit)
        records += [record["id"] for record in page["records"]]
        dead += _dead(page)
        cursor = page["cursor"]
        if not page["has_more"]:
            return records, dead, cursor


def _forged(value):
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _patch(client, account, household, **changes):
    response = client.patch(
        f"/api/v1/households/{household.id}", json=changes, headers=factories.headers_for(account)
    )
    assert response.status_code == 200, response.json


def test_first_download_is_the_whole_area_and_nothing_else(client, areas, people):
    mine = [vf.household(areas.village_a1), vf.household(areas.village_a2)]
    vf.household(areas.village_b1, head_id_number=vf.valid_id_number("44023219800101001X"))
    with_id = vf.household(
        areas.village_a1, head_id_number=vf.valid_id_number("440232198001010020")
    )
    page = _sync(client, people["worker_a"])
    assert _ids(page) == sorted(h.id for h in [*mine, with_id])
    assert page["tombstones"] == [] and page["has_more"] is False
    record = next(r for r in page["records"] if r["id"] == with_id.id)
    assert len(record["members"]) == 3
    assert "*" in record["head_id_number"]  # masked as elsewhere
    assert record["head_id_number"] != with_id.head_id_number


def test_a_change_shows_up_once_after_the_cursor(client, areas, people):
    household, other = vf.household(areas.village_a1), vf.household(areas.village_a1)
    cursor = _sync(client, people["worker_a"])["cursor"]
    assert _ids(_sync(client, people["worker_a"], cursor=cursor)) == []
    _patch(client, people["worker_a"], household, address="新地址1号")
    page = _sync(client, people["worker_a"], cursor=cursor)
    assert _ids(page) == [household.id]
    assert page["records"][0]["address"] == "新地址1号"
    assert _ids(_sync(client, people["worker_a"], cursor=page["cursor"])) == []
    assert other.id not in _ids(page)


def test_a_visit_stamps_its_household(client, areas, people):
    household = vf.household(areas.village_a1)
    cursor = _sync(client, people["worker_a"])["cursor"]
    response = client.post(
        "/api/v1/visits",
        json=vf.visit_payload(household.id, channel="phone"),
        headers=factories.headers_for(people["worker_a"]),
    )
    assert response.status_code == 201, response.json
    page = _sync(client, people["worker_a"], cursor=cursor)
    assert _ids(page) == [household.id]
    # The phone lists households with their last visit (kept by a Core UPDATE: this test's
    # one session must read the row again, as a request of its own would).
    session.expire_all()
    page = _sync(client, people["worker_a"], cursor=cursor)
    assert page["records"][0]["last_visited_at"] == response.json["visited_at"]


def test_a_batch_stamps_each_household_whose_last_visit_it_moves(client, areas, people):
    """A sync batch keeps its households' last visits in one UPDATE (PostgreSQL): each
    household whose last visit moves is in the next sync with it; one visited again at
    an older time keeps its last visit and is not sent again."""
    first, second, seen = (vf.household(areas.village_a1) for _ in range(3))
    headers = factories.headers_for(people["worker_a"])
    latest = vf.visit_payload(seen.id, channel="phone")
    assert client.post("/api/v1/visits", json=latest, headers=headers).status_code == 201
    cursor = _sync(client, people["worker_a"])["cursor"]
    older = datetime.fromisoformat(latest["visited_at"]) - timedelta(days=1)
    visits = [
        vf.visit_payload(first.id, channel="phone"),
        vf.visit_payload(second.id, channel="phone", visited_at=older),
        vf.visit_payload(seen.id, channel="phone", visited_at=older),
    ]
    response = client.post("/api/v1/visits/batch", json={"visits": visits}, headers=headers)
    assert [r["status"] for r in response.json["results"]] == [201] * 3
    session.expire_all()
    page = _sync(client, people["worker_a"], cursor=cursor)
    assert _ids(page) == sorted([first.id, second.id])
    shown = {record["id"]: record["last_visited_at"] for record in page["records"]}
    answers = [r["visit"]["visited_at"] for r in response.json["results"]]
    assert shown == {first.id: answers[0], second.id: answers[1]}
    stored = session.scalar(select(Household.last_visited_at).where(Household.id == seen.id))
    assert stored == datetime.fromisoformat(latest["visited_at"])


def test_a_household_moved_to_another_town(client, areas, people):
    household = vf.household(areas.village_a1)
    cursor_a = _sync(client, people["worker_a"])["cursor"]
    cursor_b = _sync(client, people["worker_b"])["cursor"]
    _patch(client, people["supervisor"], household, area_id=areas.village_b1.id)
    page_a = _sync(client, people["worker_a"], cursor=cursor_a)
    assert _ids(page_a) == [] and page_a["tombstones"] == [{"id": household.id, "deleted": True}]
    page_b = _sync(client, people["worker_b"], cursor=cursor_b)
    assert _ids(page_b) == [household.id] and page_b["tombstones"] == []
    # Once told, not again.
    assert _sync(client, people["worker_a"], cursor=page_a["cursor"])["tombstones"] == []
    # A first download of the old town does not carry it at all.
    assert household.id not in _ids(_sync(client, people["worker_a"]))


def test_a_move_between_villages_of_the_town_is_a_record(client, areas, people):
    household = vf.household(areas.village_a1)
    cursor = _sync(client, people["worker_a"])["cursor"]
    _patch(client, people["worker_a"], household, area_id=areas.village_a2.id)
    page = _sync(client, people["worker_a"], cursor=cursor)
    assert _ids(page) == [household.id] and page["tombstones"] == []
    assert page["records"][0]["area_id"] == areas.village_a2.id


def test_a_deleted_household_is_a_tombstone(client, db, areas, people):
    # The API deletes no household; a deletion by the system still reaches the phones.
    household = vf.household(areas.village_a1)
    cursor = _sync(client, people["worker_a"])["cursor"]
    db.delete(household)
    db.flush()
    page = _sync(client, people["worker_a"], cursor=cursor)
    assert page["tombstones"] == [{"id": household.id, "deleted": True}]


def test_paging_with_has_more(client, areas, people):
    made = sorted(vf.household(areas.village_a1, members=1).id for _ in range(5))
    first = _sync(client, people["worker_a"], limit=2)
    assert _ids(first) == made[:2] and first["has_more"] is True
    records, dead, cursor = _drain(client, people["worker_a"], limit=2)
    assert records == made and dead == []
    assert _sync(client, people["worker_a"], cursor=cursor)["records"] == []


def test_paging_reaches_the_tombstones(client, areas, people):
    households = [vf.household(areas.village_a1, members=0) for _ in range(3)]
    cursor = _sync(client, people["worker_a"])["cursor"]
    for household in households[:2]:
        _patch(client, people["supervisor"], household, area_id=areas.village_b1.id)
    _patch(client, people["worker_a"], households[2], address="改过")
    records, dead, _ = _drain(client, people["worker_a"], cursor=cursor, limit=1)
    assert records == [households[2].id]
    assert dead == sorted(h.id for h in households[:2])


def test_gzip_when_the_client_accepts_it(client, areas, people):
    for _ in range(3):
        vf.household(areas.village_a1)
    headers = {**factories.headers_for(people["worker_a"]), "Accept-Encoding": "gzip, deflate"}
    response = client.get(HOUSEHOLDS, headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    body = json.loads(gzip.decompress(response.data))
    assert len(body["records"]) == 3
    plain = client.get(HOUSEHOLDS, headers=factories.headers_for(people["worker_a"]))
    assert "Content-Encoding" not in plain.headers
    assert len(response.data) < len(plain.data)


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "e30",  # {}
        _forged(
            {
                "k": "tasks",
                "since": None,
                "until": {"h": 1, "s": "1:1:"},
                "phase": "records",
                "after": 0,
            }
        ),
        _forged(
            {
                "k": "households",
                "since": None,
                "until": {"h": 1, "s": "9:3:"},
                "phase": "records",
                "after": 0,
            }
        ),
        _forged(
            {
                "k": "households",
                "since": None,
                "until": {"h": 1, "s": "1:9:12"},
                "phase": "records",
                "after": 0,
            }
        ),
        _forged(
            {
                "k": "households",
                "since": None,
                "until": {"h": -1, "s": "1:1:"},
                "phase": "records",
                "after": 0,
            }
        ),
        _forged(
            {
                "k": "households",
                "since": None,
                "until": {"h": 1, "s": None},
                "phase": "records",
                "after": 0,
            }
        ),
        _forged(
            {
                "k": "households",
                "since": None,
                "until": {"h": 1, "s": "1:2:"},
                "phase": "x",
                "after": 0,
            }
        ),
        _forged(
            {
                "k": "households",
                "since": None,
                "until": {"h": 1, "s": "1:2:"},
                "phase": "records",
                "after": 2**40,
            }
        ),
        _forged([1, 2]),
    ],
)
def test_a_bad_cursor_is_a_422_problem(client, people, cursor):
    response = client.get(
        HOUSEHOLDS,
        query_string={"cursor": cursor},
        headers=factories.headers_for(people["worker_a"]),
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "cursor" in json.dumps(response.json)


def test_rescue_staff_may_not_sync_households_but_may_sync_their_tasks(client, areas, people):
    response = client.get(HOUSEHOLDS, headers=factories.headers_for(people["rescue"]))
    assert response.status_code == 403
    own = tf.task(areas.town_a, assignee=people["rescue"], realm="rescue")
    tf.task(areas.town_a, assignee=people["rescue"], realm="households")  # not readable
    assert _ids(_sync(client, people["rescue"], TASKS)) == [own.id]


def test_another_towns_cursor_reveals_nothing(client, areas, people):
    mine = vf.household(areas.village_a1)
    theirs = vf.household(areas.village_b1)
    cursor_b = _sync(client, people["worker_b"])["cursor"]
    vf.household(areas.village_b2)
    _patch(client, people["supervisor"], theirs, area_id=areas.village_b2.id)
    # B's tombstones and records, asked with B's cursor by A: only A's own (none changed).
    page = _sync(client, people["worker_a"], cursor=cursor_b)
    assert _ids(page) == [] and page["tombstones"] == []
    # A cursor claiming that nothing was ever seen: A's area, and B's moves stay B's.
    moved_out_of_b = vf.household(areas.village_b1)
    _patch(client, people["supervisor"], moved_out_of_b, area_id=areas.village_b2.id)
    since_ever = _forged(
        {
            "k": "households",
            "since": {"h": 0, "s": "1:1:"},
            "until": {"h": 0, "s": "1:1:"},
            "phase": "tombstones",
            "after": 0,
        }
    )
    page = _sync(client, people["worker_a"], cursor=since_ever)
    assert page["tombstones"] == []
    records, dead, _ = _drain(client, people["worker_a"], cursor=since_ever)
    assert set(records) <= {mine.id} and dead == []


def test_tasks_first_download_and_tombstones(client, areas, people):
    worker = people["worker_a"]
    other_worker = factories.user("outreach_worker", areas.town_a)
    open_task = tf.task(areas.village_a1, assignee=worker)
    to_close = tf.task(areas.village_a1, assignee=worker)
    to_reassign = tf.task(areas.village_a1, assignee=worker)
    tf.task(areas.village_a1, assignee=worker, status="done")
    tf.task(areas.village_a1, assignee=other_worker)
    page = _sync(client, worker, TASKS)
    assert _ids(page) == sorted([open_task.id, to_close.id, to_reassign.id])
    cursor, other_cursor = page["cursor"], _sync(client, other_worker, TASKS)["cursor"]

    closed = client.patch(
        f"/api/v1/tasks/{to_close.id}",
        json={"status": "done", "outcome_note": "已办"},
        headers=factories.headers_for(worker),
    )
    assert closed.status_code == 200, closed.json
    moved = client.patch(
        f"/api/v1/tasks/{to_reassign.id}",
        json={"assignee_id": other_worker.id},
        headers=factories.headers_for(people["supervisor"]),
    )
    assert moved.status_code == 200, moved.json
    page = _sync(client, worker, TASKS, cursor=cursor)
    assert _ids(page) == [] and _dead(page) == sorted([to_close.id, to_reassign.id])
    assert _ids(_sync(client, other_worker, TASKS, cursor=other_cursor)) == [to_reassign.id]
    again = _sync(client, worker, TASKS, cursor=page["cursor"])
    assert again["records"] == [] and again["tombstones"] == []


def test_tombstones_are_written_only_when_a_household_leaves(db, areas):
    household = vf.household(areas.village_a1)
    household.address = "改过"
    db.flush()
    household.area_id = areas.village_b1.id
    db.flush()
    rows = db.scalars(select(SyncTombstone).where(SyncTombstone.record_id == household.id)).all()
    assert [(row.stream, row.area_id) for row in rows] == [("households", areas.village_a1.id)]
    assert session.get(Household, household.id).sync_version > 0


def test_a_household_syncs_its_head_member_and_relation_labels(client, areas, people):
    number = vf.valid_id_number("440232198001010020")
    household = vf.household(areas.village_a1, head_name="周强", head_id_number=number)
    page = _sync(client, people["worker_a"])
    record = next(r for r in page["records"] if r["id"] == household.id)
    head = record["members"][0]
    assert (head["name"], head["relation"], head["relation_label"]) == ("周强", "head", "户主")
    assert (head["sex"], head["birth_date"], head["birth_year"]) == ("female", "1980-01-01", 1980)
    assert record["head_name"] == head["name"] and record["head_id_number"] == head["id_number"]
    assert {m["relation_label"] for m in record["members"][1:]} == {"其他"}
