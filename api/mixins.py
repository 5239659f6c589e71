"""Marker mixins that the cross-cutting session listeners act on.

- ``AreaScoped``: rows belong to an area (``area_id``); jurisdiction filters them
  (``api.areas.scope``). Every table addressable by id in the API is area-scoped.
- ``RoleRestricted``: only ``visible_to_roles`` may read the table at all.
- ``RowRoleRestricted``: each row says which roles may read it (a task's realm, a photo's
  owner kind); ``rows_readable_by(role)`` is the criterion that role's selects get.
- ``Audited``: inserts, updates and deletes are written to the audit log
  (``api.audit.services``); ``audit_exclude`` names columns never copied there, and
  ``audit_secret`` those of them whose change is logged as ``{"changed": true}``, and
  ``audit_collections`` maps one-to-many relationships (a household's members) to the
  field under which the parent's entry shows their rows' old and new contents.
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import ColumnElement, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column


class AreaScoped:
    # Declared here so that the jurisdiction criteria can name it on the mixin; a model
    # may redeclare it (nullable, say).
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)


class RoleRestricted:
    visible_to_roles: ClassVar[frozenset[str]] = frozenset()


class RowRoleRestricted:
    @classmethod
    def rows_readable_by(cls, role: str | None) -> ColumnElement[bool]:
        """The rows a caller of ``role`` (None: no caller) may read, as a WHERE criterion
        on this model's columns (aliases are adapted by the ORM)."""
        raise NotImplementedError


class Audited:
    audit_exclude: ClassVar[frozenset[str]] = frozenset()
    audit_secret: ClassVar[frozenset[str]] = frozenset()
    # Child rows written through their parent (replaced as a list, reached only through
    # it) are audited as a field of the parent's entry, so that one household's history
    # is one record's history.
    audit_collections: ClassVar[dict[str, str]] = {}
