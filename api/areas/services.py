"""Areas: creating nodes of the tree and importing them from GeoJSON."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Select, select

from api.areas.models import AREA_LEVELS, Area
from api.areas.scope import current_actor
from api.common.arguments import check_json_depth, checked_load, unstorable_error
from api.common.fields import GeoJSONPolygonal, as_multipolygon, to_db_geometry
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


class _FeaturePropertiesSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{6,12}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    level = fields.String(required=True, validate=validate.OneOf(AREA_LEVELS))
    parent_code = fields.String(load_default=None, validate=validate.Regexp(r"^\d{6,12}$"))

    @pre_load
    def _codes_as_text(self, data: Any, **_kwargs: Any) -> Any:
        # Files made by GIS tools often carry codes as numbers.
        if isinstance(data, dict):
            for key in ("code", "parent_code"):
                value = data.get(key)
                if isinstance(value, int) and not isinstance(value, bool):
                    data = {**data, key: str(value)}
        return data


class _FeatureSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # "type", "id", "bbox" and the like

    properties = fields.Nested(_FeaturePropertiesSchema, required=True)
    geometry = GeoJSONPolygonal(load_default=None, allow_none=True)


def read_geojson(data: bytes) -> dict[str, Any]:
    """A GeoJSON document from a file's bytes: UTF-8 (a BOM allowed), strict JSON (no
    NaN), nested no deeper than JSON bodies may be; else a 422 on ``file``."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid({"file": [f"Not UTF-8 text (byte {exc.start})."]}) from exc
    check_json_depth(text)  # 400, like a JSON body nested too deep
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:
        raise Invalid({"file": [f"Not valid JSON: {exc}"]}) from exc
    if not isinstance(document, dict):
        raise Invalid({"file": ["Expected a GeoJSON FeatureCollection."]})
    return document


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number in JSON")


def import_feature_collection(document: dict[str, Any]) -> tuple[list[Area], list[Area]]:
    """Create or update areas from a GeoJSON FeatureCollection, all or nothing (the caller
    rolls back on an error): (created, updated).

    Each feature's properties carry ``code``, ``name``, ``level`` and ``parent_code``
    (absent for the county). Features may come in any order; parents are placed first.
    A feature whose code exists updates that area's name and boundary. A bad feature is
    a 422 naming it by its index (``features.3.geometry``). A signed-in admin updates and
    adds areas inside their own subtree only; a new county is the command line's
    (the SYSTEM actor).
    """
    if document.get("type") != "FeatureCollection":
        raise Invalid({"file": ["Expected a GeoJSON FeatureCollection."]})
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise Invalid({"features": ["Expected a non-empty list of features."]})
    loaded: dict[str, tuple[int, dict[str, Any]]] = {}
    for index, feature in enumerate(features):
        try:
            error = unstorable_error(feature)
            if error:
                raise error
            values = checked_load(_FeatureSchema(), feature)
        except ValidationError as exc:
            raise Invalid({f"features.{index}": exc.messages}) from exc
        code = values["properties"]["code"]
        if code in loaded:
            raise Invalid({f"features.{index}.properties.code": ["The code appears twice."]})
        loaded[code] = (index, values)

    def level_rank(code: str) -> int:
        return AREA_LEVELS.index(loaded[code][1]["properties"]["level"])

    order = sorted(loaded, key=level_rank)
    actor = current_actor()
    created: list[Area] = []
    updated: list[Area] = []
    for code in order:
        index, values = loaded[code]
        props, boundary = values["properties"], values["geometry"]
        where = f"features.{index}.properties"
        existing = session.scalar(select(Area).where(Area.code == code))
        if existing is None and _code_taken(code):
            raise Invalid({f"{where}.code": ["An area outside your jurisdiction has this code."]})
        if existing is not None:
            if existing.level != props["level"]:
                raise Invalid({f"{where}.level": [f"The area {code} is a {existing.level}."]})
            # An import renames and redraws; it never moves an area (its records, users
            # and jobs follow the tree), so a parent other than the present one is refused.
            present = session.get(Area, existing.parent_id) if existing.parent_id else None
            present_code = present.code if present is not None else None
            if props["parent_code"] and props["parent_code"] != present_code:
                raise Invalid(
                    {
                        f"{where}.parent_code": [
                            f"The area {code} lies under {present_code or 'no other area'}; "
                            "an import does not move areas."
                        ]
                    }
                )
            existing.name = props["name"]
            existing.boundary = to_db_geometry(as_multipolygon(boundary))
            updated.append(existing)
            continue
        parent = None
        if props["parent_code"]:
            parent = session.scalar(select(Area).where(Area.code == props["parent_code"]))
            if parent is None:
                raise Invalid({f"{where}.parent_code": ["Unknown parent code."]})
        elif actor is None or not actor.is_system:
            raise Invalid({f"{where}.parent_code": ["Required: a new county is made by the CLI."]})
        try:
            created.append(create_area(code, props["name"], props["level"], parent, boundary))
        except Invalid as exc:
            raise Invalid({f"{where}.{key}": value for key, value in exc.errors.items()}) from exc
    session.flush()
    return created, updated


def _code_taken(code: str) -> bool:
    # Past the scope on purpose: a code is unique in the whole tree; only "taken" is told.
    stmt = select(Area.id).where(Area.code == code).execution_options(skip_scope=True)
    return session.scalar(stmt) is not None


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
