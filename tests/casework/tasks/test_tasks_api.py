"""/api/v1/tasks: the default list, supervisors' filters, hand-made tasks, updates,
reassignment and history, with the permission table and bad inputs."""

from datetime import timedelta

import pytest

from api.common.county_time import local_today
from tests import factories
from tests.casework.tasks import factories as tf

TODAY = local_today()


def get(client, user, path, **params):
    return client.get(f"/api/v1{path}", headers=factories.headers_for(user), query_string=params)


def ids(response):
    assert response.status_code == 200, response.json
    return [row["id"] for row in response.json]


# -- listing -------------------------------------------------------------------------------


def test_default_list_is_my_active_tasks_soonest_due_first(client, areas):
    me = factories.user("outreach_worker", areas.town_a)
    colleague = factories.user("outreach_worker", areas.town_a)
    later = tf.task(areas.village_a1, me, due_on=TODAY + timedelta(days=5))
    sooner = tf.task(areas.village_a1, me, due_on=TODAY + timedelta(days=1), status="in_progress")
    tf.task(areas.village_a1, me, status="done")
    tf.task(areas.village_a1, colleague)
    response = get(client, me, "/tasks")
    assert ids(response) == [sooner.id, later.id]
    assert response.headers["X-Total-Count"] == "2"


def test_same_day_tasks_list_high_priority_first(client, areas):
    me = factories.user("outreach_worker", areas.town_a)
    day = TODAY + timedelta(days=2)
    low = tf.task(areas.village_a1, me, due_on=day, priority="low")
    normal = tf.task(areas.village_a1, me, due_on=day)
    high = tf.task(areas.village_a1, me, due_on=day, priority="high")
    assert ids(get(client, me, "/tasks")) == [high.id, normal.id, low.id]


def test_list_rows_carry_the_contract_fields(client, areas):
    me = factories.user("outreach_worker", areas.town_a)
    tf.task(areas.village_a1, me)
    [row] = get(client, me, "/tasks").json
    for key in ("id", "kind", "status", "due_on", "assignee_id", "area_id", "source"):
        assert key in row
    assert row["source"] == {"rule": "manual", "kind": None, "id": None}


def test_supervisor_filters_by_area_subtree(client, areas):
    supervisor = factories.user("supervisor", areas.county)
    in_a = tf.task(areas.village_a1)
    tf.task(areas.village_b1)
    assert ids(get(client, supervisor, "/tasks", area_id=areas.town_a.id)) == [in_a.id]


def test_supervisor_filters_by_assignee_kind_and_status(client, areas):
    supervisor = factories.user("supervisor", areas.county)
    worker = factories.user("outreach_worker", areas.town_a)
    revisit = tf.task(areas.village_a1, worker, kind="revisit")
    tf.task(areas.village_a1, worker, kind="other")
    done = tf.task(areas.village_a1, worker, kind="revisit", status="done")
    assert ids(get(client, supervisor, "/tasks", assignee_id=worker.id, kind="revisit")) == [
        revisit.id
    ]
    assert ids(
        get(client, supervisor, "/tasks", assignee_id=worker.id, kind="revisit", status="done")
    ) == [done.id]


def test_supervisor_filters_overdue(client, areas):
    supervisor = factories.user("supervisor", areas.county)
    late = tf.task(areas.village_a1, due_on=TODAY - timedelta(days=1))
    tf.task(areas.village_a1, due_on=TODAY)
    tf.task(areas.village_a1, due_on=TODAY - timedelta(days=9), status="done")
    assert ids(get(client, supervisor, "/tasks", area_id=areas.county.id, overdue="true")) == [
        late.id
    ]


def test_supervisor_lists_the_unassigned_tasks_of_an_area(client, areas):
    supervisor = factories.user("supervisor", areas.county)
    nobodys = tf.task(areas.village_a1)
    tf.task(areas.village_a1, factories.user("outreach_worker", areas.town_a))
    response = get(client, supervisor, "/tasks", area_id=areas.town_a.id, unassigned="true")
    assert ids(response) == [nobodys.id]


@pytest.mark.parametrize("param", ["area_id", "assignee_id", "unassigned"])
def test_workers_do_not_list_other_peoples_tasks(client, areas, param):
    worker = factories.user("outreach_worker", areas.town_a)
    other = factories.user("outreach_worker", areas.town_a)
    value = {"area_id": areas.town_a.id, "assignee_id": other.id, "unassigned": "true"}[param]
    assert get(client, worker, "/tasks", **{param: value}).status_code == 403


def test_supervisor_cannot_list_an_area_outside_their_jurisdiction(client, areas):
    supervisor = factories.user("supervisor", areas.town_a)
    response = get(client, supervisor, "/tasks", area_id=areas.town_b.id)
    assert response.status_code == 422
    assert "area_id" in response.json["errors"]


@pytest.mark.parametrize(
    "params",
    [{"status": "finished"}, {"kind": "nap"}, {"overdue": "maybe"}, {"area_id": "x"}],
)
def test_bad_list_filters_are_422(client, areas, params):
    supervisor = factories.user("supervisor", areas.county)
    assert get(client, supervisor, "/tasks", **params).status_code == 422


def test_list_requires_a_token(client):
    assert client.get("/api/v1/tasks").status_code == 401


# -- one task: who sees it ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "home", "expected"),
    [
        ("outreach_worker", "town_a", 200),
        ("outreach_worker", "town_b", 404),
        ("supervisor", "town_a", 200),
        ("supervisor", "town_b", 404),
        ("supervisor", "county", 200),
        ("admin", "county", 200),
        ("rescue_staff", "town_b", 404),
    ],
)
def test_get_task_by_area(client, areas, role, home, expected):
    caller = factories.user(role, getattr(areas, home))
    row = tf.task(areas.village_a1)
    assert get(client, caller, f"/tasks/{row.id}").status_code == expected


def test_unknown_task_is_404(client, areas):
    caller = factories.user("supervisor", areas.county)
    assert get(client, caller, "/tasks/999999").status_code == 404


# -- creating by hand ----------------------------------------------------------------------


def post(client, user, body):
    return client.post("/api/v1/tasks", json=body, headers=factories.headers_for(user))


def body(area, **extra):
    values = {"title": "送米面油", "due_on": (TODAY + timedelta(days=2)).isoformat()}
    values["area_id"] = area.id
    values.update(extra)
    return values


def test_worker_creates_a_task_for_themselves(client, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    response = post(client, worker, body(areas.village_a1, priority="high"))
    assert response.status_code == 201
    assert response.json["assignee_id"] == worker.id
    assert response.json["status"] == "open" and response.json["kind"] == "other"
    assert response.json["source"] == {"rule": "manual", "kind": "user", "id": worker.id}


@pytest.mark.parametrize(
    ("role", "home", "assignee_home", "expected"),
    [
        ("outreach_worker", "town_a", "town_a", 403),
        ("supervisor", "town_a", "town_a", 201),
        ("supervisor", "county", "town_a", 201),
        ("supervisor", "town_a", "town_b", 422),
        ("admin", "county", "town_a", 201),
    ],
)
def test_assigning_a_new_task_to_someone_else(client, areas, role, home, assignee_home, expected):
    caller = factories.user(role, getattr(areas, home))
    assignee = factories.user("outreach_worker", getattr(areas, assignee_home))
    task_area = areas.village_a1 if assignee_home == "town_a" else areas.village_b1
    if expected == 422:
        task_area = areas.village_a1
    response = post(client, caller, body(task_area, assignee_id=assignee.id))
    assert response.status_code == expected, response.json


def test_assignee_whose_area_does_not_cover_the_task_is_422(client, areas):
    supervisor = factories.user("supervisor", areas.county)
    worker_b = factories.user("outreach_worker", areas.town_b)
    response = post(client, supervisor, body(areas.village_a1, assignee_id=worker_b.id))
    assert response.status_code == 422
    assert "assignee_id" in response.json["errors"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"due_on": "2026-02-30"}, "due_on"),
        ({"title": ""}, "title"),
        ({"kind": "nap"}, "kind"),
        ({"priority": "urgent!"}, "priority"),
        ({"area_id": 999999}, "area_id"),
        ({"subject_kind": "planet"}, "subject_kind"),
    ],
)
def test_bad_new_task_is_422(client, areas, payload, field):
    worker = factories.user("outreach_worker", areas.town_a)
    response = post(client, worker, body(areas.village_a1, **payload))
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_new_task_missing_fields_is_422(client, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    response = post(client, worker, {})
    assert response.status_code == 422
    assert {"title", "due_on"} <= set(response.json["errors"])


def test_new_task_about_no_record_needs_an_area(client, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    response = post(client, worker, {"title": "送米面油", "due_on": TODAY.isoformat()})
    assert response.status_code == 422
    assert "area_id" in response.json["errors"]


def test_new_task_in_another_town_is_422(client, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    response = post(client, worker, body(areas.village_b1))
    assert response.status_code == 422


# -- updating ------------------------------------------------------------------------------


def patch(client, user, task_id, changes):
    return client.patch(
        f"/api/v1/tasks/{task_id}", json=changes, headers=factories.headers_for(user)
    )


def test_worker_starts_and_completes_their_task(client, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    row = tf.task(areas.village_a1, worker)
    assert patch(client, worker, row.id, {"status": "in_progress"}).json["status"] == "in_progress"
    done = patch(client, worker, row.id, {"status": "done", "outcome_note": "已送达"})
    assert done.status_code == 200
    assert done.json["status"] == "done" and done.json["closed_at"]


@pytest.mark.parametrize("status", ["done", "cancelled"])
def test_closing_without_an_outcome_note_is_422(client, areas, status):
    worker = factories.user("outreach_worker", areas.town_a)
    row = tf.task(areas.village_a1, worker)
    response = patch(client, worker, row.id, {"status": status})
    assert response.status_code == 422
    assert "outcome_note" in response.json["errors"]


def test_worker_cannot_update_a_colleagues_task(client, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    row = tf.task(areas.village_a1, factories.user("outreach_worker", areas.town_a))
    assert patch(client, worker, row.id, {"status": "in_progress"}).status_code == 403


@pytest.mark.parametrize(
    "changes", [{"assignee_id": None}, {"due_on": "2030-01-01"}, {"priority": "low"}]
)
def test_worker_cannot_reassign_or_reschedule(client, areas, changes):
    worker = factories.user("outreach_worker", areas.town_a)
    row = tf.task(areas.village_a1, worker)
    assert patch(client, worker, row.id, changes).status_code == 403


def test_task_in_another_town_is_404_to_update(client, areas):
    worker = factories.user("outreach_worker", areas.town_b)
    row = tf.task(areas.village_a1)
    assert patch(client, worker, row.id, {"status": "in_progress"}).status_code == 404


def test_bad_status_is_422(client, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    row = tf.task(areas.village_a1, worker)
    assert patch(client, worker, row.id, {"status": "finished"}).status_code == 422


@pytest.mark.parametrize(
    ("supervisor_home", "target_home", "expected"),
    [
        ("town_a", "town_a", 200),
        ("county", "town_a", 200),
        ("town_a", "town_b", 422),
        ("county", "town_b", 422),  # town B's worker cannot see a task in town A
    ],
)
def test_supervisor_reassigns_within_their_area(
    client, areas, supervisor_home, target_home, expected
):
    supervisor = factories.user("supervisor", getattr(areas, supervisor_home))
    row = tf.task(areas.village_a1, factories.user("outreach_worker", areas.town_a))
    target = factories.user("outreach_worker", getattr(areas, target_home))
    response = patch(client, supervisor, row.id, {"assignee_id": target.id})
    assert response.status_code == expected, response.json
    if expected == 200:
        assert response.json["assignee_id"] == target.id


def test_reassigning_to_a_deactivated_user_is_422(client, areas):
    supervisor = factories.user("supervisor", areas.town_a)
    row = tf.task(areas.village_a1)
    gone = factories.user("outreach_worker", areas.town_a, active=False)
    assert patch(client, supervisor, row.id, {"assignee_id": gone.id}).status_code == 422


def test_closed_task_is_409_for_its_worker_and_reopened_by_a_supervisor(client, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    supervisor = factories.user("supervisor", areas.town_a)
    row = tf.task(areas.village_a1, worker)
    patch(client, worker, row.id, {"status": "done", "outcome_note": "ok"})
    assert patch(client, worker, row.id, {"status": "open"}).status_code == 409
    reopened = patch(client, supervisor, row.id, {"status": "open"})
    assert reopened.status_code == 200
    assert reopened.json["status"] == "open" and reopened.json["closed_at"] is None


def test_history_records_each_change_with_its_actor(client, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    supervisor = factories.user("supervisor", areas.town_a)
    other = factories.user("outreach_worker", areas.town_a)
    row = tf.task(areas.village_a1, worker)
    patch(client, worker, row.id, {"status": "in_progress"})
    patch(client, supervisor, row.id, {"assignee_id": other.id})
    history = get(client, supervisor, f"/tasks/{row.id}/history").json
    assert [h["action"] for h in history] == ["created", "updated", "reassigned"]
    assert history[1]["actor_id"] == worker.id
    assert history[1]["changes"]["status"] == {"old": "open", "new": "in_progress"}
    assert history[2]["changes"]["assignee_id"] == {"old": worker.id, "new": other.id}


def test_history_of_a_task_in_another_town_is_404(client, areas):
    worker = factories.user("outreach_worker", areas.town_b)
    row = tf.task(areas.village_a1)
    assert get(client, worker, f"/tasks/{row.id}/history").status_code == 404


# -- reassigning many at once (POST /tasks/reassign) ----------------------------------------


def reassign(client, user, task_ids, assignee_id):
    return client.post(
        "/api/v1/tasks/reassign",
        json={"task_ids": task_ids, "assignee_id": assignee_id},
        headers=factories.headers_for(user),
    )


def test_supervisor_reassigns_many_tasks_with_their_history(client, areas):
    supervisor = factories.user("supervisor", areas.town_a)
    worker = factories.user("outreach_worker", areas.town_a)
    rows = [tf.task(areas.village_a1), tf.task(areas.village_a2)]
    response = reassign(client, supervisor, [row.id for row in rows], worker.id)
    assert response.status_code == 200, response.json
    assert {row["assignee_id"] for row in response.json} == {worker.id}
    for row in rows:
        [*_, last] = get(client, supervisor, f"/tasks/{row.id}/history").json
        assert last["action"] == "reassigned" and last["actor_id"] == supervisor.id
        assert last["changes"]["assignee_id"] == {"old": None, "new": worker.id}


def test_reassigning_back_to_the_queue(client, areas):
    supervisor = factories.user("supervisor", areas.town_a)
    row = tf.task(areas.village_a1, factories.user("outreach_worker", areas.town_a))
    assert reassign(client, supervisor, [row.id], None).json[0]["assignee_id"] is None


def test_reassigning_is_all_or_nothing(client, areas, db):
    supervisor = factories.user("supervisor", areas.county)
    worker = factories.user("outreach_worker", areas.town_a)
    mine = tf.task(areas.village_a1)
    theirs = tf.task(areas.village_b1)  # town A's worker cannot read a town B task
    closed = tf.task(areas.village_a1, status="done")
    assert reassign(client, supervisor, [mine.id, theirs.id], worker.id).status_code == 422
    assert reassign(client, supervisor, [mine.id, closed.id], worker.id).status_code == 409
    db.expire_all()
    assert get(client, supervisor, f"/tasks/{mine.id}").json["assignee_id"] is None


def test_a_task_out_of_reach_is_refused_like_a_missing_one(client, areas):
    supervisor = factories.user("supervisor", areas.town_a)
    other_town = tf.task(areas.village_b1)
    rescue = tf.task(areas.village_a1, realm="rescue")
    outreach = factories.user("supervisor", areas.town_a)
    for task_id in (other_town.id, 987654):
        response = reassign(client, supervisor, [task_id], outreach.id)
        assert response.status_code == 422
        assert list(response.json["errors"]) == ["task_ids"]
    worker = factories.user("outreach_worker", areas.town_a)
    assert reassign(client, supervisor, [rescue.id], worker.id).status_code == 422


@pytest.mark.parametrize("role", ["outreach_worker", "rescue_staff"])
def test_only_supervisors_reassign_in_bulk(client, areas, role):
    me = factories.user(role, areas.town_a)
    row = tf.task(areas.village_a1, me)
    assert reassign(client, me, [row.id], me.id).status_code == 403


@pytest.mark.parametrize(
    "payload", [{}, {"task_ids": []}, {"task_ids": [1]}, {"task_ids": ["x"], "assignee_id": None}]
)
def test_bad_bulk_reassignments_are_422(client, areas, payload):
    supervisor = factories.user("supervisor", areas.town_a)
    response = client.post(
        "/api/v1/tasks/reassign", json=payload, headers=factories.headers_for(supervisor)
    )
    assert response.status_code == 422
