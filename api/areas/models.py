from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, utcnow
from api.mixins import Audited

AREA_LEVELS = ("county", "town", "village")


class Area(Audited, Base):
    """A node of the administrative tree.

    ``path`` is the chain of ids from the root, ``/1/4/23/``: a subtree is a prefix match,
    which is what jurisdiction scoping runs on every query.
    """

    __tablename__ = "areas"
    __table_args__ = (
        Index("ix_areas_path_prefix", "path", postgresql_ops={"path": "text_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), default="")
    boundary = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Area | None] = relationship(remote_side=[id])

    @property
    def area_id(self) -> int:
        return self.id
