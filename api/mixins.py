"""Marker mixins that the cross-cutting session listeners act on.

- ``AreaScoped``: rows belong to an area (``area_id``); jurisdiction filters them
  (``api.areas.scope``). Every table addressable by id in the API is area-scoped.
- ``RoleRestricted``: only ``visible_to_roles`` may read the table at all.
- ``Audited``: inserts, updates and deletes are written to the audit log
  (``api.audit.services``); ``audit_exclude`` names columns never copied there, and
  ``audit_secret`` those of them whose change is logged as ``{"changed": true}``.
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column


class AreaScoped:
    # Declared here so that the jurisdiction criteria can name it on the mixin; a model
    # may redeclare it (nullable, say).
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)


class RoleRestricted:
    visible_to_roles: ClassVar[frozenset[str]] = frozenset()


class Audited:
    audit_exclude: ClassVar[frozenset[str]] = frozenset()
    audit_secret: ClassVar[frozenset[str]] = frozenset()
