"""Writing and reading the audit log.

A session listener writes one entry per inserted, updated or deleted ``Audited`` row at
flush time, in the same transaction as the change: a change that rolls back leaves no
entry, and a change that commits always has one. Values pass through ``mask_personal``,
so ID numbers never sit in the log in full.

Reads are logged where they show personal data in bulk or in full: ``record_reveal`` (ID
numbers in full) and ``record_bulk_read`` (exports, map layers: who, which filter, how
many rows).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import g, has_request_context, request
from geoalchemy2.elements import WKBElement, WKTElement
from sqlalchemy import (
    ColumnElement,
    Select,
    cast,
    column,
    event,
    exists,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, UOWTransaction

from api.areas.models import Area
from api.areas.scope import current_actor, in_area
from api.audit.models import AuditEntry
from api.common.county_time import local_day_bounds
from api.common.fields import geometry_to_geojson
from api.common.idnumber import mask_personal, mask_text, may_need_masking
from api.db import JsonText, session, takes_json_text, utcnow
from api.mixins import Audited

# What an entry records: a change (create, update, delete, by the flush listener), an ID
# number seen in full (reveal), a bulk read of personal data (export, map).
ACTIONS = ("create", "update", "delete", "reveal", "export", "map")


def _plain(value: Any) -> Any:
    if isinstance(value, (WKBElement, WKTElement)):
        return geometry_to_geojson(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "__geo_interface__"):
        return geometry_to_geojson(value)
    return value


def _child_row(item: Any, parent_keys: set[str], old: bool) -> Any:
    """A child row's columns as of now (or, ``old``, as last flushed), without the key back
    to the parent, its ``audit_exclude`` (copies of the parent's columns), nor a lone
    surrogate id (rows replaced as a list get new ids each time); a row with a single
    column left is shown as its value (a focus group's name)."""
    state = inspect(item)
    primary_key = state.mapper.primary_key
    exclude = getattr(item, "audit_exclude", frozenset())
    values: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in parent_keys or (len(primary_key) == 1 and attr.columns[0] is primary_key[0]):
            continue
        if key in exclude:
            continue
        value = state.dict.get(key)
        if old:
            history = state.attrs[key].history
            if history.has_changes():
                # As for a parent's own columns: an old value never loaded counts as None.
                value = history.deleted[0] if history.deleted else None
        values[key] = _plain(value)
    if len(values) == 1:
        return next(iter(values.values()))
    return values


def _collections(obj: Audited, action: str) -> dict[str, Any]:
    """``audit_collections`` of ``obj`` that this flush changed: {field: {old, new}} with
    the rows' contents (only collections already loaded: a flush must not load more)."""
    state = inspect(obj)
    changes: dict[str, Any] = {}
    for key, field in obj.audit_collections.items():
        if key not in state.dict:
            continue
        prop = state.mapper.relationships[key]
        parent_keys = {column.key for column in prop.remote_side}
        history = state.attrs[key].history
        current = list(state.dict[key])
        if action == "create":
            new = [_child_row(item, parent_keys, old=False) for item in current]
            if new:
                changes[field] = {"new": new}
            continue
        before = [*history.unchanged, *history.deleted] if history.has_changes() else current
        old = [_child_row(item, parent_keys, old=True) for item in before]
        if action == "delete":
            if old:
                changes[field] = {"old": old}
            continue
        new = [_child_row(item, parent_keys, old=False) for item in current]
        if old != new:
            changes[field] = {"old": old, "new": new}
    return changes


def _created(values: dict[str, Any], exclude: frozenset[str]) -> dict[str, Any]:
    # mask_personal of the whole {field: {"new": value}}, without walking the wrappers.
    return {
        mask_text(k): {"new": mask_personal(_plain(v))}
        for k, v in values.items()
        if k not in exclude and v is not None
    }


def _changes(obj: Audited, action: str) -> dict[str, Any]:
    state = inspect(obj)
    if action == "create":
        return {
            **_created(
                {
                    # Excluded columns are not read: a stamp computed by the database
                    # (api.common.sync_clock) is not loaded yet after the flush.
                    a.key: getattr(obj, a.key)
                    for a in state.mapper.column_attrs
                    if a.key not in obj.audit_exclude
                },
                obj.audit_exclude,
            ),
            **mask_personal(_collections(obj, action)),
        }
    changes: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        history = state.attrs[key].history
        if key in obj.audit_secret and action == "update" and history.has_changes():
            changes[key] = {"changed": True}
        if key in obj.audit_exclude:
            continue
        if action == "delete":
            value = history.unchanged[0] if history.unchanged else (history.deleted or [None])[0]
            changes[key] = {"old": _plain(value)}
        elif history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if _plain(old) != _plain(new):
                changes[key] = {"old": _plain(old), "new": _plain(new)}
    changes.update(_collections(obj, action))
    return mask_personal(changes)


def _record_id(obj: Any) -> str:
    # Not inspect(obj).identity: a row inserted by this flush has no identity key yet.
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return ",".join(str(part) for part in key)


def _request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


@event.listens_for(Session, "after_flush")
def _write_audit_entries(db_session: Session, _flush: UOWTransaction) -> None:
    actor = current_actor(db_session)
    rows = []
    for action, objects in (
        ("create", db_session.new),
        ("update", db_session.dirty),
        ("delete", db_session.deleted),
    ):
        for obj in objects:
            if not isinstance(obj, Audited):
                continue
            if action == "update" and not db_session.is_modified(
                obj, include_collections=bool(obj.audit_collections)
            ):
                continue
            changes = _changes(obj, action)
            if action == "update" and not changes:
                continue
            rows.append(
                {
                    "at": utcnow(),
                    "actor_id": actor.user_id if actor else None,
                    "action": action,
                    "table_name": obj.__tablename__,  # type: ignore[attr-defined]
                    "record_id": _record_id(obj),
                    "area_id": getattr(obj, "area_id", None) or (actor.area_id if actor else None),
                    "changes": changes,
                    "request_id": _request_id(),
                }
            )
    if rows:
        db_session.connection().execute(insert(AuditEntry), rows)


def record_created(model: type[Audited], rows: list[dict[str, Any]]) -> None:
    """Audit rows inserted set-wise (``insert(model)`` with a list of column values, ids
    included), which the flush listener does not see: one entry per row, as for a flush."""
    if not rows:
        return
    actor = current_actor()
    at = utcnow()
    session.execute(
        insert(AuditEntry),
        [
            {
                "at": at,
                "actor_id": actor.user_id if actor else None,
                "action": "create",
                "table_name": model.__tablename__,  # type: ignore[attr-defined]
                "record_id": str(row["id"]),
                "area_id": row.get("area_id") or (actor.area_id if actor else None),
                "changes": _created(row, model.audit_exclude),
                "request_id": _request_id(),
            }
            for row in rows
        ],
    )


def _created_many(rows: list[dict[str, Any]], exclude: frozenset[str]) -> dict[str, Any] | JsonText:
    """``{id: {field: {"new": value}}}`` of rows' given values, masked as any entry. The
    document is written as JSON once, walked for masking only if it holds a run of digits
    long enough to be masked (value-by-value masking was the largest cost of auditing a
    job's hundreds of tasks), and else stored as that text (decoding it to have the
    column encode it again was ≈ 7 % of a sync batch's CPU)."""
    plain = {
        str(row["id"]): {
            k: {"new": v} for k, v in row.items() if k not in exclude and v is not None
        }
        for row in rows
    }
    text = json.dumps(plain, ensure_ascii=False, default=_plain)
    if may_need_masking(text):
        return mask_personal(json.loads(text))
    return JsonText(text) if takes_json_text() else json.loads(text)


def _entry_naming(
    model: type[Audited], rows: list[dict[str, Any]], area_id: int | None
) -> dict[str, Any]:
    actor = current_actor()
    return {
        "at": utcnow(),
        "actor_id": actor.user_id if actor else None,
        "action": "create",
        "table_name": model.__tablename__,  # type: ignore[attr-defined]
        "record_id": "",  # many records: record_ids
        "record_ids": [str(row["id"]) for row in rows],
        "area_id": area_id or (actor.area_id if actor else None),
        "changes": _created_many(rows, model.audit_exclude | {"id"}),
        "request_id": _request_id(),
    }


def record_created_together(
    model: type[Audited], rows: list[dict[str, Any]], area_id: int | None
) -> None:
    """Audit rows inserted together (a phone's sync batch) with one entry naming them all:
    ``record_ids``, and ``changes`` keyed by record id, each ``{field: {"new": value}}`` of
    the values given in its row (masked as any entry). ``area_id`` is the lowest area
    holding every row, so that whoever sees the entry may see them all. The rows need not
    carry every column: derived ones can be left out. ``audit_query`` finds the entry by
    any of its records."""
    if rows:
        session.execute(insert(AuditEntry.__table__), [_entry_naming(model, rows, area_id)])


def record_created_by_town(model: type[Audited], rows: list[dict[str, Any]]) -> None:
    """Rows inserted set-wise by a job (the rules' tasks), audited with one entry per town
    (the area above the records' own, whatever the depth) shaped as
    ``record_created_together``'s: the entry's area is the lowest one holding its records,
    so the supervisors who see the records see the entry, and a worker of one village does
    not see another village's tasks in it. One statement writes every town's entry."""
    if not rows:
        return
    actor = current_actor()
    default_area = actor.area_id if actor else None
    paths = dict(
        session.execute(
            select(Area.id, Area.path)
            .where(Area.id.in_({row.get("area_id") or default_area for row in rows}))
            .execution_options(skip_scope=True)
        ).all()
    )
    towns: dict[tuple[str, ...], tuple[set[tuple[str, ...]], list[dict[str, Any]]]] = {}
    for row in rows:
        chain = tuple(paths.get(row.get("area_id") or default_area, "").strip("/").split("/"))
        chains, town_rows = towns.setdefault(chain[:-1] or chain, (set(), []))
        chains.add(chain)
        town_rows.append(row)
    entries = []
    for chains, town_rows in towns.values():
        common = [parts[0] for parts in zip(*chains, strict=False) if len(set(parts)) == 1]
        area_id = int(common[-1]) if common and common[-1] else None
        entries.append(_entry_naming(model, town_rows, area_id))
    session.execute(insert(AuditEntry.__table__), entries)


def record_reveal(table_name: str, records: list[Any], fields: list[str]) -> None:
    """Log that the current actor saw ``fields`` of ``records`` in full: rows or objects
    of ``table_name`` with an ``id`` (its primary key) and an ``area_id``."""
    actor = current_actor()
    if not records:
        return
    session.execute(
        insert(AuditEntry),
        [
            {
                "at": utcnow(),
                "actor_id": actor.user_id if actor else None,
                "action": "reveal",
                "table_name": table_name,
                "record_id": str(record.id),
                "area_id": record.area_id,
                "changes": {"revealed": fields},
                "request_id": _request_id(),
            }
            for record in records
        ],
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(item) for item in value]
    value = _plain(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


@dataclass(frozen=True)
class BulkRead:
    """A bulk read's audit entry, for ``finish_bulk_read`` to complete."""

    entry_id: int
    changes: dict[str, Any]


def record_bulk_read(
    action: str,
    table_name: str,
    area_id: int | None,
    filters: dict[str, Any],
    rows: int | None = None,
) -> BulkRead:
    """Log that the current actor read many people's records at once (``action``: export,
    map): the endpoint, ``filters`` (the parsed query arguments, defaults included) and
    the number of ``rows`` sent, None until a streamed read finishes. ``area_id`` is the
    area read (the actor's own when None), so supervisors see the entry in their area."""
    actor = current_actor()
    changes = mask_personal(
        {
            "endpoint": request.path if has_request_context() else None,
            "filters": _jsonable(filters),
            "rows": rows,
        }
    )
    if rows is None:
        changes["complete"] = False
    entry = AuditEntry(
        at=utcnow(),
        actor_id=actor.user_id if actor else None,
        action=action,
        table_name=table_name,
        record_id="",  # many records
        area_id=area_id or (actor.area_id if actor else None),
        changes=changes,
        request_id=_request_id(),
    )
    session.add(entry)
    session.flush()
    return BulkRead(entry.id, changes)


def finish_bulk_read(read: BulkRead, rows: int, complete: bool, failed: bool = False) -> None:
    """Complete a streamed read's entry once the stream has ended, to the last row or not
    (the client went away, a read ``failed``): ``rows`` sent so far.

    The entry itself was committed before the first byte, so it exists however the stream
    ends; this commits the count on the stream's session (after a failed read, once its
    unusable transaction is rolled back).
    """
    if failed:
        session.rollback()
    session.execute(
        update(AuditEntry)
        .where(AuditEntry.id == read.entry_id)
        .values(changes={**read.changes, "rows": rows, "complete": complete})
    )
    session.commit()


def _names_record(record_id: str) -> ColumnElement[bool]:
    """An entry about several records (``record_ids``) names this one."""
    if session.get_bind().dialect.name == "postgresql":
        # Containment, which the GIN index on record_ids serves.
        return AuditEntry.record_ids.op("@>")(cast([record_id], JSONB))
    named = select(literal(1)).select_from(func.json_each(AuditEntry.record_ids))
    return exists(named.where(column("value") == record_id))


def audit_query(
    table_name: str | None = None,
    record_id: str | None = None,
    actor_id: int | None = None,
    action: list[str] | None = None,
    area_id: int | None = None,
    from_date: date | None = None,
    to_date: date | None = None,
) -> Select:
    """Entries newest first, filtered; ``from_date``/``to_date`` are county days."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    if table_name:
        stmt = stmt.where(AuditEntry.table_name == table_name)
    if record_id:
        stmt = stmt.where(or_(AuditEntry.record_id == record_id, _names_record(record_id)))
    if actor_id:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if action:
        stmt = stmt.where(AuditEntry.action.in_(action))
    if area_id:
        stmt = stmt.where(in_area(AuditEntry.area_id, area_id))
    if from_date:
        stmt = stmt.where(AuditEntry.at >= local_day_bounds(from_date)[0])
    if to_date:
        stmt = stmt.where(AuditEntry.at < local_day_bounds(to_date)[1])
    return stmt
