"""Database plumbing shared by every domain: Base, column types, engine and session.

The request (or the job) owns the transaction: domain services only ``flush()``; the
request hook in ``api/__init__.py`` commits once on success and rolls back otherwise,
and ``api.jobs.runner`` does the same for jobs.

Two back ends serve the same models and migrations: PostgreSQL + PostGIS (production,
tests) and SQLite + SpatiaLite (the embedded default). SpatiaLite needs a SQLite whose
extension loading is enabled; the pyenv-built ``sqlite3`` module is not, so SQLite URLs use
the ``pysqlite3`` wheel as the DB-API module.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar

from geoalchemy2 import load_spatialite
from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    Engine,
    MetaData,
    Select,
    any_,
    create_engine,
    event,
    literal,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite keeps no zone, so a naive value read back is UTC by construction; a naive value
    written is refused, because its zone would be a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: attach a timezone before storing")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# JSONB on PostgreSQL (indexable, compact), plain JSON text on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
        list[str]: JSONType,
    }


def among(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN values``. On PostgreSQL it is ``column = ANY(array)`` with one parameter,
    so that the statement's text does not change with the number of values: a job's IN
    lists of a hundred ids were compiled by SQLAlchemy and parsed by psycopg anew each
    time, a parameter each (a follow-up job's largest client cost after the audit)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(list(values), ARRAY(column.type)))
    return column.in_(list(values))


def utcnow() -> datetime:
    return datetime.now(UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


class JsonText(str):
    """A document already written as JSON text, bound to a JSON column as it is: a large
    one built as text (a sync batch's audit entry) is not decoded to be encoded again."""


def write_json(value: Any) -> str:
    """The engines' JSON serializer: ``json.dumps`` (SQLAlchemy's default), but JsonText
    as it is."""
    return value if type(value) is JsonText else json.dumps(value)


def takes_json_text() -> bool:
    """Whether the session's engine binds JsonText as it is (every engine made by
    ``create_db_engine``; one made otherwise would store the text as a JSON string)."""
    return getattr(session.get_bind().dialect, "_json_serializer", None) is write_json


def create_db_engine(url: str, spatialite_path: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the spatial extension ready on every connection."""
    kwargs.setdefault("json_serializer", write_json)
    if not is_sqlite(url):
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "do_execute", _execute_unprepared_if_asked)
        return engine

    import pysqlite3.dbapi2 as sqlite_with_extensions

    if spatialite_path:
        os.environ["SPATIALITE_LIBRARY_PATH"] = spatialite_path
    os.environ.setdefault("SPATIALITE_LIBRARY_PATH", "mod_spatialite")
    db_path = url.split("///", 1)[-1]
    if db_path and db_path != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(db_path)), exist_ok=True)
    engine = create_engine(
        url, module=sqlite_with_extensions, connect_args={"timeout": 30}, **kwargs
    )
    # WGS84 init mode: SpatiaLite's full metadata init inserts thousands of reference
    # systems and takes many seconds on first use; SRID 4326 is all the project needs.
    event.listen(engine, "connect", functools.partial(load_spatialite, init_mode="WGS84"))
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


PLANNED_WITH_VALUES = {"planned_with_values": True}


def _execute_unprepared_if_asked(
    cursor: Any, statement: str, parameters: Any, context: Any
) -> bool:
    """A statement run with ``execution_options(**PLANNED_WITH_VALUES)`` is never prepared.

    psycopg prepares a statement sent five times on a connection, and PostgreSQL may then
    keep one generic plan for all values, in which ``LIKE $1`` is no index range (a name
    search). Unprepared, it is planned with its values every time, like
    ``plan_cache_mode = force_custom_plan`` but without a statement to set it.
    """
    if not context.execution_options.get("planned_with_values"):
        return False
    cursor.execute(statement, parameters, prepare=False)
    return True


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers proceed while one connection writes; foreign keys are off by default
    # in SQLite and the schema relies on them.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # The driver's own implicit BEGIN is turned off so that SQLAlchemy's "begin" event
    # below decides how transactions start (and SAVEPOINTs behave).
    dbapi_connection.isolation_level = None


def _sqlite_begin_immediate(connection: Any) -> None:
    # A deferred transaction that reads, then writes after another connection committed,
    # fails at once with "database is locked" (busy_timeout cannot help it). Taking the
    # write lock at BEGIN makes concurrent requests and the in-process job thread wait
    # their turn instead. Fine for the embedded default's single process.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class RoutedSession(Session):
    """A session whose plain reads may go to a replica (``api.common.replica``).

    ``info["replica"]`` (an engine, set by a report view) sends SELECTs there until the
    session writes: from its first write on, this transaction reads from the primary.
    """

    def get_bind(self, mapper: Any = None, clause: Any = None, **kwargs: Any) -> Any:
        replica = self.info.get("replica")
        if (
            replica is not None
            and not self.info.get("wrote")
            and isinstance(clause, Select)
            and clause._for_update_arg is None
        ):
            return replica
        return super().get_bind(mapper, clause=clause, **kwargs)


@event.listens_for(RoutedSession, "after_flush")
def _wrote_by_flush(routed: Session, _context: Any) -> None:
    # A class marked ``reads_unaffected`` (the audit log) is written beside reads that never
    # read it back: its rows alone keep a report on the replica.
    flushed = (*routed.new, *routed.dirty, *routed.deleted)
    if any(not getattr(obj, "reads_unaffected", False) for obj in flushed):
        routed.info["wrote"] = True


@event.listens_for(RoutedSession, "do_orm_execute")
def _wrote_by_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info["wrote"] = True


@event.listens_for(RoutedSession, "after_transaction_end")
def _transaction_ended(routed: Session, transaction: Any) -> None:
    if transaction.parent is None:
        routed.info.pop("wrote", None)


# One session per thread (a request, a job, the in-process worker thread). Bound to the
# app's engine by ``init_db``; tests rebind it to a connection holding a savepoint.
session = scoped_session(sessionmaker(class_=RoutedSession, expire_on_commit=False))


def init_db(engine: Engine) -> None:
    session.remove()
    session.configure(bind=engine)
