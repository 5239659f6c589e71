"""Writing and reading the audit log.

A session listener writes one entry per inserted, updated or deleted ``Audited`` row at
flush time, in the same transaction as the change: a change that rolls back leaves no
entry, and a change that commits always has one. Values pass through ``mask_personal``,
so ID numbers never sit in the log in full.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import g, has_request_context
from geoalchemy2.elements import WKBElement, WKTElement
from sqlalchemy import Select, event, insert, inspect, select
from sqlalchemy.orm import Session, UOWTransaction

from api.areas.scope import current_actor
from api.audit.models import AuditEntry
from api.common.fields import geometry_to_geojson
from api.common.idnumber import mask_personal
from api.db import session, utcnow
from api.mixins import Audited


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


def _created(values: dict[str, Any], exclude: frozenset[str]) -> dict[str, Any]:
    return mask_personal(
        {k: {"new": _plain(v)} for k, v in values.items() if k not in exclude and v is not None}
    )


def _changes(obj: Audited, action: str) -> dict[str, Any]:
    state = inspect(obj)
    if action == "create":
        return _created(
            {a.key: getattr(obj, a.key) for a in state.mapper.column_attrs}, obj.audit_exclude
        )
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
            if action == "update" and not db_session.is_modified(obj, include_collections=False):
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


def record_reveal(table_name: str, records: list[Any], fields: list[str]) -> None:
    """Log that the current actor saw ``fields`` of ``records`` (ORM objects) in full."""
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
                "record_id": _record_id(record),
                "area_id": getattr(record, "area_id", None),
                "changes": {"revealed": fields},
                "request_id": _request_id(),
            }
            for record in records
        ],
    )


def audit_query(table_name: str | None, record_id: str | None, actor_id: int | None) -> Select:
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    if table_name:
        stmt = stmt.where(AuditEntry.table_name == table_name)
    if record_id:
        stmt = stmt.where(AuditEntry.record_id == record_id)
    if actor_id:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    return stmt
