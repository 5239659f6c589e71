"""Delta sync of a phone: the caller's households and open tasks changed after a cursor.

A sync answers pages of records then of tombstones (``api.field.models``), each page at
most ``limit`` items, and a cursor: with ``has_more`` the cursor of the next page, else the
cursor of the next sync. A cursor is opaque to the phone (base64 of a small JSON object):

- ``k``: the stream (``households`` or ``tasks``); a cursor of the other stream is refused;
- ``since``: the clock token (``api.common.sync_clock``) of the last complete sync, or
  null for a first download (the whole area, no tombstones);
- ``until``: the clock read before this sync's first page (null between syncs); it
  becomes the next sync's ``since``, so what is written while the pages are fetched comes
  (again) next time;
- ``phase`` and ``after``: where the pages stand (records or tombstones, after which id).

Jurisdiction is not in the cursor: every page is read through the caller's scope
(``api.areas.scope``), so a cursor made up or taken from another town's phone answers
nothing that a first download would not.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from api.areas.scope import Actor
from api.casework.tasks.models import ACTIVE_STATUSES, Task
from api.common import sync_clock
from api.db import session
from api.errors import Invalid
from api.field.models import SyncTombstone
from api.visits import services as household_services
from api.visits.models import Household

RECORDS, TOMBSTONES = "records", "tombstones"
# Two tokens of at most MAX_IN_PROGRESS ids each fit; gunicorn takes URLs up to 4094 bytes.
CURSOR_MAX_CHARS = 2000
_INT_MAX = 2**31 - 1


@dataclass(frozen=True)
class Cursor:
    stream: str
    since: sync_clock.Token | None
    # None between syncs: the next sync reads the clock before its first page.
    until: sync_clock.Token | None
    phase: str = RECORDS
    after: int = 0

    def encode(self) -> str:
        value: dict[str, Any] = {
            "k": self.stream,
            "since": self.since.as_dict() if self.since else None,
            "until": self.until.as_dict() if self.until else None,
            "phase": self.phase,
            "after": self.after,
        }
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass
class Page:
    records: list[Any]
    tombstones: list[dict[str, Any]]
    cursor: str
    has_more: bool


def _bad(reason: str) -> Invalid:
    return Invalid({"cursor": [reason]})


def read_cursor(stream: str, text: str | None) -> Cursor:
    """The cursor the phone sent, or a fresh one (first download); a cursor that is not
    one of ours, or is of another stream, is a 422 on ``cursor``."""
    if not text:
        return Cursor(stream, None, sync_clock.now())
    if len(text) > CURSOR_MAX_CHARS:
        raise _bad("Not a sync cursor.")
    try:
        value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise _bad("Not a sync cursor.") from exc
    if not isinstance(value, dict) or set(value) != {"k", "since", "until", "phase", "after"}:
        raise _bad("Not a sync cursor.")
    if value["k"] != stream:
        raise _bad(f"This cursor is not of the {stream} sync.")
    since = None if value["since"] is None else sync_clock.token_from(value["since"])
    # A new sync (no ``until``) reads the clock before its first page.
    until = sync_clock.now() if value["until"] is None else sync_clock.token_from(value["until"])
    after = value["after"]
    if (
        until is None
        or (value["since"] is not None and since is None)
        or (value["until"] is None and (value["phase"] != RECORDS or after != 0))
        or value["phase"] not in (RECORDS, TOMBSTONES)
        or type(after) is not int
        or not 0 <= after <= _INT_MAX
    ):
        raise _bad("Not a sync cursor (or one from another database).")
    return Cursor(stream, since, until, value["phase"], after)


def _page(cursor: Cursor, limit: int, records: Select, tombstones: Select | None) -> Page:
    """One page: records (``records`` selects the model, ordered by id) after
    ``cursor.after``, then tombstone ids (``tombstones`` selects (id, record id)
    ordered by id)."""
    found: list[Any] = []
    dead: list[dict[str, Any]] = []
    phase, after = cursor.phase, cursor.after
    if phase == RECORDS:
        model = records.column_descriptions[0]["entity"]
        found = list(
            session.scalars(records.where(model.id > after).order_by(model.id).limit(limit + 1))
        )
        if len(found) > limit:
            found = found[:limit]
            return Page(found, [], _next(cursor, RECORDS, found[-1].id), True)
        phase, after = TOMBSTONES, 0
    if tombstones is not None:
        room = limit - len(found)
        rows = session.execute(
            tombstones.having(func.max(SyncTombstone.id) > after)
            .order_by(func.max(SyncTombstone.id))
            .limit(room + 1)
        ).all()
        dead = [{"id": record_id, "deleted": True} for _tid, record_id in rows[:room]]
        if len(rows) > room:
            last = rows[room - 1][0] if room else after
            return Page(found, dead, _next(cursor, TOMBSTONES, last), True)
    done = Cursor(cursor.stream, cursor.until, None)
    return Page(found, dead, done.encode(), False)


def _next(cursor: Cursor, phase: str, after: int) -> str:
    return Cursor(cursor.stream, cursor.since, cursor.until, phase, after).encode()


def _tombstones(stream: str, since: sync_clock.Token | None, still_seen: Select) -> Select | None:
    """The tombstones after ``since`` of records the caller no longer sees (none on a
    first download). SyncTombstone is AreaScoped: only those of the caller's subtree."""
    if since is None:
        return None
    return (
        select(func.max(SyncTombstone.id), SyncTombstone.record_id)
        .where(
            SyncTombstone.stream == stream,
            SyncTombstone.record_id.not_in(still_seen),
            sync_clock.changed_since(SyncTombstone, since),
        )
        .group_by(SyncTombstone.record_id)
    )


def households_page(text: str | None, limit: int) -> Page:
    """The caller's households (their area's, through the scope) changed after the
    cursor; households that left the area as tombstones."""
    cursor = read_cursor("households", text)
    records = select(Household)
    if cursor.since is not None:
        records = records.where(sync_clock.changed_since(Household, cursor.since))
    # A household still in the caller's subtree (moved between two of its villages) is a
    # record, not a tombstone.
    tombstones = _tombstones("households", cursor.since, select(Household.id))
    page = _page(cursor, limit, records, tombstones)
    household_services.show_households(page.records)
    return page


def tasks_page(actor: Actor, text: str | None, limit: int) -> Page:
    """The caller's open tasks (assigned to them, in their area and realm) changed after
    the cursor. A task of theirs that closed comes back as a tombstone; so does one
    reassigned away, moved out of their area or realm."""
    cursor = read_cursor("tasks", text)
    mine = Task.assignee_id == actor.user_id
    records = select(Task).where(mine)
    if cursor.since is None:
        records = records.where(Task.status.in_(ACTIVE_STATUSES))
    else:
        records = records.where(sync_clock.changed_since(Task, cursor.since))
    still_mine = select(Task.id).where(mine, Task.status.in_(ACTIVE_STATUSES))
    tombstones = _tombstones("tasks", cursor.since, still_mine)
    if tombstones is not None:
        tombstones = tombstones.where(SyncTombstone.user_id == actor.user_id)
    page = _page(cursor, limit, records, tombstones)
    closed = [task for task in page.records if task.status not in ACTIVE_STATUSES]
    page.records = [task for task in page.records if task.status in ACTIVE_STATUSES]
    page.tombstones = [{"id": task.id, "deleted": True} for task in closed] + page.tombstones
    return page
