"""The change clock of delta sync (``api.field``): which rows changed after a cursor.

A row that a phone syncs mixes in ``SyncStamped``: every INSERT and UPDATE (ORM or Core,
through the column's ``default``/``onupdate``) stamps it with

- ``sync_version``: the next value of one change counter. On PostgreSQL the sequence
  ``sync_version_seq``; on SQLite the largest stamp of the stamped tables plus one (SQLite
  has one writer at a time, so stamps are given in commit order there);
- ``sync_xid`` (PostgreSQL): the id of the writing transaction (``pg_current_xact_id()``).

Why not a timestamp, and why not the sequence alone: on PostgreSQL two transactions take
their stamps in one order and may commit in the other. A reader between the two commits
sees the later stamp and not the earlier one; a cursor "after the later stamp" would skip
the earlier row for ever. So a PostgreSQL token is the pair (highest stamp given out, the
reader's snapshot), read in one statement *before* the rows: the next sync answers rows
stamped above the highest stamp **or** written by a transaction that the snapshot did not
see as committed (``pg_visible_in_snapshot``). A row committed late is therefore answered
next time; a row may come twice (a phone stores by id), never not at all. On SQLite the
token is the highest stamp alone.

Rows that existed before the migration are stamped 0: older than every token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Sequence,
    Text,
    and_,
    cast,
    func,
    or_,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import UserDefinedType

from api.db import Base, session

SYNC_SEQUENCE = Sequence("sync_version_seq", metadata=Base.metadata)
# A PostgreSQL snapshot as text: xmin:xmax:xip,xip,... (64-bit transaction ids).
_SNAPSHOT = re.compile(r"^(\d{1,18}):(\d{1,18}):((?:\d{1,18}(?:,\d{1,18})*)?)$")
# At most this many in-progress ids in a token, so that a cursor fits in a URL: a longer
# list is cut by lowering xmax to the first id left out, which counts more transactions as
# unseen (their rows come again), never fewer.
MAX_IN_PROGRESS = 20


class next_sync_version(FunctionElement):
    type = BigInteger()
    inherit_cache = True


class current_sync_xid(FunctionElement):
    type = BigInteger()
    inherit_cache = True


@compiles(next_sync_version, "postgresql")
def _next_version_pg(_element: Any, _compiler: Any, **_kw: Any) -> str:
    return "nextval('sync_version_seq')"


@compiles(next_sync_version, "sqlite")
def _next_version_sqlite(_element: Any, _compiler: Any, **_kw: Any) -> str:
    return f"({_sqlite_highest()} + 1)"


@compiles(current_sync_xid, "postgresql")
def _xid_pg(_element: Any, _compiler: Any, **_kw: Any) -> str:
    return "CAST(CAST(pg_current_xact_id() AS TEXT) AS BIGINT)"


@compiles(current_sync_xid, "sqlite")
def _xid_sqlite(_element: Any, _compiler: Any, **_kw: Any) -> str:
    return "0"


def _stamped_tables() -> list[str]:
    found, pending = [], list(SyncStamped.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if hasattr(cls, "__tablename__"):
            found.append(cls.__tablename__)
    return sorted(set(found))


def _sqlite_highest() -> str:
    # The table names are the models' own, never input.
    parts = " UNION ALL ".join(
        f"SELECT max(sync_version) AS v FROM {table}"  # noqa: S608
        for table in _stamped_tables()
    )
    return f"(SELECT coalesce(max(v), 0) FROM ({parts}))"  # noqa: S608


class SyncStamped:
    """Rows a phone syncs: stamped on every insert and update (see the module)."""

    sync_version: Mapped[int] = mapped_column(
        BigInteger,
        default=next_sync_version(),
        onupdate=next_sync_version(),
        server_default=text("0"),
        index=True,
    )
    sync_xid: Mapped[int] = mapped_column(
        BigInteger,
        default=current_sync_xid(),
        onupdate=current_sync_xid(),
        server_default=text("0"),
        index=True,
    )


class _Snapshot(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "pg_snapshot"


class _Xid8(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "xid8"


@dataclass(frozen=True)
class Token:
    """A point of the clock: the highest stamp given out, and (PostgreSQL) the snapshot
    of the reader, taken in the same statement."""

    highest: int
    snapshot: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"h": self.highest, "s": self.snapshot}


def now() -> Token:
    """The clock as the caller reads it now; read it before the rows it stands for."""
    return read_clock(session.connection())


def read_clock(connection: Connection) -> Token:
    """The clock as ``connection``'s transaction reads it now."""
    if connection.dialect.name == "postgresql":
        highest, snapshot, own = connection.execute(
            text(
                "SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END, "
                "CAST(pg_current_snapshot() AS TEXT), "
                "CAST(pg_current_xact_id_if_assigned() AS TEXT) FROM sync_version_seq"
            )
        ).one()
        return Token(int(highest), _bounded(_seen_own_writes(snapshot, own)))
    return Token(int(connection.scalar(text(f"SELECT {_sqlite_highest()}"))))


def _seen_own_writes(snapshot: str, own: str | None) -> str:
    """The snapshot with the reader's own transaction counted as seen: a reader that wrote
    rows itself (a request that first wrote, a test's one transaction) has read them.
    PostgreSQL leaves its own xid out of the snapshot (at or past ``xmax`` when it is the
    newest): ``xmax`` moves past it, and the ids between, unknown, count as in progress."""
    if own is None:
        return snapshot
    own_xid = int(own)
    xmin, xmax, listed = snapshot.split(":")
    in_progress = [int(xid) for xid in listed.split(",") if xid]
    if own_xid >= int(xmax):
        in_progress += range(int(xmax), own_xid)
        xmax = str(own_xid + 1)
    others = sorted(set(in_progress) - {own_xid})
    return f"{xmin}:{xmax}:{','.join(str(xid) for xid in others)}"


def _bounded(snapshot: str) -> str:
    """The snapshot with at most MAX_IN_PROGRESS in-progress ids (see there)."""
    xmin, _xmax, listed = snapshot.split(":")
    in_progress = listed.split(",") if listed else []
    if len(in_progress) <= MAX_IN_PROGRESS:
        return snapshot
    kept = in_progress[:MAX_IN_PROGRESS]
    return f"{xmin}:{in_progress[MAX_IN_PROGRESS]}:{','.join(kept)}"


def token_from(value: Any) -> Token | None:
    """A token read back from a cursor, or None if it is not one this database made."""
    if not isinstance(value, dict) or set(value) != {"h", "s"}:
        return None
    highest, snapshot = value["h"], value["s"]
    if type(highest) is not int or not 0 <= highest < 2**62:
        return None
    on_postgresql = session.get_bind().dialect.name == "postgresql"
    if not on_postgresql:
        return Token(highest) if snapshot is None else None
    if not isinstance(snapshot, str) or not _valid_snapshot(snapshot):
        return None
    return Token(highest, snapshot)


def _valid_snapshot(snapshot: str) -> bool:
    # Checked here so that PostgreSQL never parses a bad one (an error would be a 500).
    match = _SNAPSHOT.match(snapshot)
    if match is None:
        return False
    xmin, xmax = int(match[1]), int(match[2])
    in_progress = [int(xid) for xid in match[3].split(",")] if match[3] else []
    return (
        0 < xmin <= xmax
        and len(in_progress) <= MAX_IN_PROGRESS
        and all(xmin <= xid < xmax for xid in in_progress)
        and in_progress == sorted(set(in_progress))
    )


def changed_since(model: Any, token: Token) -> ColumnElement[bool]:
    """Rows of ``model`` (a ``SyncStamped`` model) written after ``token``."""
    later = model.sync_version > token.highest
    if token.snapshot is None:
        return later
    xmin = int(token.snapshot.split(":", 1)[0])
    unseen = and_(
        model.sync_xid >= xmin,
        ~func.pg_visible_in_snapshot(
            cast(cast(model.sync_xid, Text()), _Xid8()),
            cast(token.snapshot, _Snapshot()),
        ),
    )
    return or_(later, unseen)
