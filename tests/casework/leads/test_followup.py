"""A help request becomes a follow-up task through the outbox and a real RQ worker,
exactly once; a request not contacted by its respond-by time escalates once."""

from datetime import timedelta

from sqlalchemy import select

from api.casework.leads.models import Lead
from api.casework.tasks.models import Task
from api.common import county_time
from api.jobs.queue import queue_for
from tests import factories
from tests.casework.leads import factories as lf
from tests.casework.tasks import factories as tf
from workers import followup


def commit_and_run(db, run_jobs):
    db.commit()  # the request's commit (a savepoint here): the outbox dispatches after it
    run_jobs()


def tasks_of(db, lead, kind="help_request"):
    if kind == "escalation":
        return db.scalars(
            select(Task).where(Task.kind == kind, Task.parent_id == lead.task_id)
        ).all()
    return db.scalars(
        select(Task).where(
            Task.kind == kind, Task.subject_kind == "lead", Task.subject_id == lead.id
        )
    ).all()


def test_an_urgent_request_gets_a_high_priority_task_for_the_least_loaded_town_worker(
    db, areas, run_jobs
):
    busy = factories.user("outreach_worker", areas.town_a)
    free = factories.user("outreach_worker", areas.town_a)
    tf.task(areas.village_a1, busy)
    factories.user("outreach_worker", areas.town_b)
    made = lf.lead(areas.village_a2, urgency="urgent", urgent_reasons=["no_food"])
    commit_and_run(db, run_jobs)
    made = db.get(Lead, made.id)
    [task] = tasks_of(db, made)
    assert task.assignee_id == free.id and task.priority == "high"
    assert task.area_id == areas.town_a.id and task.rule == "help_request"
    assert task.due_on == county_time.local_date(made.respond_by)
    assert made.respond_by - made.created_at == timedelta(hours=24)
    assert made.task_id == task.id and made.status == "assigned" and made.assigned_at


def test_a_normal_request_is_due_in_five_days(db, areas, run_jobs):
    factories.user("outreach_worker", areas.town_b)
    made = lf.lead(areas.village_b1)
    commit_and_run(db, run_jobs)
    made = db.get(Lead, made.id)
    [task] = tasks_of(db, made)
    assert made.respond_by - made.created_at == timedelta(days=5)
    assert task.priority == "normal" and task.due_on == county_time.local_date(made.respond_by)


def test_the_job_run_twice_makes_one_task(db, areas, run_jobs):
    factories.user("outreach_worker", areas.town_a)
    made = lf.lead(areas.village_a1)
    commit_and_run(db, run_jobs)
    followup.lead_received(made.id)
    db.get(Lead, made.id).task_id = None  # even if the link were lost, the key holds
    followup.lead_received(made.id)
    assert len(tasks_of(db, made)) == 1
    assert db.get(Lead, made.id).task_id == tasks_of(db, made)[0].id


def test_the_countys_queue_goes_to_the_county_supervisor(db, areas, run_jobs):
    supervisor = factories.user("supervisor", areas.county)
    made = lf.lead(areas.county, address="不知道在哪")
    commit_and_run(db, run_jobs)
    [task] = tasks_of(db, made)
    assert made.queue == "county" and task.assignee_id == supervisor.id


def test_a_street_request_goes_to_the_rescue_centres_staff(db, areas, run_jobs):
    staff = factories.user("rescue_staff", areas.county)
    factories.user("outreach_worker", areas.town_a)
    made = lf.lead(areas.village_a1, about_street_person=True, about="other")
    commit_and_run(db, run_jobs)
    [task] = tasks_of(db, made)
    assert task.assignee_id == staff.id and task.area_id == areas.county.id


def test_a_town_with_no_worker_leaves_the_task_unassigned_and_the_request_received(
    db, areas, run_jobs
):
    made = lf.lead(areas.village_b2)
    commit_and_run(db, run_jobs)
    made = db.get(Lead, made.id)
    [task] = tasks_of(db, made)
    assert task.assignee_id is None and made.status == "received" and made.task_id == task.id


def _breach_check_on_rq(app, run_jobs):
    queue = queue_for(app)
    for _ in range(2):  # twice: the second run must add nothing
        queue.enqueue("workers.runner.run_recurring", "workers.followup.help_requests_breached")
    run_jobs()


def test_a_breached_request_escalates_once_to_the_supervisor(app, db, areas, run_jobs):
    worker = factories.user("outreach_worker", areas.town_a)
    supervisor = factories.user("supervisor", areas.town_a)
    made = lf.lead(areas.village_a1, urgency="urgent")
    commit_and_run(db, run_jobs)
    made = lf.passes(made, timedelta(hours=25))
    db.commit()
    _breach_check_on_rq(app, run_jobs)
    made = db.get(Lead, made.id)
    [escalation] = tasks_of(db, made, "escalation")
    assert escalation.assignee_id == supervisor.id and escalation.priority == "high"
    assert escalation.rule == "help_request_breach" and escalation.source_id == made.id
    assert escalation.details["overdue_assignee_id"] == worker.id
    # The overdue-task escalation, days later, does not escalate the same task again.
    made = lf.passes(made, timedelta(days=10))
    db.get(Task, made.task_id).due_on -= timedelta(days=10)
    db.flush()
    followup.escalate_overdue()
    assert len(tasks_of(db, made, "escalation")) == 1


def test_a_request_at_risk_or_contacted_in_time_does_not_escalate(app, db, areas, run_jobs):
    factories.user("outreach_worker", areas.town_a)
    factories.user("supervisor", areas.county)
    at_risk = lf.lead(areas.village_a1, urgency="urgent")
    contacted = lf.lead(areas.village_a2, urgency="urgent")
    commit_and_run(db, run_jobs)
    at_risk = lf.passes(at_risk, timedelta(hours=20))
    contacted = lf.passes(contacted, timedelta(hours=2))
    contacted.first_contact_at = contacted.created_at + timedelta(hours=1)
    db.flush()
    contacted = lf.passes(contacted, timedelta(hours=30))
    db.commit()
    _breach_check_on_rq(app, run_jobs)
    assert tasks_of(db, at_risk, "escalation") == []
    assert tasks_of(db, contacted, "escalation") == []


def test_closing_a_request_closes_its_task(client, db, areas, run_jobs):
    worker = factories.user("outreach_worker", areas.town_a)
    made = lf.lead(areas.village_a1)
    commit_and_run(db, run_jobs)
    response = client.post(
        f"/api/v1/help-requests/{made.id}/close",
        json={"outcome": "temporary_assistance_given"},
        headers=factories.headers_for(worker),
    )
    assert response.status_code == 200
    [task] = tasks_of(db, made)
    assert task.status == "done" and "temporary_assistance_given" in task.outcome_note


def test_the_county_dispatches_a_request_from_its_queue_to_a_town(client, db, areas, run_jobs):
    county_supervisor = factories.user("supervisor", areas.county)
    town_worker = factories.user("outreach_worker", areas.town_b)
    made = lf.lead(areas.county, address="不知道在哪", urgency="urgent")
    commit_and_run(db, run_jobs)
    [old_task] = tasks_of(db, made)
    assert old_task.assignee_id == county_supervisor.id

    refused = client.patch(
        f"/api/v1/help-requests/{made.id}",
        json={"area_id": areas.village_b1.id},
        headers=factories.headers_for(factories.user("outreach_worker", areas.county)),
    )
    assert refused.status_code == 403
    response = client.patch(
        f"/api/v1/help-requests/{made.id}",
        json={"area_id": areas.village_b1.id},
        headers=factories.headers_for(county_supervisor),
    )
    assert response.status_code == 200, response.json
    assert response.json["area_id"] == areas.town_b.id and response.json["queue"] == "town"
    assert response.json["status"] == "received" and response.json["task_id"] is None
    commit_and_run(db, run_jobs)
    made = db.get(Lead, made.id)
    tasks = {task.id: task for task in tasks_of(db, made)}
    assert tasks[old_task.id].status == "cancelled"
    new_task = tasks[made.task_id]
    assert new_task.area_id == areas.town_b.id and new_task.assignee_id == town_worker.id
    assert made.status == "assigned" and made.respond_by - made.created_at == timedelta(hours=24)


def test_a_town_supervisor_cannot_send_a_request_to_another_town(client, db, areas):
    supervisor = factories.user("supervisor", areas.town_a)
    made = lf.lead(areas.village_a1)
    headers = factories.headers_for(supervisor)
    path = f"/api/v1/help-requests/{made.id}"
    response = client.patch(path, json={"area_id": areas.village_b1.id}, headers=headers)
    assert response.status_code == 422 and "area_id" in response.json["errors"]
    assert client.patch(path, json={}, headers=headers).status_code == 422
    same = client.patch(path, json={"area_id": areas.village_a2.id}, headers=headers)
    assert same.status_code == 200 and same.json["reported_area_id"] == areas.village_a2.id
