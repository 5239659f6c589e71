"""Bounding boxes for map queries: ``bbox=minlon,minlat,maxlon,maxlat`` in, a WHERE clause
answered by the spatial index out, on both back ends."""

from __future__ import annotations

import math
from typing import Any

from marshmallow import ValidationError, fields
from sqlalchemy import ColumnElement, Table, column, func, select, table

from api.db import session

BBox = tuple[float, float, float, float]


def parse_bbox(text: str) -> BBox:
    parts = text.split(",")
    if len(parts) != 4:
        raise ValidationError("Four numbers: minlon,minlat,maxlon,maxlat.")
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError as exc:
        raise ValidationError("Four numbers: minlon,minlat,maxlon,maxlat.") from exc
    if not all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat)):
        raise ValidationError("Coordinates must be finite numbers.")
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise ValidationError("Longitudes lie within [-180, 180] (longitude comes first).")
    if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise ValidationError("Latitudes lie within [-90, 90] (longitude comes first).")
    if min_lon > max_lon or min_lat > max_lat:
        raise ValidationError("The minimum corner comes first: minlon,minlat,maxlon,maxlat.")
    return min_lon, min_lat, max_lon, max_lat


class BBoxField(fields.String):
    """A query parameter ``minlon,minlat,maxlon,maxlat`` (WGS-84), loaded as a tuple."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {"description": "minlon,minlat,maxlon,maxlat (WGS-84)"})
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> BBox:
        return parse_bbox(super()._deserialize(value, attr, data, **kwargs))


def columns_of(rows: type | Table) -> Any:
    """What names ``rows``' columns: a mapped class, or a bare ``Table`` (a look-up that
    must not get the jurisdiction filter the ORM adds to every mapped class)."""
    return rows.c if isinstance(rows, Table) else rows


def in_bbox(rows: type | Table, geometry_attr: str, bbox: BBox) -> ColumnElement[bool]:
    """Rows (of a mapped class or a table) whose geometry's box meets ``bbox``, through
    the spatial index.

    PostGIS: ``&&`` against an envelope uses the GiST index. SpatiaLite: the geometry
    column's R*Tree (``idx_<table>_<column>``, whose ``pkid`` is the row id) is queried
    directly; a plain ``MbrIntersects`` would scan the table.
    """
    min_lon, min_lat, max_lon, max_lat = bbox
    columns = columns_of(rows)
    geometry = getattr(columns, geometry_attr)
    if session.get_bind().dialect.name == "postgresql":
        return geometry.op("&&")(func.ST_MakeEnvelope(min_lon, min_lat, max_lon, max_lat, 4326))
    name = rows.name if isinstance(rows, Table) else rows.__table__.name  # type: ignore[attr-defined]
    rtree = table(
        f"idx_{name}_{geometry_attr}",
        column("pkid"),
        column("xmin"),
        column("xmax"),
        column("ymin"),
        column("ymax"),
    )
    return columns.id.in_(
        select(rtree.c.pkid).where(
            rtree.c.xmin <= max_lon,
            rtree.c.xmax >= min_lon,
            rtree.c.ymin <= max_lat,
            rtree.c.ymax >= min_lat,
        )
    )
