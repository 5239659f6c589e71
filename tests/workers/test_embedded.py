"""The embedded default (SQLite + SpatiaLite, no Redis): the same job functions run on
the in-process thread, the recurring ones on the in-process scheduler, and the task API
works end to end."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from api.areas.scope import SYSTEM, set_actor
from api.casework.tasks.models import Task
from api.common.county_time import local_today
from api.db import session
from api.jobs.services import schedule_job
from tests import factories
from tests.casework.tasks import factories as tf
from tests.workers.conftest import wait_for


def find(stmt):
    """Read what another thread committed, in a fresh transaction, ended at once."""

    def look():
        session.rollback()
        set_actor(None, SYSTEM)
        found = session.scalar(stmt)
        # On SQLite every transaction begins IMMEDIATE (the write lock): held between polls,
        # it starves the job thread, which waits for that lock to begin its own.
        session.rollback()
        return found

    return look


@pytest.mark.spatialite
def test_visit_to_task_to_done_on_the_embedded_back_end(sqlite_app):
    assert sqlite_app.config["JOBS_IN_PROCESS"]
    areas = factories.area_tree()
    worker = factories.user("outreach_worker", areas.town_a)
    household = tf.household(areas.village_a1)
    visit = tf.visit(household, worker, screening_result="likely_dibao")
    schedule_job("workers.followup.visit_recorded", visit.id)
    headers = factories.headers_for(worker)
    visit_id, worker_id = visit.id, worker.id
    session.commit()  # the in-process thread runs the job after this commit

    task_id = wait_for(
        find(select(Task.id).where(Task.source_kind == "visit", Task.source_id == visit_id)),
        timeout=30,
    )
    client = sqlite_app.test_client()
    listed = client.get("/api/v1/tasks", headers=headers)
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json] == [task_id]
    assert listed.json[0]["assignee_id"] == worker_id
    assert listed.json[0]["source"] == {"rule": "visit_screening", "kind": "visit", "id": visit_id}
    done = client.patch(
        f"/api/v1/tasks/{task_id}",
        json={"status": "done", "outcome_note": "已协助提交低保申请"},
        headers=headers,
    )
    assert done.status_code == 200 and done.json["status"] == "done"
    history = client.get(f"/api/v1/tasks/{task_id}/history", headers=headers).json
    assert [h["action"] for h in history] == ["created", "updated"]
    assert client.get("/api/v1/tasks", headers=headers).json == []


@pytest.mark.spatialite
def test_recurring_jobs_run_in_process_on_the_embedded_back_end(sqlite_app):
    from api.jobs.schedule import start_in_process_scheduler

    areas = factories.area_tree()
    supervisor = factories.user("supervisor", areas.town_a)
    late = tf.task(areas.village_a1, due_on=local_today() - timedelta(days=10))
    monitored = tf.household(areas.village_a1, ("poverty_return_monitoring",))
    late_id, household_id, supervisor_id = late.id, monitored.id, supervisor.id
    session.commit()

    stop = threading.Event()
    thread = start_in_process_scheduler(sqlite_app, stop)
    try:
        escalated_to = wait_for(
            find(select(Task.assignee_id).where(Task.parent_id == late_id)), timeout=60
        )
        revisit = wait_for(
            find(select(Task.id).where(Task.kind == "revisit", Task.household_id == household_id)),
            timeout=60,
        )
    finally:
        stop.set()
        thread.join(timeout=30)
    assert escalated_to == supervisor_id and revisit
