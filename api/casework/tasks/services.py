"""Tasks: storing what the rules ask for, listing, creating by hand, updating, history.

Services take plain values and only flush; the request (or the job runner) commits.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Row,
    Select,
    bindparam,
    case,
    cast,
    column,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError

from api.areas.models import Area
from api.areas.scope import Actor, in_area, visible_area
from api.audit.services import record_created
from api.auth.models import User
from api.casework.tasks.models import ACTIVE_STATUSES, Task, TaskHistory
from api.casework.tasks.rules import TaskSpec
from api.db import session, utcnow
from api.errors import Conflict, Forbidden, Invalid, NotFound

SUPERVISING_ROLES = ("supervisor", "admin")


# -- storing rule output -------------------------------------------------------------------


def _begin_sqlite_transaction() -> None:
    # pysqlite opens a transaction only before a write, so a SAVEPOINT issued first would
    # open (and its RELEASE commit) a transaction of its own, outside the job's. Beginning
    # explicitly keeps the savepoint nested, so the task commits with the job or not at all.
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN")


def _task_values(spec: TaskSpec) -> dict[str, Any]:
    now = utcnow()
    return {
        "kind": spec.kind,
        "rule": spec.rule,
        "dedup_key": spec.dedup_key,
        "title": spec.title,
        "reason": spec.reason,
        "area_id": spec.area_id,
        "due_on": spec.due_on,
        "priority": spec.priority,
        "assignee_id": spec.assignee_id,
        "household_id": spec.household_id,
        "subject_kind": spec.subject_kind,
        "subject_id": spec.subject_id,
        "source_kind": spec.source_kind,
        "source_id": spec.source_id,
        "parent_id": spec.parent_id,
        "details": dict(spec.details),
        "status": "open",
        "created_at": now,
        "updated_at": now,
    }


def create_from_spec(spec: TaskSpec) -> Task | None:
    """Store a rule's task once: None if its ``dedup_key`` is stored already.

    The UNIQUE constraint on ``dedup_key`` decides, not a Python check: the insert runs in
    a savepoint, and a unique violation on that key (a second run, or a concurrent worker
    that got there first) rolls back only the savepoint.
    """
    task = Task(**_task_values(spec))
    _begin_sqlite_transaction()
    try:
        with session.begin_nested():
            session.add(task)
            session.flush()
            session.add(TaskHistory(task_id=task.id, action="created", note=f"rule {spec.rule}"))
            session.flush()
    except IntegrityError as exc:
        if "dedup_key" not in str(exc.orig):
            raise
        return None
    return task


def create_all(specs: list[TaskSpec]) -> list[TaskSpec]:
    """Store rules' tasks, each once; returns the specs of those stored now.

    Set-wise, because a phone's sync batch brings a hundred visits to one job: one query
    leaves out the keys stored already, one insert stores the tasks, one their history. If
    a concurrent worker stores one of the same keys in between, the UNIQUE constraint
    refuses that insert and each task is stored on its own (``create_from_spec``).
    """
    if not specs:
        return []
    stored = _stored_keys({spec.dedup_key for spec in specs})
    new: list[TaskSpec] = []
    for spec in specs:
        if spec.dedup_key not in stored:
            stored.add(spec.dedup_key)  # the first spec of a key wins
            new.append(spec)
    if not new:
        return []
    _begin_sqlite_transaction()
    try:
        with session.begin_nested():
            _insert_tasks(new)
            return new
    except IntegrityError as exc:
        if "dedup_key" not in str(exc.orig):
            raise
    return [spec for spec in new if create_from_spec(spec) is not None]


def _stored_keys(keys: set[str | None]) -> set[str | None]:
    return set(
        session.scalars(
            select(Task.dedup_key)
            .where(Task.dedup_key.in_(keys))
            # Keys are global: a task made by a rule elsewhere still counts as made.
            .execution_options(skip_scope=True)
        )
    )


def _insert_tasks(specs: list[TaskSpec]) -> None:
    """The tasks, their "created" history and their audit entries: a statement each."""
    rows = [_task_values(spec) for spec in specs]
    ids = _insert_task_rows(rows)
    for row in rows:
        row["id"] = ids[row["dedup_key"]]
    session.execute(
        insert(TaskHistory).from_select(
            ["task_id", "at", "action", "changes", "note"],
            select(
                Task.id,
                Task.created_at,
                literal("created"),
                literal({}, TaskHistory.changes.type),
                literal("rule ") + Task.rule,
            ).where(Task.id.in_(ids.values())),
        )
    )
    record_created(Task, rows)


def _insert_task_rows(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert tasks (column values, each with a ``dedup_key``); returns their ids by key."""
    if session.get_bind().dialect.name != "postgresql":
        return dict(session.execute(insert(Task).returning(Task.dedup_key, Task.id), rows).all())
    # On PostgreSQL the rows go as one JSON parameter, expanded by the server: a VALUES
    # list of twenty parameters a row cost SQLAlchemy and psycopg two to three times the
    # client CPU (binding, rendering and parsing each parameter), the most of any step.
    names = list(rows[0])
    given = (
        func.jsonb_to_recordset(
            cast(bindparam("rows", json.dumps(rows, default=_iso, ensure_ascii=False)), JSONB)
        )
        .table_valued(*(column(name, Task.__table__.c[name].type) for name in names))
        .render_derived(name="given", with_types=True)
    )
    stmt = insert(Task).from_select(names, select(*given.c))
    return dict(session.execute(stmt.returning(Task.dedup_key, Task.id)).all())


def _iso(value: date) -> str:
    """JSON for the dates and times in task rows (datetimes are dates too)."""
    return value.isoformat()


# -- who does it ---------------------------------------------------------------------------


def _ancestor_ids(area: Area | Row[Any]) -> list[int]:
    """Ids from the root down to ``area`` (from its path ``/1/4/23/``)."""
    return [int(part) for part in area.path.strip("/").split("/") if part]


def _area(area_id: int) -> Area | None:
    return session.scalar(select(Area).where(Area.id == area_id).execution_options(skip_scope=True))


def _active_supervisors(area_ids: Collection[int]) -> list[Row[Any]]:
    """``(id, area_id)`` of the active supervisors of these areas, by id."""
    return list(
        session.execute(
            select(User.id, User.area_id)
            .where(User.role == "supervisor", User.active.is_(True), User.area_id.in_(area_ids))
            .order_by(User.id)
            .execution_options(skip_scope=True)
        )
    )


def _nearest_supervisor(chain: list[int], supervisors: list[Row[Any]]) -> int | None:
    """Of ``supervisors``, the one whose area is lowest in ``chain`` (root first); ties:
    the lowest id."""
    depth = {area_id: i for i, area_id in enumerate(chain)}
    in_chain = [s for s in supervisors if s.area_id in depth]
    if not in_chain:
        return None
    return max(in_chain, key=lambda s: (depth[s.area_id], -s.id)).id


def supervisor_for(area_id: int, exclude: int | None = None) -> int | None:
    """The active supervisor nearest above (or at) the area, other than ``exclude``;
    ties: the lowest id."""
    area = _area(area_id)
    if area is None:
        return None
    chain = _ancestor_ids(area)
    return _nearest_supervisor(chain, [s for s in _active_supervisors(chain) if s.id != exclude])


def supervisors_for(area_ids: Collection[int]) -> dict[int, int | None]:
    """``supervisor_for`` each of the areas, in two queries however many there are; an
    area that does not exist has no entry."""
    areas = session.execute(
        select(Area.id, Area.path).where(Area.id.in_(area_ids)).execution_options(skip_scope=True)
    ).all()
    chains = {area.id: _ancestor_ids(area) for area in areas}
    supervisors = _active_supervisors({i for chain in chains.values() for i in chain})
    return {area_id: _nearest_supervisor(chain, supervisors) for area_id, chain in chains.items()}


def town_workers(area_id: int) -> list[tuple[int, int]]:
    """Active outreach workers of the area's town or village, with their active task
    counts: the candidates for an unassigned household task."""
    return candidates(area_id, "outreach_worker", include_county=False)


def centre_staff(area_id: int) -> list[tuple[int, int]]:
    """Active rescue staff at or above the area (the centre is county-level), with their
    active task counts."""
    return candidates(area_id, "rescue_staff", include_county=True)


def candidates(area_id: int, role: str, include_county: bool) -> list[tuple[int, int]]:
    """``(user_id, active task count)`` of active users of ``role`` whose area is the
    area or one above it (not the county unless ``include_county``)."""
    area = _area(area_id)
    if area is None:
        return []
    chain = _ancestor_ids(area)
    levels = dict(
        session.execute(
            select(Area.id, Area.level).where(Area.id.in_(chain)).execution_options(skip_scope=True)
        ).all()
    )
    local = [i for i in chain if include_county or levels.get(i) != "county"]
    if not local:
        return []
    active = (
        select(Task.assignee_id, func.count().label("n"))
        .where(Task.status.in_(ACTIVE_STATUSES))
        .group_by(Task.assignee_id)
        .subquery()
    )
    rows = session.execute(
        select(User.id, func.coalesce(active.c.n, 0))
        .outerjoin(active, active.c.assignee_id == User.id)
        .where(User.role == role, User.active.is_(True), User.area_id.in_(local))
        .execution_options(skip_scope=True)
    ).all()
    return [(row[0], int(row[1])) for row in rows]


def is_active_user(user_id: int | None) -> bool:
    if user_id is None:
        return False
    return bool(
        session.scalar(
            select(User.active).where(User.id == user_id).execution_options(skip_scope=True)
        )
    )


def close_satisfied_revisits(visits: list[tuple[int, date, int]]) -> list[Task]:
    """Visits, as (household id, local date, visit id), close their households' active
    revisit tasks that they satisfy; of several visits, the first (by id) that does."""
    from api.casework.tasks.rules import revisit_satisfied

    by_household: dict[int, list[tuple[date, int]]] = {}
    for household_id, visited_on, visit_id in sorted(visits, key=lambda v: v[2]):
        by_household.setdefault(household_id, []).append((visited_on, visit_id))
    if not by_household:
        return []
    closed = []
    for task in session.scalars(
        select(Task).where(
            Task.household_id.in_(by_household),
            Task.kind == "revisit",
            Task.status.in_(ACTIVE_STATUSES),
        )
    ):
        satisfying = [
            (on, visit_id)
            for on, visit_id in by_household[task.household_id]  # type: ignore[index]
            if revisit_satisfied(task.details or {}, on)
        ]
        if not satisfying:
            continue
        visited_on, visit_id = satisfying[0]
        old = task.status
        task.status = "done"
        task.closed_at = utcnow()
        task.outcome_note = f"Visit #{visit_id} on {visited_on.isoformat()}."
        session.add(
            TaskHistory(
                task_id=task.id,
                action="closed",
                changes={"status": {"old": old, "new": "done"}},
                note=f"visit #{visit_id}",
            )
        )
        closed.append(task)
    session.flush()
    return closed


# -- reading -------------------------------------------------------------------------------


def get_task(task_id: int) -> Task:
    task = session.scalar(select(Task).where(Task.id == task_id))
    if task is None:
        raise NotFound("No such task.")
    return task


def tasks_query(actor: Actor, filters: dict[str, Any], today: date) -> Select:
    """The tasks a caller asked for.

    With no ``area_id`` and no ``assignee_id`` the list is the caller's own tasks; status
    defaults to the active ones (open, in progress); soonest due first. Supervisors and
    admins may name an area (its subtree) or any assignee within their jurisdiction;
    others only themselves.
    """
    area_id = filters.get("area_id")
    assignee_id = filters.get("assignee_id")
    supervising = actor.role in SUPERVISING_ROLES or actor.is_system
    if not supervising and (
        area_id is not None
        or filters.get("unassigned")
        or (assignee_id is not None and assignee_id != actor.user_id)
    ):
        raise Forbidden("Only supervisors list other people's tasks.")
    stmt = select(Task)
    if area_id is not None:
        stmt = stmt.where(in_area(Task.area_id, area_id))
    if filters.get("unassigned"):
        stmt = stmt.where(Task.assignee_id.is_(None))
    elif assignee_id is not None:
        stmt = stmt.where(Task.assignee_id == assignee_id)
    elif area_id is None:
        stmt = stmt.where(Task.assignee_id == actor.user_id)
    statuses = filters.get("status") or list(ACTIVE_STATUSES)
    stmt = stmt.where(Task.status.in_(statuses))
    if filters.get("kind"):
        stmt = stmt.where(Task.kind.in_(filters["kind"]))
    if filters.get("household_id") is not None:
        stmt = stmt.where(Task.household_id == filters["household_id"])
    overdue = filters.get("overdue")
    if overdue is True:
        stmt = stmt.where(Task.due_on < today, Task.status.in_(ACTIVE_STATUSES))
    elif overdue is False:
        stmt = stmt.where((Task.due_on >= today) | Task.status.notin_(ACTIVE_STATUSES))
    rank = case({"high": 0, "normal": 1}, value=Task.priority, else_=2)
    return stmt.order_by(Task.due_on, rank, Task.id)


def task_history(task: Task) -> list[TaskHistory]:
    return list(
        session.scalars(
            select(TaskHistory).where(TaskHistory.task_id == task.id).order_by(TaskHistory.id)
        )
    )


# -- writing -------------------------------------------------------------------------------


def _assignable(user_id: int, task_area: Area, field: str = "assignee_id") -> User:
    """An active user in the caller's jurisdiction who can see the task's area."""
    user = session.scalar(select(User).where(User.id == user_id))
    if user is None or not user.active:
        raise Invalid({field: ["No such active user in your area."]})
    if not task_area.path.startswith(user.area.path):
        raise Invalid({field: ["This user's area does not cover the task's area."]})
    return user


def create_task(actor: Actor, data: dict[str, Any]) -> Task:
    """A task made by hand. Workers make tasks for themselves; supervisors for anyone in
    their jurisdiction whose area covers the task's."""
    area = visible_area(data["area_id"])
    assignee_id = data.get("assignee_id", actor.user_id)
    if (
        assignee_id is not None
        and assignee_id != actor.user_id
        and actor.role not in SUPERVISING_ROLES
    ):
        raise Forbidden("Only supervisors assign tasks to others.")
    if assignee_id is not None:
        _assignable(assignee_id, area)
    task = Task(
        kind=data.get("kind") or "other",
        rule="manual",
        title=data["title"],
        reason=data.get("reason"),
        area_id=area.id,
        due_on=data["due_on"],
        priority=data.get("priority") or "normal",
        assignee_id=assignee_id,
        created_by_id=actor.user_id,
        household_id=data.get("household_id"),
        subject_kind=data.get("subject_kind"),
        subject_id=data.get("subject_id"),
        source_kind="user",
        source_id=actor.user_id,
        details={},
        status="open",
    )
    session.add(task)
    session.flush()
    session.add(TaskHistory(task_id=task.id, actor_id=actor.user_id, action="created"))
    session.flush()
    return task


_WORKER_FIELDS = {"status", "outcome_note"}
_SUPERVISOR_FIELDS = {"status", "outcome_note", "assignee_id", "due_on", "priority", "title"}


def update_task(actor: Actor, task: Task, changes: dict[str, Any]) -> Task:
    """Workers update their own tasks (status, outcome note); supervisors update any task
    they can see and reassign it within their jurisdiction. A task is closed (done or
    cancelled) with an outcome note; a closed task only a supervisor reopens."""
    supervising = actor.role in SUPERVISING_ROLES
    if not supervising:
        if task.assignee_id != actor.user_id:
            raise Forbidden("You can update only tasks assigned to you.")
        refused = sorted(set(changes) - _WORKER_FIELDS)
        if refused:
            raise Forbidden(f"Only supervisors change {', '.join(refused)}.")
    new_status = changes.get("status", task.status)
    if task.status not in ACTIVE_STATUSES and (
        not supervising or new_status not in ACTIVE_STATUSES
    ):
        raise Conflict(f"The task is {task.status}; only a supervisor may reopen it.")
    if new_status in ("done", "cancelled") and not (
        changes.get("outcome_note") or task.outcome_note
    ):
        raise Invalid({"outcome_note": ["Say what was done (or why not) when closing a task."]})
    if "assignee_id" in changes and changes["assignee_id"] is not None:
        _assignable(changes["assignee_id"], task_area_of(task))

    recorded: dict[str, Any] = {}
    for key, value in changes.items():
        old = getattr(task, key)
        if old == value:
            continue
        recorded[key] = {"old": _plain(old), "new": _plain(value)}
        setattr(task, key, value)
    if not recorded:
        return task
    if "status" in recorded:
        task.closed_at = utcnow() if new_status in ("done", "cancelled") else None
    action = "reassigned" if set(recorded) == {"assignee_id"} else "updated"
    session.add(
        TaskHistory(task_id=task.id, actor_id=actor.user_id, action=action, changes=recorded)
    )
    session.flush()
    return task


def task_area_of(task: Task) -> Area:
    area = _area(task.area_id)
    assert area is not None  # a task's area is a foreign key
    return area


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value
