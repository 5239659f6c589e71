"""What a hand-made task is about: the record, looked up as its creator sees it.

A task names its subject as ``(subject_kind, subject_id)`` plain columns (the tasks'
branch does not depend on the other domains' tables), so the record is looked up here,
through the jurisdiction hook like any other read: one the creator may not see (another
town's, or another realm's) reads as one that does not exist, a 422 on the field that named
it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from api.areas.scope import Actor
from api.auth.realms import RECORD_REALMS, SUPERVISION, may_read
from api.db import session
from api.errors import Invalid

# Where each subject kind's records live, and what a message calls them.
_MODELS = {
    "household": ("api.visits.models", "Household", "household"),
    "visit": ("api.visits.models", "Visit", "visit"),
    "photo": ("api.photos.models", "Photo", "photo"),
    "encounter": ("api.rescue.patrols.models", "Encounter", "encounter"),
    "person": ("api.rescue.patrols.models", "StreetPerson", "street person"),
    "resident": ("api.rescue.centre.models", "Resident", "resident"),
    "tracing_case": ("api.casework.tracing.models", "TracingCase", "tracing case"),
    "task": ("api.casework.tasks.models", "Task", "task"),
}


@dataclass(frozen=True)
class Subject:
    """A record a task may be about, as the task needs it."""

    kind: str
    id: int
    area_id: int
    realm: str
    household_id: int | None


def visible_subject(actor: Actor, kind: str, record_id: int, field: str) -> Subject:
    """The record of ``kind`` with this id if ``actor`` may read it; else a 422 on
    ``field`` ("No such ..."), whether it is missing, elsewhere or in another realm."""
    module, name, label = _MODELS[kind]
    model: Any = getattr(importlib.import_module(module), name)
    row = session.scalar(select(model).where(model.id == record_id))
    realm = _realm(kind, row) if row is not None else None
    if row is None or realm is None or not may_read(actor.role, realm):
        raise Invalid({field: [f"No such {label}."]})
    return Subject(kind, row.id, row.area_id, realm, _household_id(kind, row))


def _realm(kind: str, row: Any) -> str:
    if kind == "task":
        return row.realm
    if kind == "photo":
        return RECORD_REALMS.get(row.owner_kind, SUPERVISION)
    return RECORD_REALMS[kind]


def _household_id(kind: str, row: Any) -> int | None:
    if kind == "household":
        return row.id
    if kind in ("visit", "task"):
        return row.household_id
    if kind == "photo" and row.owner_kind == "visit":
        from api.visits.models import Visit

        return session.scalar(select(Visit.household_id).where(Visit.id == row.owner_id))
    return None
