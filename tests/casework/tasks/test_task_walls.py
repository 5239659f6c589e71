"""POST /tasks and PATCH /tasks/{id} behind the walls: which kinds each role makes by hand,
about which records (only ones the caller sees), in which area (one that contains the
record), for whom (someone who may read the task); and the issue's story, where a town's
worker followed another town's visits through a revisit task."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from api.casework.tasks.models import MANUAL_KINDS_BY_ROLE, TASK_KINDS, Task
from api.casework.tracing.services import ensure_open_case
from api.common.county_time import local_today
from tests import factories
from tests.casework.tasks import factories as tf
from tests.rescue.centre import factories as cf
from tests.rescue.patrols import factories as pf
from workers import followup

TODAY = local_today()
HOMES = {"outreach_worker": "town_a", "rescue_staff": "county", "supervisor": "county"}
RULE_MADE = sorted(set(TASK_KINDS) - set().union(*MANUAL_KINDS_BY_ROLE.values()))


def post(client, user, body):
    return client.post("/api/v1/tasks", json=body, headers=factories.headers_for(user))


def body(**extra):
    values = {"title": "送米面油", "due_on": (TODAY + timedelta(days=2)).isoformat()}
    values.update(extra)
    return values


@pytest.fixture
def records(areas):
    """One record of each kind a task may be about, all in town A."""
    household = tf.household(areas.village_a1)
    resident = cf.resident(areas.town_a)
    return {
        "household": household,
        "visit": tf.visit(household),
        "encounter": cf.encounter(areas.village_a1),
        "person": pf.street_person(areas.village_a1),
        "resident": resident,
        "tracing_case": ensure_open_case(resident.id)[0],
    }


def about(records, subject):
    """The body fields naming ``subject`` ("household" alone names it by household_id)."""
    if subject is None:
        return {}
    if subject == "household_id":
        return {"household_id": records["household"].id}
    return {"subject_kind": subject, "subject_id": records[subject].id}


def caller(areas, role):
    return factories.user(role, getattr(areas, HOMES.get(role, "county")))


# -- kinds by role -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "kind", "subject", "expected"),
    [
        ("outreach_worker", "other", None, 201),
        ("outreach_worker", "other", "visit", 201),
        ("outreach_worker", "revisit", "household_id", 201),
        ("outreach_worker", "assist_application", "household_id", 422),
        ("outreach_worker", "temporary_assistance", "visit", 422),
        ("outreach_worker", "return_visit", "encounter", 422),
        ("rescue_staff", "other", None, 201),
        ("rescue_staff", "other", "tracing_case", 201),
        ("rescue_staff", "return_visit", "encounter", 201),
        ("rescue_staff", "return_visit", "person", 201),
        ("rescue_staff", "hospital_checkup", "resident", 201),
        ("rescue_staff", "revisit", "household_id", 422),
        ("rescue_staff", "assist_application", "household_id", 422),
        ("supervisor", "other", None, 201),
        ("supervisor", "revisit", "household_id", 201),
        ("supervisor", "assist_application", "household_id", 201),
        ("supervisor", "temporary_assistance", "visit", 201),
        ("supervisor", "return_visit", "encounter", 201),
        ("supervisor", "hospital_checkup", "person", 201),
        ("admin", "assist_application", "household_id", 201),
        ("admin", "hospital_checkup", "resident", 201),
    ],
)
def test_which_kinds_each_role_makes_by_hand(client, areas, records, role, kind, subject, expected):
    extra = {} if subject else {"area_id": areas.village_a1.id}
    payload = body(kind=kind, **about(records, subject), **extra)
    response = post(client, caller(areas, role), payload)
    assert response.status_code == expected, response.json
    if expected == 422:
        assert "kind" in response.json["errors"]


@pytest.mark.parametrize("kind", RULE_MADE)
@pytest.mark.parametrize("role", ["outreach_worker", "rescue_staff", "supervisor", "admin"])
def test_nobody_makes_a_rule_made_kind_by_hand(client, areas, records, role, kind):
    response = post(client, caller(areas, role), body(kind=kind, area_id=areas.village_a1.id))
    assert response.status_code == 422
    assert "kind" in response.json["errors"]


def test_escalation_and_the_rule_kinds_are_made_by_rules_only():
    assert {"escalation", "presence_review", "tracing_start", "tracing_review"} <= set(RULE_MADE)


@pytest.mark.parametrize(
    ("kind", "subject"),
    [
        ("revisit", None),
        ("revisit", "encounter"),
        ("return_visit", "household_id"),
        ("hospital_checkup", "visit"),
        ("assist_application", "resident"),
    ],
)
def test_a_kind_is_about_its_own_kind_of_record(client, areas, records, kind, subject):
    supervisor = factories.user("supervisor", areas.county)
    extra = {} if subject else {"area_id": areas.village_a1.id}
    response = post(client, supervisor, body(kind=kind, **about(records, subject), **extra))
    assert response.status_code == 422
    assert "subject_kind" in response.json["errors"]


# -- the subject must be visible -----------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "subject", "field"),
    [
        ("outreach_worker", "encounter", "subject_id"),
        ("outreach_worker", "person", "subject_id"),
        ("outreach_worker", "resident", "subject_id"),
        ("outreach_worker", "tracing_case", "subject_id"),
        ("rescue_staff", "household_id", "household_id"),
        ("rescue_staff", "visit", "subject_id"),
    ],
)
def test_a_record_of_the_other_realm_reads_as_missing(client, areas, records, role, subject, field):
    user = caller(areas, role)
    hidden = post(client, user, body(**about(records, subject)))
    missing = post(client, user, body(**{**about(records, subject), field: 99_999_999}))
    assert hidden.status_code == missing.status_code == 422
    assert hidden.json["errors"] == missing.json["errors"]
    assert list(hidden.json["errors"]) == [field]


def test_another_towns_household_reads_as_missing(client, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    elsewhere = tf.household(areas.village_b1)
    hidden = post(client, worker, body(kind="revisit", household_id=elsewhere.id))
    missing = post(client, worker, body(kind="revisit", household_id=99_999_999))
    assert hidden.status_code == 422
    assert hidden.json["errors"] == missing.json["errors"]
    assert hidden.json["errors"] == {"household_id": ["No such household."]}


def test_a_town_supervisor_cannot_name_another_towns_visit(client, areas):
    supervisor = factories.user("supervisor", areas.town_a)
    visit = tf.visit(tf.household(areas.village_b1))
    response = post(client, supervisor, body(subject_kind="visit", subject_id=visit.id))
    assert response.status_code == 422
    assert response.json["errors"] == {"subject_id": ["No such visit."]}


def test_subject_kind_without_its_id_is_422(client, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    response = post(client, worker, body(subject_kind="household", area_id=areas.village_a1.id))
    assert response.status_code == 422
    assert "subject_id" in response.json["errors"]


def test_household_must_be_the_subjects_household(client, areas, records):
    worker = factories.user("outreach_worker", areas.town_a)
    other = tf.household(areas.village_a1)
    response = post(
        client,
        worker,
        body(subject_kind="visit", subject_id=records["visit"].id, household_id=other.id),
    )
    assert response.status_code == 422
    assert "household_id" in response.json["errors"]


def test_a_visits_task_carries_the_visits_household(client, areas, records):
    worker = factories.user("outreach_worker", areas.town_a)
    response = post(client, worker, body(subject_kind="visit", subject_id=records["visit"].id))
    assert response.status_code == 201
    assert response.json["household_id"] == records["household"].id
    assert response.json["subject"] == {"kind": "visit", "id": records["visit"].id}


# -- the area contains the subject ---------------------------------------------------------


def test_the_area_defaults_to_the_subjects(client, areas, records):
    worker = factories.user("outreach_worker", areas.town_a)
    response = post(client, worker, body(kind="revisit", household_id=records["household"].id))
    assert response.status_code == 201
    assert response.json["area_id"] == areas.village_a1.id
    assert response.json["subject"] == {"kind": "household", "id": records["household"].id}


def test_an_area_above_the_subject_is_accepted(client, areas, records):
    worker = factories.user("outreach_worker", areas.town_a)
    response = post(
        client,
        worker,
        body(kind="revisit", household_id=records["household"].id, area_id=areas.town_a.id),
    )
    assert response.status_code == 201


def test_an_area_beside_the_subject_is_422(client, areas, records):
    worker = factories.user("outreach_worker", areas.town_a)
    response = post(
        client,
        worker,
        body(kind="revisit", household_id=records["household"].id, area_id=areas.village_a2.id),
    )
    assert response.status_code == 422
    assert "area_id" in response.json["errors"]


# -- assignees -----------------------------------------------------------------------------


def test_a_worker_cannot_leave_their_task_unassigned(client, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    response = post(client, worker, body(area_id=areas.village_a1.id, assignee_id=None))
    assert response.status_code == 403


def test_a_supervisor_may_leave_a_task_in_the_areas_queue(client, areas, records):
    supervisor = factories.user("supervisor", areas.town_a)
    response = post(
        client,
        supervisor,
        body(kind="assist_application", household_id=records["household"].id, assignee_id=None),
    )
    assert response.status_code == 201 and response.json["assignee_id"] is None
    queue = client.get(
        "/api/v1/tasks",
        query_string={"area_id": areas.town_a.id, "unassigned": "true"},
        headers=factories.headers_for(supervisor),
    )
    assert [row["id"] for row in queue.json] == [response.json["id"]]


@pytest.mark.parametrize(
    ("subject", "assignee_role", "expected"),
    [
        ("household_id", "outreach_worker", 201),
        ("household_id", "rescue_staff", 422),
        ("encounter", "rescue_staff", 201),
        ("encounter", "outreach_worker", 422),
        ("resident", "outreach_worker", 422),
    ],
)
def test_the_assignee_must_read_the_task(client, areas, records, subject, assignee_role, expected):
    supervisor = factories.user("supervisor", areas.county)
    assignee = factories.user(assignee_role, areas.town_a)
    response = post(client, supervisor, body(**about(records, subject), assignee_id=assignee.id))
    assert response.status_code == expected, response.json
    if expected == 422:
        assert "assignee_id" in response.json["errors"]


def test_a_task_about_no_record_is_read_by_its_assignees_side(client, areas):
    supervisor = factories.user("supervisor", areas.county)
    staff = factories.user("rescue_staff", areas.county)
    worker = factories.user("outreach_worker", areas.town_a)
    response = post(client, supervisor, body(area_id=areas.village_a1.id, assignee_id=staff.id))
    assert response.status_code == 201 and response.json["realm"] == "rescue"
    path = f"/api/v1/tasks/{response.json['id']}"
    assert client.get(path, headers=factories.headers_for(worker)).status_code == 404
    assert client.get(path, headers=factories.headers_for(staff)).status_code == 200


def test_reassigning_to_someone_who_cannot_read_the_task_is_422(client, areas):
    supervisor = factories.user("supervisor", areas.county)
    row = tf.task(areas.village_a1, factories.user("outreach_worker", areas.town_a))
    staff = factories.user("rescue_staff", areas.county)
    response = client.patch(
        f"/api/v1/tasks/{row.id}",
        json={"assignee_id": staff.id},
        headers=factories.headers_for(supervisor),
    )
    assert response.status_code == 422
    assert "assignee_id" in response.json["errors"]


def test_a_rule_never_assigns_a_task_to_someone_who_cannot_read_it(db, areas):
    moved = factories.user("outreach_worker", areas.town_b)  # last visited town A's household
    household = tf.household(areas.village_a1, ("poverty_return_monitoring",))
    tf.visit(household, moved, visited_at=tf.at(40))
    followup.revisit_cadence()
    [task] = db.scalars(select(Task).where(Task.household_id == household.id)).all()
    assert task.assignee_id is None


# -- the story ---------------------------------------------------------------------


def test_a_worker_cannot_make_a_revisit_task_on_another_towns_household(client, areas):
    worker_a = factories.user("outreach_worker", areas.town_a)
    household_b = tf.household(areas.village_b1)
    response = post(client, worker_a, body(kind="revisit", household_id=household_b.id))
    assert response.status_code == 422
    assert response.json["errors"] == {"household_id": ["No such household."]}


def test_another_towns_visit_does_not_close_a_task_planted_outside_its_area(db, areas):
    worker_a = factories.user("outreach_worker", areas.town_a)
    worker_b = factories.user("outreach_worker", areas.town_b)
    household_b = tf.household(areas.village_b1)
    planted = tf.task(areas.town_a, worker_a, kind="revisit", household_id=household_b.id)
    visit_b = tf.visit(household_b, worker_b)
    followup.visit_recorded(visit_b.id)
    db.refresh(planted)
    assert planted.status == "open" and planted.closed_at is None
    assert planted.outcome_note is None
    assert [entry.action for entry in planted.history] == ["created"]
    assert str(visit_b.id) not in str(planted.details)


def test_the_same_visit_closes_the_households_own_towns_revisit(db, areas):
    worker_b = factories.user("outreach_worker", areas.town_b)
    household_b = tf.household(areas.village_b1)
    own = tf.task(areas.town_b, worker_b, kind="revisit", household_id=household_b.id)
    visit_b = tf.visit(household_b, worker_b)
    followup.visit_recorded(visit_b.id)
    db.refresh(own)
    assert own.status == "done" and f"Visit #{visit_b.id}" in own.outcome_note
