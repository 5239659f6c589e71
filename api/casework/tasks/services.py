"""Tasks: storing what the rules ask for, listing, creating by hand, updating, history.

Services take plain values and only flush; the request (or the job runner) commits.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import replace
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
from api.audit.services import record_created_by_town
from api.auth.models import User
from api.auth.realms import SUPERVISION, may_read, realm_of_role
from api.casework.tasks.models import (
    ACTIVE_STATUSES,
    MANUAL_KIND_SUBJECTS,
    MANUAL_KINDS_BY_ROLE,
    ONE_OPEN_PER_HOUSEHOLD_RULES,
    Task,
    TaskHistory,
)
from api.casework.tasks.rules import TaskSpec, VisitFacts, review_followup
from api.casework.tasks.subjects import Subject, visible_subject
from api.common.labels import label
from api.db import among, session, utcnow
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
        "realm": spec.realm,
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
    """Store a rule's task once: None if its ``dedup_key`` is stored already, or if its
    household has an open task of the rule's kind (then the spec is noted on that one).

    The UNIQUE constraints decide, not a Python check: the insert runs in a savepoint, and
    a violation (a second run, or a concurrent worker that got there first) rolls back
    only the savepoint.
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
        if _refused_by(exc) == "one_open":
            # A concurrent worker opened the household's task first (and committed):
            # this visit is a note on it (or, if that task was closed since, a new task).
            retry, _ = _note_on_open([spec])
            return create_from_spec(retry[0]) if retry else None
        if _refused_by(exc) != "dedup_key":
            raise
        return None
    return task


def create_all(specs: list[TaskSpec]) -> list[TaskSpec]:
    """Store rules' tasks, each once; returns the specs of those stored now.

    Set-wise, because a phone's sync batch brings a hundred visits to one job: one query
    leaves out the keys stored already, one finds the households' open tasks that specs
    of ``ONE_OPEN_PER_HOUSEHOLD_RULES`` are noted on instead, one insert stores the tasks,
    one their history. If a concurrent worker stores one of the same keys (or opens one
    of the same households' tasks) in between, a UNIQUE constraint refuses that insert
    and each task is stored on its own (``create_from_spec``).
    """
    if not specs:
        return []
    specs = _readable_assignees(specs)
    stored = _stored_keys({spec.dedup_key for spec in specs})
    new: list[TaskSpec] = []
    for spec in specs:
        if spec.dedup_key not in stored:
            stored.add(spec.dedup_key)  # the first spec of a key wins
            new.append(spec)
    new, later = _note_on_open(new)
    if new:
        new = _insert_all(new)
    if later:
        # Further visits of a household whose task this batch opened: notes on it.
        _note_on_open(later)
    return new


def _insert_all(specs: list[TaskSpec]) -> list[TaskSpec]:
    _begin_sqlite_transaction()
    try:
        with session.begin_nested():
            _insert_tasks(specs)
            return specs
    except IntegrityError as exc:
        if _refused_by(exc) is None:
            raise
    return [spec for spec in specs if create_from_spec(spec) is not None]


def _refused_by(exc: IntegrityError) -> str | None:
    """Which of the tasks' UNIQUE constraints refused an insert, if one of them did."""
    text = str(exc.orig)
    if "dedup_key" in text:
        return "dedup_key"
    # PostgreSQL names the index, SQLite its columns.
    if "uq_tasks_one_open_per_household" in text or "tasks.kind, tasks.household_id" in text:
        return "one_open"
    return None


def _one_open(spec: TaskSpec) -> tuple[str, int] | None:
    """The (kind, household) a spec shares its one open task with, if its rule has one."""
    if spec.rule not in ONE_OPEN_PER_HOUSEHOLD_RULES or spec.household_id is None:
        return None
    return spec.kind, spec.household_id


def _note_on_open(specs: list[TaskSpec]) -> tuple[list[TaskSpec], list[TaskSpec]]:
    """Note each spec of ``ONE_OPEN_PER_HOUSEHOLD_RULES`` whose household has an open task
    of its kind on that task. Returns the specs still to store, and those that wait for a
    task an earlier spec of the same list opens (to be noted once it is stored)."""
    pairs = {pair for pair in map(_one_open, specs) if pair is not None}
    if not pairs:
        return specs, []
    open_tasks = session.scalars(
        select(Task)
        .where(
            Task.rule.in_(ONE_OPEN_PER_HOUSEHOLD_RULES),
            Task.status.in_(ACTIVE_STATUSES),
            Task.kind.in_({kind for kind, _ in pairs}),
            among(Task.household_id, {household for _, household in pairs}),
        )
        .order_by(Task.id)
        # Two jobs noting on the same task take turns (PostgreSQL; SQLite has one writer).
        .with_for_update()
        # As keys, a household's open task counts wherever the rule placed it.
        .execution_options(skip_scope=True)
    ).all()
    by_pair: dict[tuple[str, int], Task | None] = {
        (task.kind, task.household_id): task  # type: ignore[misc]
        for task in open_tasks
    }
    to_store: list[TaskSpec] = []
    later: list[TaskSpec] = []
    for spec in specs:
        pair = _one_open(spec)
        if pair is None:
            to_store.append(spec)
        elif pair not in by_pair:
            by_pair[pair] = None  # this spec opens it
            to_store.append(spec)
        elif by_pair[pair] is None:
            later.append(spec)
        else:
            _note(by_pair[pair], spec)  # type: ignore[arg-type]
    session.flush()
    return to_store, later


def _note(task: Task, spec: TaskSpec) -> None:
    """A later visit on the household's open task: in its history, and in its details
    (the latest screening result or markers, and the visit among those it stands for);
    a task with no assignee goes to the visit's worker. Its due date stays: the household
    has waited since the first visit. A visit noted already (a job run twice) adds nothing."""
    details = dict(task.details or {})
    visit_ids = list(details.get("visit_ids") or [task.source_id])
    if spec.source_id in visit_ids:
        return
    new_details = {**details, **spec.details, "visit_ids": [*visit_ids, spec.source_id]}
    changes = {
        f"details.{key}": {"old": details.get(key), "new": value}
        for key, value in spec.details.items()
        if key != "visit_ids" and details.get(key) != value
    }
    task.details = new_details
    if task.title != spec.title:
        changes["title"] = {"old": task.title, "new": spec.title}
        task.title = spec.title
    if task.assignee_id is None and spec.assignee_id is not None:
        changes["assignee_id"] = {"old": None, "new": spec.assignee_id}
        task.assignee_id = spec.assignee_id
    session.add(
        TaskHistory(
            task_id=task.id,
            action="noted",
            changes=changes,
            note=spec.reason,
        )
    )


def _readable_assignees(specs: list[TaskSpec]) -> list[TaskSpec]:
    """The specs, each assigned only to a user who may read its task (active, of a role
    that reads its realm, in an area that contains its area); else left unassigned, in
    the area's queue for its supervisors. A rule picks an assignee from facts (the last
    visitor, the recorder); this keeps a stale or odd pick from leaking the task."""
    assignee_ids = {spec.assignee_id for spec in specs if spec.assignee_id is not None}
    if not assignee_ids:
        return specs
    users = {
        row.id: row
        for row in session.execute(
            select(User.id, User.role, User.active, Area.path)
            .join(Area, Area.id == User.area_id)
            .where(among(User.id, assignee_ids))
            .execution_options(skip_scope=True)
        )
    }
    paths = dict(
        session.execute(
            select(Area.id, Area.path)
            .where(among(Area.id, {spec.area_id for spec in specs}))
            .execution_options(skip_scope=True)
        ).all()
    )
    kept = []
    for spec in specs:
        user = users.get(spec.assignee_id)  # type: ignore[arg-type]
        if spec.assignee_id is not None and not (
            user is not None
            and user.active
            and may_read(user.role, spec.realm)
            and paths.get(spec.area_id, "").startswith(user.path)
        ):
            spec = replace(spec, assignee_id=None)
        kept.append(spec)
    return kept


def _stored_keys(keys: set[str | None]) -> set[str | None]:
    return set(
        session.scalars(
            select(Task.dedup_key)
            .where(among(Task.dedup_key, keys))
            # Keys are global: a task made by a rule elsewhere still counts as made.
            .execution_options(skip_scope=True)
        )
    )


def _insert_tasks(specs: list[TaskSpec]) -> None:
    """The tasks, their "created" history and their audit entry (one per area, naming
    the tasks): a statement each."""
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
            ).where(among(Task.id, ids.values())),
        )
    )
    record_created_by_town(Task, rows)


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


def close_satisfied_revisits(visits: list[tuple[int, date, int, int]]) -> list[Task]:
    """Visits, as (household id, local date, visit id, visit's area id), close their
    households' active revisit tasks that they satisfy; of several visits, the first (by
    id) that does. A task is closed only by a visit in its own area (the area contains
    the visit's): a task planted elsewhere for this household learns nothing of it."""
    from api.casework.tasks.rules import revisit_satisfied

    by_household: dict[int, list[tuple[date, int, int]]] = {}
    for household_id, visited_on, visit_id, area_id in sorted(visits, key=lambda v: v[2]):
        by_household.setdefault(household_id, []).append((visited_on, visit_id, area_id))
    if not by_household:
        return []
    tasks = session.scalars(
        select(Task).where(
            among(Task.household_id, by_household),
            Task.kind == "revisit",
            Task.status.in_(ACTIVE_STATUSES),
        )
    ).all()
    if not tasks:
        return []
    paths = _area_paths(
        {task.area_id for task in tasks} | {v[2] for vs in by_household.values() for v in vs}
    )
    closed = []
    for task in tasks:
        task_path = paths[task.area_id]
        satisfying = [
            (on, visit_id)
            for on, visit_id, area_id in by_household[task.household_id]  # type: ignore[index]
            if paths.get(area_id, "").startswith(task_path)
            and revisit_satisfied(task.details or {}, on)
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


def _area_paths(area_ids: Collection[int]) -> dict[int, str]:
    return dict(
        session.execute(
            select(Area.id, Area.path)
            .where(among(Area.id, area_ids))
            .execution_options(skip_scope=True)
        ).all()
    )


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


def _assignee(user_id: int, field: str = "assignee_id") -> User:
    """An active user in the caller's jurisdiction, else a 422 on ``field``."""
    user = session.scalar(select(User).where(User.id == user_id))
    if user is None or not user.active:
        raise Invalid({field: ["No such active user in your area."]})
    return user


def _check_reads(user: User, task_area: Area, realm: str, field: str = "assignee_id") -> None:
    """An assignee must be able to read the task: a role that reads its realm, an area
    that contains the task's."""
    if not task_area.path.startswith(user.area.path):
        raise Invalid({field: ["This user's area does not cover the task's area."]})
    if not may_read(user.role, realm):
        raise Invalid({field: [f"A {user.role} does not see this task's records ({realm})."]})


def _subject(actor: Actor, data: dict[str, Any]) -> tuple[Subject | None, list[Subject]]:
    """What a new task is about (None: nothing), and every record it names (the subject
    and its household), each visible to ``actor`` or a 422 on the field naming it."""
    kind, record_id = data.get("subject_kind"), data.get("subject_id")
    if (kind is None) != (record_id is None):
        field = "subject_id" if record_id is None else "subject_kind"
        raise Invalid({field: ["Give subject_kind and subject_id together."]})
    named: list[Subject] = []
    household = None
    if data.get("household_id") is not None:
        household = visible_subject(actor, "household", data["household_id"], "household_id")
        named.append(household)
    if kind is None:
        return household, named
    subject = visible_subject(actor, kind, record_id, "subject_id")  # type: ignore[arg-type]
    named.append(subject)
    if household is not None and subject.household_id != household.id:
        raise Invalid({"household_id": ["Not the household of the task's subject."]})
    return subject, named


def create_task(actor: Actor, data: dict[str, Any]) -> Task:
    """A task made by hand, of a kind the caller's role may make
    (``MANUAL_KINDS_BY_ROLE``), about a record the caller sees or about none.

    Its area defaults to the subject's and must contain it; it is read by whoever reads
    the subject (its realm). Workers make tasks for themselves; supervisors and admins
    assign them to anyone who may read them, or leave them unassigned (the area's queue,
    ``GET /tasks?area_id=&unassigned=true``)."""
    kind = data.get("kind") or "other"
    allowed = MANUAL_KINDS_BY_ROLE.get(actor.role, frozenset())
    if kind not in allowed:
        raise Invalid(
            {"kind": [f"Not made by hand by your role; yours: {', '.join(sorted(allowed))}."]}
        )
    subject, named = _subject(actor, data)
    subject_kinds = MANUAL_KIND_SUBJECTS.get(kind)
    if subject_kinds is not None and (subject is None or subject.kind not in subject_kinds):
        raise Invalid(
            {"subject_kind": [f"A {kind} task is about a {' or '.join(sorted(subject_kinds))}."]}
        )
    area = _task_area(data.get("area_id"), subject, named)
    assignee_id = data.get("assignee_id", actor.user_id)
    if assignee_id != actor.user_id and actor.role not in SUPERVISING_ROLES:
        raise Forbidden("Only supervisors assign tasks to others or leave them unassigned.")
    assignee = _assignee(assignee_id) if assignee_id is not None else None
    if subject is not None:
        realm = subject.realm
    elif actor.role in SUPERVISING_ROLES:
        # About no record: the realm of whoever does it; kept for the supervisors if nobody.
        realm = realm_of_role(assignee.role) if assignee is not None else SUPERVISION
    else:
        realm = realm_of_role(actor.role)
    if assignee is not None:
        _check_reads(assignee, area, realm)
    task = Task(
        kind=kind,
        rule="manual",
        title=data["title"],
        reason=data.get("reason"),
        area_id=area.id,
        realm=realm,
        due_on=data["due_on"],
        priority=data.get("priority") or "normal",
        assignee_id=assignee_id,
        created_by_id=actor.user_id,
        household_id=subject.household_id if subject is not None else None,
        subject_kind=subject.kind if subject is not None else None,
        subject_id=subject.id if subject is not None else None,
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


def _task_area(area_id: int | None, subject: Subject | None, named: list[Subject]) -> Area:
    """The new task's area: the one given (the caller's to use) or the subject's; it must
    contain the area of every record the task names."""
    if area_id is None:
        if subject is None:
            raise Invalid({"area_id": ["Required for a task about no record."]})
        area_id = subject.area_id
    area = visible_area(area_id)
    paths = _area_paths({record.area_id for record in named})
    if any(not paths[record.area_id].startswith(area.path) for record in named):
        raise Invalid({"area_id": ["The task's area must contain the area of what it is about."]})
    return area


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
        _check_reads(_assignee(changes["assignee_id"]), task_area_of(task), task.realm)

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


# -- what a review of a visit does to tasks --------------------------------------------------


def visit_reviewed(
    actor: Actor, visit: VisitFacts, review_id: int, state: str, comment: str | None, today: date
) -> list[TaskSpec]:
    """A supervisor's judgement of a visit: it closes the visit's open presence-review
    tasks (the review was their work), and ``has_issues`` or ``rejected`` sends a task to
    the visit's worker (``rules.review_followup``). Returns the specs of the tasks made."""
    outcome = f"审核：{label('review_state', state)}" + (f"。{comment}" if comment else "")
    reviews = session.scalars(
        select(Task).where(
            Task.kind == "presence_review",
            Task.subject_kind == "visit",
            Task.subject_id == visit.id,
            Task.status.in_(ACTIVE_STATUSES),
        )
    )
    for task in reviews:
        update_task(actor, task, {"status": "done", "outcome_note": outcome})
    return create_all(review_followup(visit, review_id, state, comment, today))


def reassign_tasks(actor: Actor, task_ids: list[int], assignee_id: int | None) -> list[Task]:
    """Give many tasks to one person (or back to the area's queue: ``None``), all or none:
    a task that is missing, out of the caller's jurisdiction or realm, or closed, or an
    assignee who may not read one of them, refuses the whole request. Each task's history
    (and the audit log) records its reassignment."""
    wanted = sorted(set(task_ids))
    tasks = list(session.scalars(select(Task).where(Task.id.in_(wanted)).order_by(Task.id)))
    missing = sorted(set(wanted) - {task.id for task in tasks})
    if missing:
        raise Invalid({"task_ids": [f"No such task in your area: {', '.join(map(str, missing))}."]})
    if assignee_id is not None:
        _assignee(assignee_id)  # an unknown assignee is a 422 even before any task is read
    for task in tasks:
        update_task(actor, task, {"assignee_id": assignee_id})
    return tasks
