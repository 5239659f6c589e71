"""Tasks are read by whoever reads what they are about (their realm): by id, in history,
lists and counts, whichever path made them (by hand, a rule, the set-wise insert, an
escalation). Residents' tasks never reach outreach workers, even in a town's area."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from api.areas.scope import SYSTEM, Actor, set_actor
from api.casework.tasks.models import Task
from api.casework.tracing.services import ensure_open_case
from api.common.county_time import local_today
from api.db import session
from tests import factories
from tests.casework.tasks import factories as tf
from tests.rescue.centre import factories as cf
from workers import followup

# Where each role's caller sits: every one of them covers village A1, the tasks' area.
HOMES = {
    "outreach_worker": "town_a",
    "rescue_staff": "county",
    "supervisor": "county",
    "admin": "county",
}
READS = {
    "households": {"outreach_worker", "supervisor", "admin"},
    "rescue": {"rescue_staff", "supervisor", "admin"},
    "supervision": {"supervisor", "admin"},
}
CASES = [(realm, role) for realm in READS for role in HOMES]


def get(client, user, path):
    return client.get(f"/api/v1{path}", headers=factories.headers_for(user))


def problem(response):
    return {key: value for key, value in response.json.items() if key != "request_id"}


@pytest.mark.parametrize(("realm", "role"), CASES)
def test_a_task_by_id_follows_its_realm(client, areas, realm, role):
    row = tf.task(areas.village_a1, realm=realm)
    caller = factories.user(role, getattr(areas, HOMES[role]))
    expected = 200 if role in READS[realm] else 404
    assert get(client, caller, f"/tasks/{row.id}").status_code == expected


@pytest.mark.parametrize(("realm", "role"), CASES)
def test_a_tasks_history_follows_its_realm(client, areas, realm, role):
    row = tf.task(areas.village_a1, realm=realm)
    caller = factories.user(role, getattr(areas, HOMES[role]))
    expected = 200 if role in READS[realm] else 404
    assert get(client, caller, f"/tasks/{row.id}/history").status_code == expected


@pytest.mark.parametrize("path", ["/tasks/{}", "/tasks/{}/history"])
def test_a_hidden_task_answers_like_a_missing_one(client, areas, path):
    worker = factories.user("outreach_worker", areas.town_a)
    hidden = tf.task(areas.village_a1, realm="rescue")
    one = get(client, worker, path.format(hidden.id))
    other = get(client, worker, path.format(99_999_999))
    assert one.status_code == other.status_code == 404
    assert problem(one) == problem(other)


def test_a_hidden_task_cannot_be_updated(client, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    planted = tf.task(areas.village_a1, worker, realm="rescue")
    response = client.patch(
        f"/api/v1/tasks/{planted.id}",
        json={"status": "in_progress"},
        headers=factories.headers_for(worker),
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("role", "hidden_realm"), [("outreach_worker", "rescue"), ("rescue_staff", "households")]
)
def test_the_own_list_leaves_out_the_other_realm(client, areas, role, hidden_realm):
    me = factories.user(role, getattr(areas, HOMES[role]))
    seen = tf.task(
        areas.village_a1, me, realm="households" if hidden_realm == "rescue" else "rescue"
    )
    tf.task(areas.village_a1, me, realm=hidden_realm)
    response = get(client, me, "/tasks")
    assert [row["id"] for row in response.json] == [seen.id]
    assert response.headers["X-Total-Count"] == "1"


def test_a_supervisor_lists_both_realms(client, areas):
    supervisor = factories.user("supervisor", areas.county)
    made = [tf.task(areas.village_a1, realm=realm).id for realm in READS]
    response = client.get(
        "/api/v1/tasks",
        query_string={"area_id": areas.town_a.id},
        headers=factories.headers_for(supervisor),
    )
    assert sorted(row["id"] for row in response.json) == sorted(made)


def test_counts_and_aliases_follow_the_realm(db, areas):
    made = [tf.task(areas.village_a1, realm=realm).id for realm in READS]
    worker = factories.user("outreach_worker", areas.town_a)
    set_actor(None, Actor(worker.id, worker.role, areas.town_a.id, areas.town_a.path))
    try:
        count = session.scalar(select(func.count()).select_from(Task).where(Task.id.in_(made)))
        other = aliased(Task)
        through_alias = session.scalars(select(other.id).where(other.id.in_(made))).all()
    finally:
        set_actor(None, SYSTEM)
    assert count == 1 and len(through_alias) == 1


# -- the realm of rule-made tasks ----------------------------------------------------------


def test_a_visits_rule_tasks_are_the_households_realm(db, areas):
    visit = tf.visit(tf.household(areas.village_a1), screening_result="likely_dibao")
    followup.visit_recorded(visit.id)  # the set-wise insert on PostgreSQL
    [task] = db.scalars(select(Task).where(Task.source_id == visit.id)).all()
    assert task.realm == "households"


def test_an_encounters_rule_task_is_the_rescue_realm(db, areas):
    met = cf.encounter(areas.village_a1, outcome="sent_to_hospital")
    followup.encounter_recorded(met.id)
    [task] = db.scalars(select(Task).where(Task.subject_kind == "encounter")).all()
    assert task.kind == "hospital_checkup" and task.realm == "rescue"


@pytest.mark.parametrize(
    ("owner_kind", "realm"), [("visit", "households"), ("encounter", "rescue")]
)
def test_a_photos_review_task_takes_the_photos_realm(db, areas, owner_kind, realm):
    factories.user("supervisor", areas.county)
    picture = tf.owned_photo(owner_kind, 1, areas.village_a1.id, flagged=True)
    followup.photo_flagged(picture.id)
    [task] = db.scalars(select(Task).where(Task.subject_id == picture.id)).all()
    assert task.kind == "presence_review" and task.realm == realm


def test_a_stale_tracing_cases_review_is_the_rescue_realm(db, areas):
    resident = cf.resident(areas.county)
    case, _ = ensure_open_case(resident.id)
    case.last_activity_on = local_today() - timedelta(days=400)
    db.flush()
    followup.stale_tracing_cases()
    [task] = db.scalars(select(Task).where(Task.kind == "tracing_review")).all()
    assert task.realm == "rescue"


@pytest.mark.parametrize("realm", ["households", "rescue"])
def test_an_escalation_takes_the_realm_of_the_task_it_escalates(db, areas, realm):
    late = tf.task(areas.village_a1, due_on=local_today() - timedelta(days=30), realm=realm)
    followup.escalate_overdue()
    [escalation] = db.scalars(select(Task).where(Task.parent_id == late.id)).all()
    assert escalation.realm == realm


# -- residents -----------------------------------------------------------------------------


def test_a_residents_task_in_a_town_is_hidden_from_that_towns_worker(client, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    staff = factories.user("rescue_staff", areas.county)
    cf.resident(areas.town_a, admitted_at=tf.at(400))
    followup.long_stay_without_case()
    task_id = session.scalar(select(Task.id).where(Task.kind == "tracing_start"))
    assert get(client, worker, f"/tasks/{task_id}").status_code == 404
    assert get(client, staff, f"/tasks/{task_id}").status_code == 200
