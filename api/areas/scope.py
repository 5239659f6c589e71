"""Jurisdiction: the one place that decides which rows a caller may see.

Every ORM ``SELECT`` run through the session is filtered here (a ``do_orm_execute``
hook), so a route or service cannot forget the check:

- a model that mixes in ``AreaScoped`` (it has an ``area_id``) shows only rows whose area
  lies in the caller's subtree;
- ``Area`` itself shows only the caller's subtree;
- a model that mixes in ``RoleRestricted`` shows nothing to roles outside its
  ``visible_to_roles`` (residents' data, for instance, never reaches outreach workers);
- a model that mixes in ``RowRoleRestricted`` shows each role only the rows its
  ``rows_readable_by(role)`` criterion admits (a task or a photo is read by the roles that
  read what it is about: ``api.auth.realms``).

The session fails closed: with no actor set, scoped models show nothing. Requests set the
signed-in user as actor; jobs and CLI commands set ``SYSTEM`` explicitly. A query that must
see past the caller's scope (an idempotency lookup, say) says so with
``.execution_options(skip_scope=True)``.

Rows outside the scope are simply absent, so a record in another town answers 404, as if it
did not exist.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, event, false, select, true
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from api.areas.models import Area
from api.db import session
from api.errors import Invalid
from api.mixins import AreaScoped, RoleRestricted, RowRoleRestricted


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user, or the system (jobs, CLI)."""

    user_id: int | None
    role: str
    area_id: int | None
    area_path: str | None

    @property
    def is_system(self) -> bool:
        return self.role == "system"


_AREAS = Area.__table__

SYSTEM = Actor(user_id=None, role="system", area_id=None, area_path=None)


def set_actor(db_session: Session | None, actor: Actor) -> None:
    (db_session or session()).info["actor"] = actor


def current_actor(db_session: Session | None = None) -> Actor | None:
    return (db_session or session()).info.get("actor")


def require_actor() -> Actor:
    actor = current_actor()
    if actor is None:
        raise RuntimeError("no actor on the session: set_actor() before querying")
    return actor


def _mapped_subclasses(mixin: type) -> list[type]:
    found, pending = [], list(mixin.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if hasattr(cls, "__table__"):
            found.append(cls)
    return found


@event.listens_for(Session, "do_orm_execute")
def _apply_jurisdiction(state: ORMExecuteState) -> None:
    if (
        not state.is_select
        or state.is_column_load
        or state.is_relationship_load
        or state.execution_options.get("skip_scope", False)
    ):
        return
    actor: Actor | None = state.session.info.get("actor")
    if actor is not None and actor.is_system:
        return
    prefix = actor.area_path if actor is not None else None
    role = actor.role if actor is not None else None
    state.statement = state.statement.options(
        *_jurisdiction_options(
            prefix or None,
            role,
            tuple(_mapped_subclasses(RoleRestricted)),
            tuple(_mapped_subclasses(RowRoleRestricted)),
        )
    )


@functools.lru_cache(maxsize=1024)
def _jurisdiction_options(
    prefix: str | None,
    role: str | None,
    role_restricted: tuple[type, ...],
    row_role_restricted: tuple[type, ...],
) -> tuple[Any, ...]:
    """The hook's options for an actor of ``role`` whose subtree is ``prefix`` (none: no
    actor, or one without an area). They depend on nothing else (the models restricted by
    role are part of the key), so they are built once per actor's kind, not per statement."""
    if not prefix:
        options = [
            with_loader_criteria(AreaScoped, false(), include_aliases=True),
            with_loader_criteria(Area, false(), include_aliases=True),
        ]
    else:
        # Paths hold only digits and slashes, so a prefix LIKE needs no escaping.
        options = [
            with_loader_criteria(
                AreaScoped,
                # The bare table: through the mapped Area, the Area criterion below would
                # add the same LIKE again, and PostgreSQL, taking the two as independent,
                # would expect a town of 26 areas to hold 3.
                lambda cls: cls.area_id.in_(
                    select(_AREAS.c.id).where(_AREAS.c.path.startswith(prefix)).scalar_subquery()
                ),
                include_aliases=True,
            ),
            with_loader_criteria(
                Area,
                lambda cls: cls.path.startswith(prefix),
                include_aliases=True,
            ),
        ]
    for model in role_restricted:
        if role not in model.visible_to_roles:
            options.append(with_loader_criteria(model, false(), include_aliases=True))
    for model in row_role_restricted:
        options.append(
            with_loader_criteria(model, model.rows_readable_by(role), include_aliases=True)
        )
    return tuple(options)


def in_jurisdiction(area_id_column: ColumnElement[int]) -> ColumnElement[bool]:
    """The current actor's jurisdiction on a column of area ids that is not a mapped
    ``AreaScoped`` row's (a copy of its parent's area: ``household_members.area_id``), as
    the hook above writes it: an area in the actor's subtree; everything for the system;
    nothing with no actor."""
    actor = current_actor()
    if actor is not None and actor.is_system:
        return true()
    if actor is None or not actor.area_path:
        return false()
    return area_id_column.in_(
        select(_AREAS.c.id).where(_AREAS.c.path.startswith(actor.area_path)).scalar_subquery()
    )


def visible_area(area_id: int, field: str = "area_id") -> Area:
    """The area with this id if the current actor may use it; else a 422 on ``field``.

    Used on writes: naming an area outside one's jurisdiction reads as naming one that
    does not exist.
    """
    area = session.scalar(select(Area).where(Area.id == area_id))
    if area is None:
        raise Invalid({field: ["No such area."]})
    return area


def subtree(area: Area) -> Select:
    """Ids of ``area`` and every area below it (from the bare table, like the jurisdiction
    filter, so the Area criterion is not added a second time)."""
    return select(_AREAS.c.id).where(_AREAS.c.path.startswith(area.path))


def in_area(
    area_id_column: ColumnElement[int], area_id: int, field: str = "area_id"
) -> ColumnElement[bool]:
    """The filter of a list by ``?area_id=``: ``area_id_column`` lies in that area's
    subtree. An area the caller may not see is a 422 on ``field`` (``visible_area``)."""
    return area_id_column.in_(subtree(visible_area(area_id, field)))
