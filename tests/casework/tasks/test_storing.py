"""Storing the rules' tasks: set-wise (``create_all``) stores what one by one
(``create_from_spec``) does: the same columns and history, and the same audited values,
in one audit entry per town naming the tasks rather than one per task."""

from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import select

from api.areas.scope import SYSTEM, set_actor
from api.audit.models import AuditEntry
from api.audit.services import audit_query
from api.casework.tasks import services
from api.casework.tasks.models import Task, TaskHistory
from api.casework.tasks.rules import TaskSpec
from api.db import utcnow

# Differ between the two copies of a task, or are the time it was stored.
# sync_version: each write takes its own stamp (api/common/sync_clock.py).
PER_COPY = {"id", "dedup_key", "source_id", "created_at", "updated_at", "sync_version"}


def spec(area_id: int, n: int) -> TaskSpec:
    return TaskSpec(
        kind="presence_review",
        rule="presence_check",
        dedup_key=f"test_storing:visit:{n}",
        title="核查走访真实性 Review a visit flagged by the presence check",
        reason="A visit was flagged: 身份证 110101199003074578, far_from_household.",
        area_id=area_id,
        due_on=date(2026, 3, 17),
        household_id=42,
        subject_kind="visit",
        subject_id=n,
        source_kind="visit",
        source_id=n,
        details={"reasons": ["far_from_household"], "nested": {"on": "2026-03-14", "n": 2}},
    )


def columns(task: Task) -> dict:
    return {c.key: getattr(task, c.key) for c in Task.__table__.columns if c.key not in PER_COPY}


def stored(db, key: str) -> tuple[Task, list[TaskHistory], AuditEntry]:
    task = db.scalar(select(Task).where(Task.dedup_key == key))
    history = list(db.scalars(select(TaskHistory).where(TaskHistory.task_id == task.id)))
    [entry] = db.scalars(audit_query(table_name="tasks", record_id=str(task.id)))
    return task, history, entry


def audited_values(entry: AuditEntry, task: Task) -> dict:
    """A task's audited values: the entry's own, or its part of a batch's entry."""
    if entry.record_id == str(task.id):
        return {key: change["new"] for key, change in entry.changes.items()}
    assert str(task.id) in entry.record_ids
    return {key: change["new"] for key, change in entry.changes[str(task.id)].items()}


def test_set_wise_stores_what_one_by_one_does(db, areas):
    set_actor(None, SYSTEM)
    before = utcnow()
    one_by_one, set_wise = spec(areas.village_a1.id, 1), spec(areas.village_a1.id, 2)
    assert services.create_from_spec(one_by_one) is not None
    assert services.create_all([set_wise]) == [set_wise]
    db.expire_all()

    task_1, history_1, audit_1 = stored(db, one_by_one.dedup_key)
    task_2, history_2, audit_2 = stored(db, set_wise.dedup_key)
    assert columns(task_2) == {**columns(task_1), "subject_id": 2}
    assert task_2.due_on == date(2026, 3, 17) and task_2.details == set_wise.details
    assert before <= task_2.created_at == task_2.updated_at <= utcnow()
    assert [(h.action, h.note, h.changes, h.actor_id) for h in history_2] == [
        (h.action, h.note, h.changes, h.actor_id) for h in history_1
    ]
    assert timedelta(0) <= history_2[0].at - before < timedelta(minutes=1)
    assert history_2[0].at == task_2.created_at

    def same_part(changes: dict) -> dict:
        return {k: v for k, v in changes.items() if k not in PER_COPY | {"subject_id"}}

    assert audit_1.record_id == str(task_1.id)
    assert (audit_2.record_id, audit_2.record_ids) == ("", [str(task_2.id)])
    values_1, values_2 = audited_values(audit_1, task_1), audited_values(audit_2, task_2)
    assert same_part(values_2) == same_part(values_1)
    assert "110101199003074578" not in values_2["reason"]
    assert values_2["reason"] == values_1["reason"]
    assert (audit_2.action, audit_2.actor_id, audit_2.area_id) == (
        audit_1.action,
        audit_1.actor_id,
        audit_1.area_id,
    )


def test_set_wise_returns_only_the_specs_stored_now(db, areas):
    set_actor(None, SYSTEM)
    first, second = spec(areas.village_a1.id, 3), spec(areas.village_a1.id, 4)
    assert services.create_all([first]) == [first]
    assert services.create_all([first, second, replace(second, title="again")]) == [second]
    assert services.create_all([first, second]) == []


def test_one_audit_entry_per_town_names_its_tasks(db, areas):
    set_actor(None, SYSTEM)
    specs = [spec(areas.village_a1.id, 10), spec(areas.village_a2.id, 11)]
    specs.append(spec(areas.village_b1.id, 12))
    assert services.create_all(specs) == specs
    db.expire_all()
    tasks = {
        t.dedup_key: t
        for t in db.scalars(select(Task).where(Task.dedup_key.like("test_storing:%")))
    }
    town_a = [tasks[s.dedup_key].id for s in specs[:2]]
    town_b = tasks[specs[2].dedup_key].id
    entries = db.scalars(
        select(AuditEntry).where(AuditEntry.table_name == "tasks").order_by(AuditEntry.id)
    ).all()
    assert [(sorted(map(int, e.record_ids)), e.area_id) for e in entries] == [
        (sorted(town_a), areas.town_a.id),
        ([town_b], areas.village_b1.id),
    ]
    for entry in entries:
        assert entry.action == "create" and entry.actor_id is None
        assert set(entry.changes) == set(entry.record_ids)
        # Masked, as every audited value is.
        for values in entry.changes.values():
            assert (
                values["reason"]["new"]
                == "A visit was flagged: 身份证 1101**********4578, far_from_household."
            )
    # Each task's entry is found by its id.
    for task_id in [*town_a, town_b]:
        [found] = db.scalars(audit_query(table_name="tasks", record_id=str(task_id)))
        assert str(task_id) in found.record_ids
