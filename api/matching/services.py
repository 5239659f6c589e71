"""Sources, uploads, rows, the review queue, warnings, statistics and the purge.

Services take plain values and only flush; the request commits (the import itself is the
job in ``api.matching.imports``). Reads go through the ORM, so jurisdiction and the
models' role walls apply: lists, rows and sources are read by supervisors and admins of
their area; warnings also by the area's outreach workers.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from flask import current_app
from sqlalchemy import Select, func, or_, select, update

from api.areas.models import Area
from api.areas.scope import Actor, in_area, require_actor, subtree, visible_area
from api.common import county_time
from api.db import session, utcnow
from api.errors import Conflict, Invalid, NotFound
from api.jobs.services import schedule_job
from api.matching import files, imports, parsing, rules
from api.matching.models import (
    EarlyWarning,
    ListRow,
    ListUpload,
    RejectedPair,
    ReviewDecision,
    Source,
)
from api.visits.coverage.services import child_areas

IMPORT_JOB = "workers.matching.import_list"

# -- sources ------------------------------------------------------------------------------


def _check_source(data: dict[str, Any]) -> None:
    problems = rules.rule_problems(data.get("rules", []))
    columns = data.get("columns")
    if columns is not None and not columns.get("name"):
        problems["columns.name"] = ["Map the column that holds the person's name."]
    if problems:
        raise Invalid(problems)


def create_source(data: dict[str, Any]) -> Source:
    _check_source(data)
    area = visible_area(data["area_id"])
    if session.scalar(select(Source.id).where(Source.code == data["code"])) is not None:
        raise Conflict("A source with this code exists.")
    source = Source(**(data | {"area_id": area.id}))
    session.add(source)
    session.flush()
    return source


def _usable_sources() -> Select:
    """Sources of the caller's area, of the areas above it (a county's sources serve its
    towns) and below it. Past the scope on purpose: the scope shows only the subtree."""
    actor = require_actor()
    if actor.is_system or actor.area_path is None:
        return select(Source)
    above = [int(part) for part in actor.area_path.strip("/").split("/")]
    mine = session.scalar(select(Area).where(Area.id == actor.area_id))
    return (
        select(Source)
        .where(or_(Source.area_id.in_(above), Source.area_id.in_(subtree(mine))))
        .execution_options(skip_scope=True)
    )


def get_source(source_id: int) -> Source:
    source = session.scalar(_usable_sources().where(Source.id == source_id))
    if source is None:
        raise NotFound("No such source.")
    return source


def update_source(source: Source, data: dict[str, Any]) -> Source:
    _check_source({"columns": source.columns, "rules": source.rules} | data)
    for key, value in data.items():
        setattr(source, key, value)
    session.flush()
    return source


def sources_query() -> Select:
    return _usable_sources().order_by(Source.id)


# -- uploads ------------------------------------------------------------------------------


def upload_list(
    actor: Actor,
    source: Source,
    stream: BinaryIO,
    filename: str,
    area_id: int | None,
    schedule: bool = True,
) -> ListUpload:
    """Store an uploaded file for its source and schedule its import (unless the caller
    runs it: the CLI). The file is checked first (empty, wrong encoding, a mapped column
    missing: 422, nothing stored); the same file for the same source is refused (409)."""
    area = visible_area(area_id or actor.area_id)  # type: ignore[arg-type]
    tmp, digest, size = files.save(stream)
    try:
        duplicate = session.scalar(
            select(ListUpload.id)
            .where(ListUpload.source_id == source.id, ListUpload.file_sha256 == digest)
            .execution_options(skip_scope=True)  # the same file in another area is one too
        )
        if duplicate is not None:
            raise Conflict(f"This file was imported already for this source (list #{duplicate}).")
        try:
            fmt, encoding, _header = parsing.check_file(
                tmp, source.encoding, source.columns, current_app.config["MATCHING_MAX_ROW_CHARS"]
            )
        except parsing.BadFile as exc:
            raise Invalid(exc.errors) from exc
    except BaseException:
        files.discard(tmp)
        raise
    files.keep(tmp, digest)
    upload = ListUpload(
        source_id=source.id,
        area_id=area.id,
        filename=(filename or "list")[:255],
        file_format=fmt,
        encoding=encoding,
        file_sha256=digest,
        size_bytes=size,
        uploaded_by_id=actor.user_id,
    )
    session.add(upload)
    session.flush()
    if schedule:
        schedule_job(IMPORT_JOB, upload.id, area_id=area.id)
    return upload


def import_file(actor: Actor, source_code: str, path: Path, area_id: int | None) -> ListUpload:
    """``upload_list`` for a file on disk, not scheduled: ``flask lists import`` runs the
    import itself (a scheduled run would race it)."""
    source = session.scalar(select(Source).where(Source.code == source_code))
    if source is None:
        raise NotFound(f"No source with code {source_code!r}.")
    with path.open("rb") as handle:
        return upload_list(actor, source, handle, path.name, area_id, schedule=False)


def get_list(list_id: int) -> ListUpload:
    upload = session.scalar(select(ListUpload).where(ListUpload.id == list_id))
    if upload is None:
        raise NotFound("No such list.")
    return upload


def lists_query(filters: dict[str, Any]) -> Select:
    stmt = select(ListUpload).order_by(ListUpload.id.desc())
    if filters.get("source_id") is not None:
        stmt = stmt.where(ListUpload.source_id == filters["source_id"])
    if filters.get("area_id") is not None:
        stmt = stmt.where(in_area(ListUpload.area_id, filters["area_id"]))
    return stmt


def rows_query(upload: ListUpload, filters: dict[str, Any]) -> Select:
    stmt = select(ListRow).where(ListRow.list_id == upload.id).order_by(ListRow.row_no)
    if filters.get("status"):
        stmt = stmt.where(ListRow.status == filters["status"])
    if filters.get("bad_reason"):
        stmt = stmt.where(ListRow.bad_reason == filters["bad_reason"])
    return stmt


# -- the review queue ---------------------------------------------------------------------


def review_query(filters: dict[str, Any]) -> Select:
    """Rows proposed for review (a repaired ID number, a probable match), oldest first."""
    stmt = select(ListRow).where(ListRow.status == "review").order_by(ListRow.id)
    if filters.get("list_id") is not None:
        stmt = stmt.where(ListRow.list_id == filters["list_id"])
    if filters.get("area_id") is not None:
        stmt = stmt.where(in_area(ListRow.area_id, filters["area_id"]))
    return stmt


def get_row(row_id: int) -> ListRow:
    row = session.scalar(select(ListRow).where(ListRow.id == row_id))
    if row is None:
        raise NotFound("No such list row.")
    return row


def candidate(row: ListRow) -> dict[str, Any] | None:
    """The register person a review row is proposed with, side by side with the row."""
    from api.visits.models import Household, HouseholdMember

    if row.member_id is None:
        return None
    found = session.execute(
        select(HouseholdMember, Household.area_id, Household.address)
        .join(Household, Household.id == HouseholdMember.household_id)
        .where(HouseholdMember.id == row.member_id)
    ).first()
    if found is None:
        return None
    member, area_id, address = found
    return {
        "member_id": member.id,
        "household_id": member.household_id,
        "area_id": area_id,
        "name": member.name,
        "id_number": member.id_number,
        "sex": member.sex,
        "birth_year": member.birth_year,
        "relation": member.relation,
        "address": address,
    }


def decide(actor: Actor, row: ListRow, decision: str, note: str | None) -> ListRow:
    """Accept or reject a proposed pair. Accepting links this row to the person and runs
    the source's rules on it (warnings, follow-up tasks) — nothing else: no threshold or
    weight changes, and next month's list is matched afresh. Rejecting stores the pair
    (row key, person), which the engine never proposes again."""
    if row.status != "review" or row.member_id is None:
        raise Conflict("This row is not waiting for review.")
    session.add(
        ReviewDecision(
            row_id=row.id,
            area_id=row.area_id,
            member_id=row.member_id,
            decision=decision,
            note=note,
            decided_by_id=actor.user_id,
        )
    )
    upload = session.scalar(
        select(ListUpload).where(ListUpload.id == row.list_id).with_for_update()
    )
    upload.rows_review -= 1
    if decision == "reject":
        if (
            row.row_key_hash
            and session.get(RejectedPair, (row.row_key_hash, row.member_id)) is None
        ):
            session.add(RejectedPair(row_key_hash=row.row_key_hash, member_id=row.member_id))
        row.status, row.member_id, row.household_id = "unmatched", None, None
        row.reasons = [*row.reasons, "rejected on review"]
        upload.rows_unmatched += 1
        session.flush()
        return row
    row.status = "matched"
    row.reasons = [*row.reasons, "accepted on review"]
    upload.rows_matched += 1
    people = imports.person_facts([row.member_id])
    person = people.get(row.member_id)
    if person is None:
        raise Conflict("The proposed person is no longer in the register.")
    row.household_id = person.household_id
    session.flush()
    if not row.unchanged:
        source = session.scalar(select(Source).where(Source.id == upload.source_id))
        warnings = imports.raise_warnings(upload, source, row, person)
        if warnings:
            schedule_job(imports.WARNINGS_JOB, *[w.id for w in warnings], area_id=row.area_id)
    return row


# -- warnings -----------------------------------------------------------------------------


def warnings_query(filters: dict[str, Any]) -> Select:
    stmt = select(EarlyWarning).order_by(EarlyWarning.id.desc())
    for name in ("level", "list_id", "source_id", "household_id"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(EarlyWarning, name) == filters[name])
    if filters.get("area_id") is not None:
        stmt = stmt.where(in_area(EarlyWarning.area_id, filters["area_id"]))
    return stmt


def get_warning(warning_id: int) -> EarlyWarning:
    warning = session.scalar(select(EarlyWarning).where(EarlyWarning.id == warning_id))
    if warning is None:
        raise NotFound("No such warning.")
    return warning


def warning_stats(area: Area, since: date, until: date) -> dict[str, Any]:
    """Per child area of ``area``, its own level and in total: warnings raised from
    ``since`` to ``until`` (county days); handled by their due day (the task that handles
    the warning — its own, or its lead's — done by then: 预警处置率), handled late, open,
    and overdue (open past due)."""
    from api.casework.leads.models import Lead
    from api.casework.tasks.models import Task

    children = child_areas(area)
    today = county_time.local_today()
    start, _ = county_time.local_day_bounds(since)
    _, end = county_time.local_day_bounds(until)
    lead_task = select(Lead.task_id).where(Lead.id == EarlyWarning.lead_id).scalar_subquery()
    found = session.execute(
        select(Area.path, EarlyWarning.level, EarlyWarning.due_on, Task.status, Task.closed_at)
        .join(Area, Area.id == EarlyWarning.area_id)
        .outerjoin(Task, Task.id == func.coalesce(EarlyWarning.task_id, lead_task))
        .where(
            EarlyWarning.area_id.in_(subtree(area)),
            EarlyWarning.created_at >= start,
            EarlyWarning.created_at < end,
        )
    ).all()
    zone = county_time.county_zone()

    def counts(area_id: int, name: str, rows: list[Any]) -> dict[str, Any]:
        tally = dict.fromkeys(("raised", "red", "in_time", "late", "open", "overdue"), 0)
        for _path, level, due_on, status, closed_at in rows:
            tally["raised"] += 1
            tally["red"] += level == "red"
            if status == "done" and closed_at is not None:
                in_time = county_time.local_date(closed_at, zone) <= due_on
                tally["in_time" if in_time else "late"] += 1
            else:
                tally["open"] += 1
                tally["overdue"] += due_on < today
        raised = tally["raised"]
        return {
            "area_id": area_id,
            "area_name": name,
            "raised": raised,
            "red": tally["red"],
            "handled_in_time": tally["in_time"],
            "handled_late": tally["late"],
            "open": tally["open"],
            "overdue": tally["overdue"],
            "handled_in_time_rate": round(tally["in_time"] / raised, 4) if raised else None,
        }

    by_child = [
        counts(child.id, child.name, [r for r in found if r[0].startswith(child.path)])
        for child in children
    ]
    own = [r for r in found if not any(r[0].startswith(c.path) for c in children)]
    return {
        "area_id": area.id,
        "from": since,
        "to": until,
        "areas": by_child,
        # Warnings of the area itself (its county queue's leads), in no child area.
        "own": counts(area.id, area.name, own),
        "total": counts(area.id, area.name, found),
    }


# -- retention ----------------------------------------------------------------------------


def purge_expired(days: int | None = None) -> int:
    """Lists older than the retention period lose their raw rows and file; the outcome
    (status, method, person, score), warnings and the list's counts stay. Each purged list
    is audited (its ``purged_at`` change). Returns lists purged."""
    days = current_app.config["MATCHING_ROW_RETENTION_DAYS"] if days is None else days
    cutoff = utcnow() - timedelta(days=days)
    expired = session.scalars(
        select(ListUpload)
        .where(ListUpload.purged_at.is_(None), ListUpload.created_at < cutoff)
        .where(ListUpload.status.in_(("done", "failed")))
        .order_by(ListUpload.id)
    ).all()
    for upload in expired:
        session.execute(
            update(ListRow)
            .where(ListRow.list_id == upload.id)
            .values(
                raw=None,
                name=None,
                id_number=None,
                birth_date=None,
                sex=None,
                address=None,
                attributes=None,
            )
        )
        upload.purged_at = utcnow()
        session.flush()
        still_needed = session.scalar(
            select(func.count())
            .select_from(ListUpload)
            .where(ListUpload.file_sha256 == upload.file_sha256, ListUpload.purged_at.is_(None))
        )
        if not still_needed:
            files.remove(upload.file_sha256)
    return len(expired)
