"""Areas: creating nodes of the tree and importing them from GeoJSON."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from marshmallow import ValidationError
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Select, select

from api.areas.models import AREA_LEVELS, Area
from api.common.fields import as_multipolygon, parse_polygonal, to_db_geometry
from api.db import session
from api.errors import Conflict, Invalid, NotFound

_CHILD_LEVEL = {"county": "town", "town": "village"}


def create_area(
    code: str,
    name: str,
    level: str,
    parent: Area | None,
    boundary: BaseGeometry | None = None,
) -> Area:
    if level not in AREA_LEVELS:
        raise Invalid({"level": [f"Must be one of: {', '.join(AREA_LEVELS)}."]})
    if parent is None and level != "county":
        raise Invalid({"parent_id": ["Only a county has no parent."]})
    if parent is not None and _CHILD_LEVEL.get(parent.level) != level:
        raise Invalid(
            {"level": [f"A {parent.level} holds areas of level {_CHILD_LEVEL.get(parent.level)}."]}
        )
    if session.scalar(select(Area.id).where(Area.code == code).execution_options(skip_scope=True)):
        raise Conflict(f"An area with code {code} exists already.")
    area = Area(
        code=code,
        name=name,
        level=level,
        parent=parent,
        boundary=to_db_geometry(as_multipolygon(boundary)),
    )
    session.add(area)
    session.flush()
    area.path = f"{parent.path if parent else '/'}{area.id}/"
    session.flush()
    return area


def get_area(area_id: int) -> Area:
    area = session.scalar(select(Area).where(Area.id == area_id))
    if area is None:
        raise NotFound("No such area.")
    return area


def areas_query(
    parent_id: int | None = None, level: str | None = None, code: str | None = None
) -> Select:
    stmt = select(Area).order_by(Area.path)
    if parent_id is not None:
        stmt = stmt.where(Area.parent_id == parent_id)
    if level:
        stmt = stmt.where(Area.level == level)
    if code:
        stmt = stmt.where(Area.code == code)
    return stmt


def import_feature_collection(path: Path) -> list[Area]:
    """Create or update areas from a GeoJSON FeatureCollection.

    Each feature's properties carry ``code``, ``name``, ``level`` and ``parent_code``
    (absent for the county). Features may come in any order; parents are placed first.
    A feature whose code exists updates that area's name and boundary.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Invalid({"file": [f"Cannot read GeoJSON: {exc}"]}) from exc
    if document.get("type") != "FeatureCollection":
        raise Invalid({"file": ["Expected a GeoJSON FeatureCollection."]})
    features: list[dict[str, Any]] = document.get("features") or []
    by_code: dict[str, dict[str, Any]] = {}
    for index, feature in enumerate(features):
        props = feature.get("properties") or {}
        if not props.get("code") or not props.get("name") or props.get("level") not in AREA_LEVELS:
            raise Invalid({f"features.{index}.properties": ["code, name and level are required."]})
        by_code[str(props["code"])] = feature
    order = sorted(
        by_code, key=lambda code: AREA_LEVELS.index(by_code[code]["properties"]["level"])
    )
    imported = []
    for code in order:
        feature = by_code[code]
        props = feature["properties"]
        boundary = None
        if feature.get("geometry"):
            try:
                boundary = parse_polygonal(feature["geometry"])
            except ValidationError as exc:
                raise Invalid({f"features.{code}.geometry": exc.messages}) from exc
        existing = session.scalar(select(Area).where(Area.code == code))
        if existing is not None:
            existing.name = props["name"]
            existing.boundary = to_db_geometry(boundary)
            imported.append(existing)
            continue
        parent = None
        if props.get("parent_code"):
            parent = session.scalar(select(Area).where(Area.code == str(props["parent_code"])))
            if parent is None:
                raise Invalid({f"features.{code}.properties.parent_code": ["Unknown parent code."]})
        imported.append(create_area(code, props["name"], props["level"], parent, boundary))
    session.flush()
    return imported


def common_ancestor(area_ids: Iterable[int]) -> int | None:
    """The lowest area containing every one of ``area_ids`` (itself, for one); None for
    none, or for areas under different roots.

    Used to address work about several records (a job, a duplicate review) to whoever sees
    them all. It reads only the areas' paths, past the caller's scope, and answers an id:
    the caller learns nothing it could not infer from the records it already holds.
    """
    ids = set(area_ids)
    if len(ids) <= 1:
        return next(iter(ids), None)
    paths = session.scalars(
        select(Area.path).where(Area.id.in_(ids)).execution_options(skip_scope=True)
    ).all()
    if len(paths) < len(ids):
        return None
    chains = [path.strip("/").split("/") for path in paths]
    common = None
    for parts in zip(*chains, strict=False):
        if len(set(parts)) > 1:
            break
        common = int(parts[0])
    return common


def root_area(area_id: int | None) -> Area | None:
    """The area with this id if it is a root of the tree (the county), else None: records
    with no area (system-wide jobs, say) are shown to a root's users only."""
    if area_id is None:
        return None
    return session.scalar(select(Area).where(Area.id == area_id, Area.parent_id.is_(None)))
