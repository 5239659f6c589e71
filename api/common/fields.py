"""Marshmallow fields shared by the domains.

GeoJSON geometries are ``Nested`` schemas so the OpenAPI spec shows their real shape
(``type`` and ``coordinates``), not a bare object. On load they become shapely geometries;
on dump they accept shapely geometries or GeoAlchemy2 elements.
"""

from __future__ import annotations

import math
from contextvars import ContextVar
from datetime import datetime
from typing import Any

import shapely
from geoalchemy2.elements import WKBElement, WKTElement
from geoalchemy2.shape import from_shape, to_shape
from marshmallow import Schema, ValidationError, fields, validate
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from api.common.county_time import local_today
from api.common.idnumber import id_number_problem, mask_id_number, normalize_id_number

SRID = 4326

# Set by a service that has decided (and audited) that this response may carry ID numbers
# in full; every other response masks them.
reveal_id_numbers: ContextVar[bool] = ContextVar("reveal_id_numbers", default=False)


def _check_position(position: Any) -> list[float]:
    if not isinstance(position, (list, tuple)) or len(position) not in (2, 3):
        raise ValidationError("A position is [longitude, latitude].")
    try:
        lon, lat = float(position[0]), float(position[1])
    except (TypeError, ValueError) as exc:
        raise ValidationError("Coordinates must be numbers.") from exc
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValidationError("Coordinates must be finite numbers.")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError(
            "Longitude must be within [-180, 180] and latitude within [-90, 90] "
            "(GeoJSON puts longitude first)."
        )
    return [lon, lat]


class PointSchema(Schema):
    type = fields.String(required=True, validate=validate.Equal("Point"))
    coordinates = fields.List(
        fields.Float(allow_nan=False),
        required=True,
        validate=validate.Length(min=2, max=3),
        metadata={"description": "[longitude, latitude], WGS-84"},
    )


class PolygonalSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["Polygon", "MultiPolygon"]))
    coordinates = fields.List(
        fields.Raw(),
        required=True,
        metadata={"description": "GeoJSON Polygon or MultiPolygon rings, longitude first"},
    )


def geometry_to_geojson(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, (WKBElement, WKTElement)):
        value = to_shape(value)
    if isinstance(value, BaseGeometry):
        return mapping(value)
    return value


def as_multipolygon(geometry: BaseGeometry | None) -> MultiPolygon | None:
    if isinstance(geometry, Polygon):
        return MultiPolygon([geometry])
    return geometry


def to_db_geometry(geometry: BaseGeometry | None) -> WKBElement | WKTElement | None:
    """A shapely geometry as a column value (EWKT works on PostGIS and SpatiaLite)."""
    if geometry is None:
        return None
    return from_shape(geometry, srid=SRID)


def to_ewkb(geometry: BaseGeometry, hex: bool = False) -> bytes | str:
    """A shapely geometry as PostGIS extended WKB with the project's SRID: bytes, or hex
    text (what a geometry column reads from text). For statements that send geometries
    in bulk or large ones, where the column's own binding costs more than the insert."""
    return shapely.to_wkb(shapely.set_srid(geometry, SRID), hex=hex, include_srid=True)


class _GeoJSONField(fields.Nested):
    def _deserialize(self, value: Any, attr: Any, data: Any, partial: Any = None, **kwargs: Any):
        # A geometry is one value: a partial update (PATCH) replaces it whole, so its parts
        # stay required there too (else ``{}`` would reach the coordinates check as a 500).
        return super()._deserialize(value, attr, data, partial=False, **kwargs)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return geometry_to_geojson(value)


class GeoJSONPoint(_GeoJSONField):
    """A GeoJSON Point, loaded as a shapely ``Point``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(PointSchema, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Point:
        loaded = super()._deserialize(value, attr, data, **kwargs)
        lon, lat = _check_position(loaded["coordinates"])
        return Point(lon, lat)


class GeoJSONPolygonal(_GeoJSONField):
    """A GeoJSON Polygon or MultiPolygon, loaded as a valid shapely ``MultiPolygon``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(PolygonalSchema, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> MultiPolygon:
        loaded = super()._deserialize(value, attr, data, **kwargs)
        return parse_polygonal(loaded)


def parse_polygonal(geojson: dict[str, Any]) -> MultiPolygon:
    try:
        geometry = shape(geojson)
    except Exception as exc:  # shapely raises several types for malformed rings
        raise ValidationError("Not a valid GeoJSON Polygon or MultiPolygon.") from exc
    parts = [geometry] if isinstance(geometry, Polygon) else list(geometry.geoms)
    # Every ring's positions are checked, holes too; a position may carry an altitude
    # (GeoJSON allows it), which is dropped: the area columns are two-dimensional.
    polygons = [
        Polygon(
            [_check_position(list(xy)) for xy in part.exterior.coords],
            [[_check_position(list(xy)) for xy in ring.coords] for ring in part.interiors],
        )
        for part in parts
    ]
    result = MultiPolygon(polygons)
    if result.is_empty or not result.is_valid:
        raise ValidationError("The boundary is empty or self-intersecting.")
    return result


class AwareDateTime(fields.AwareDateTime):
    """RFC 3339 with an offset; a time without one is refused rather than guessed."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "iso")
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError as exc:
            raise ValidationError(
                "Not an RFC 3339 time with offset, e.g. 2026-03-14T10:21:00+08:00."
            ) from exc


class BirthYear(fields.Integer):
    """A year of birth (given or estimated): from 1900 to the county's current year.

    The upper bound is read per load: fixed at import, it would refuse babies born after
    New Year until the service restarts."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Range(min=1900))
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        year = super()._deserialize(value, attr, data, **kwargs)
        if year > local_today().year:
            raise ValidationError("Must not be a future year.")
        return year


class IdNumber(fields.String):
    """A resident ID number: validated on load, masked on dump unless revealed."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "metadata",
            {"description": "18-character resident ID number; returned masked by default"},
        )
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = normalize_id_number(super()._deserialize(value, attr, data, **kwargs))
        problem = id_number_problem(text)
        if problem:
            raise ValidationError(problem)
        return text

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return value if reveal_id_numbers.get() else mask_id_number(value)
