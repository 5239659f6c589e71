"""The jobs under real conditions: real commits, real Redis, real ``rq worker`` (and
``rq cron``) processes.

- two workers racing over duplicated jobs create each task once;
- a visit saved while Redis is unreachable gets its task once Redis is back (the outbox
  sweep);
- a worker SIGKILLed in the middle of a job loses nothing (the sweep redoes it);
- a job that keeps failing ends in RQ's failed registry, shown to admins by the API;
- escalation happens once, even with two workers running the recurring job together;
- the recurring jobs are registered with RQ's cron scheduler, which enqueues them.
"""

from __future__ import annotations

import contextlib
import os
import signal
from datetime import timedelta
from pathlib import Path

from rq import Queue
from rq.cron import CronScheduler
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from api.areas.scope import SYSTEM, set_actor
from api.casework.tasks.models import Task
from api.common.county_time import local_today
from api.db import session
from api.jobs.models import OutboxJob
from api.jobs.queue import queue_for
from api.jobs.schedule import RECURRING
from api.jobs.services import schedule_job
from tests import factories
from tests.casework.tasks import factories as tf
from tests.workers.conftest import ROOT, RQ, wait_for
from workers.runner import run_recurring


def fresh_count(stmt) -> int:
    """A count read in a new transaction (what the workers committed)."""
    session.rollback()
    set_actor(None, SYSTEM)  # a job run here may have removed the session and its actor
    return session.scalar(stmt)


def visit_tasks(visit_id: int) -> int:
    return fresh_count(
        select(func.count())
        .select_from(Task)
        .where(Task.source_kind == "visit", Task.source_id == visit_id)
    )


def outbox_unfinished(ids: list[int]) -> int:
    return fresh_count(
        select(func.count())
        .select_from(OutboxJob)
        .where(OutboxJob.id.in_(ids), OutboxJob.finished_at.is_(None))
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (killed, not yet reaped by its dead parent's reaper) counts as gone.
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    return False


def sweep() -> None:
    run_recurring("workers.sweep.sweep_outbox")


def test_two_workers_racing_over_duplicated_jobs_create_each_task_once(live):
    areas = factories.area_tree()
    visits = [
        tf.visit(
            tf.household(areas.village_a1),
            screening_result="likely_dibao",
            needs=("temporary_assistance",),
        )
        for _ in range(12)
    ]
    outbox = []
    for visit in visits:
        # As if the visit's job had been scheduled twice (a resend, a re-run sweep).
        outbox += [schedule_job("workers.followup.visit_recorded", visit.id).id for _ in "ab"]
    session.commit()  # dispatches all 24 jobs to the queue
    assert len(queue_for(live.app)) == 24
    live.run_workers(count=2)
    assert outbox_unfinished(outbox) == 0
    assert [visit_tasks(v.id) for v in visits] == [2] * len(visits)


def test_two_workers_racing_over_visits_of_one_household_open_one_task_of_each_kind(live):
    """Twelve visits of one household, each job twice, two workers: one open task of each
    kind, every visit noted on it once (the partial UNIQUE index decides the race)."""
    areas = factories.area_tree()
    household = tf.household(areas.village_a1)
    visits = [
        tf.visit(household, screening_result="likely_dibao", needs=("temporary_assistance",))
        for _ in range(12)
    ]
    outbox = [
        schedule_job("workers.followup.visit_recorded", visit.id).id
        for visit in visits
        for _ in "ab"
    ]
    session.commit()
    live.run_workers(count=2)
    assert outbox_unfinished(outbox) == 0
    session.rollback()  # read what the workers committed
    set_actor(None, SYSTEM)
    tasks = session.scalars(
        select(Task).where(Task.household_id == household.id).order_by(Task.kind)
    ).all()
    assert [(t.kind, t.status) for t in tasks] == [
        ("assist_application", "open"),
        ("temporary_assistance", "open"),
    ]
    for task in tasks:
        assert sorted(task.details["visit_ids"]) == sorted(v.id for v in visits)
        assert [h.action for h in task.history].count("noted") == len(visits) - 1


def test_visit_saved_while_redis_is_down_gets_its_task_when_redis_returns(make_live, private_redis):
    live = make_live(private_redis.url)  # nothing listens on that port yet
    areas = factories.area_tree()
    visit_id = tf.visit(tf.household(areas.village_a1), screening_result="likely_marginal").id
    job_id = schedule_job("workers.followup.visit_recorded", visit_id).id
    session.commit()  # the enqueue fails quietly; the outbox row is committed
    assert outbox_unfinished([job_id]) == 1 and visit_tasks(visit_id) == 0

    private_redis.start()
    sweep()  # the recurring sweep finds the undelivered row and enqueues it
    live.run_workers()
    assert visit_tasks(visit_id) == 1
    assert outbox_unfinished([job_id]) == 0


def test_worker_killed_mid_job_loses_nothing(live, tmp_path):
    areas = factories.area_tree()
    visit_id = tf.visit(tf.household(areas.village_a1), screening_result="likely_dibao").id
    marker = tmp_path / "in-the-middle"
    job_id = schedule_job("tests.workers.jobs.visit_then_hang", visit_id, str(marker)).id
    session.commit()

    worker = live.worker(burst=False)
    wait_for(lambda: marker.exists() and marker.read_text(), timeout=60)
    # The task is flushed, not committed. RQ runs the job in a work horse in a session of
    # its own: SIGKILL both, as a container stop or the OOM killer would.
    horse = int(marker.read_text())
    os.kill(horse, signal.SIGKILL)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    wait_for(lambda: not _alive(horse), timeout=10)
    assert visit_tasks(visit_id) == 0
    assert outbox_unfinished([job_id]) == 1

    def swept_and_done() -> bool:
        # The killed backend's row lock goes when PostgreSQL notices the closed socket;
        # until then the runner skips the locked row and the next sweep tries again.
        sweep()
        live.run_workers()
        return outbox_unfinished([job_id]) == 0

    wait_for(swept_and_done, timeout=90, every=0.5)
    assert visit_tasks(visit_id) == 1


def test_job_that_keeps_failing_ends_in_rqs_failed_registry_and_shows_to_admins(live, monkeypatch):
    monkeypatch.setattr("api.jobs.queue.RETRY_INTERVALS", [0, 0])  # retries without waiting
    areas = factories.area_tree()
    admin = factories.user("admin", areas.county)
    supervisor = factories.user("supervisor", areas.county)
    headers = factories.headers_for(admin)
    supervisor_headers = factories.headers_for(supervisor)
    job_id = schedule_job("tests.workers.jobs.always_fails", "no such thing").id
    session.commit()
    live.run_workers()

    registry = FailedJobRegistry(queue=queue_for(live.app))
    assert f"outbox-{live.queue}-{job_id}" in registry.get_job_ids()
    client = live.app.test_client()
    response = client.get("/api/v1/jobs/rq-failed", headers=headers)
    assert response.status_code == 200
    [row] = [r for r in response.json if r["id"] == f"outbox-{live.queue}-{job_id}"]
    assert row["args"] == [job_id]
    assert "RuntimeError: boom: no such thing" in row["error"]
    assert "always_fails" in row["traceback"]
    outbox = client.get("/api/v1/jobs/failed", headers=headers).json
    [mine] = [r for r in outbox if r["id"] == job_id]
    assert mine["attempts"] == 3 and mine["last_error"] == "RuntimeError: boom: no such thing"
    assert client.get("/api/v1/jobs/rq-failed", headers=supervisor_headers).status_code == 403


def test_escalation_happens_once_with_two_workers_running_the_recurring_job(live):
    areas = factories.area_tree()
    supervisor = factories.user("supervisor", areas.town_a)
    worker = factories.user("outreach_worker", areas.town_a)
    late_id = tf.task(areas.village_a1, worker, due_on=local_today() - timedelta(days=10)).id
    supervisor_id = supervisor.id
    session.commit()
    queue = queue_for(live.app)
    for _ in range(4):
        queue.enqueue("workers.runner.run_recurring", "workers.followup.escalate_overdue")
    live.run_workers(count=2)
    escalations = select(func.count()).select_from(Task).where(Task.parent_id == late_id)
    assert fresh_count(escalations) == 1
    assert fresh_count(select(Task.assignee_id).where(Task.parent_id == late_id)) == supervisor_id


def test_recurring_jobs_are_registered_with_rqs_cron_scheduler(live, monkeypatch):
    monkeypatch.setenv("RQ_QUEUE", live.queue)
    scheduler = CronScheduler(connection=queue_for(live.app).connection)
    scheduler.load_config_from_file(str(ROOT / "workers" / "cron.py"))
    registered = {(job.name, job.interval, job.queue_name) for job in scheduler.get_jobs()}
    assert registered == {(name, interval, live.queue) for name, interval in RECURRING}
    assert {name for name, _ in RECURRING} >= {
        "workers.followup.revisit_cadence",
        "workers.followup.long_stay_without_case",
        "workers.followup.stale_tracing_cases",
        "workers.followup.escalate_overdue",
    }


def test_rq_cron_enqueues_the_recurring_jobs_and_a_worker_runs_them(live):
    areas = factories.area_tree()
    factories.user("supervisor", areas.town_a)
    late_id = tf.task(areas.village_a1, due_on=local_today() - timedelta(days=10)).id
    session.commit()
    queue = Queue(live.queue, connection=queue_for(live.app).connection)
    cron = live.spawn(RQ, "cron", "--url", live.redis_url, str(Path("workers/cron.py")), log="cron")
    wait_for(lambda: len(queue) >= len(RECURRING), timeout=60)
    os.killpg(cron.pid, signal.SIGTERM)
    cron.wait(timeout=20)
    enqueued = {job.args[0] for job in queue.get_jobs()}
    assert enqueued == {name for name, _ in RECURRING}
    live.run_workers()
    assert fresh_count(select(func.count()).select_from(Task).where(Task.parent_id == late_id)) == 1
