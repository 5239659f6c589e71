"""Form definitions for the field app, generated from the schemas the server validates with.

``GET /api/v1/forms/visit`` and ``/forms/household`` describe each field a phone fills in:
its type, whether it is required or may be null, its choices and limits (lengths, ranges,
list sizes), read from the marshmallow field objects and their validators, with Chinese
labels. So a form rule changes in one place (the schema) and the phone follows. The labels
are the only hand-written part; ``tests/field/test_forms.py`` fails if a field or choice
has none. ``version`` is a hash of the definition (also the ETag): the phone caches the
form and asks again with If-None-Match.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from marshmallow import Schema, fields, validate

from api.common.county_time import local_today
from api.common.fields import AwareDateTime, BirthYear, GeoJSONPoint, IdNumber
from api.common.labels import VOCABULARIES
from api.rescue.patrols.schemas import EncounterSchema
from api.visits.models import CHANNELS
from api.visits.schemas import LOCATED_CHANNELS, HouseholdSchema, VisitInSchema

LABELS: dict[str, str] = {
    # The visit.
    "client_uuid": "记录编号",
    "household_id": "走访户",
    "new_household": "新登记户",
    "channel": "走访方式",
    "visited_at": "走访时间",
    "location": "位置",
    "crs": "坐标系",
    "accuracy_m": "定位精度（米）",
    "findings": "走访发现",
    "household_size": "家庭人口",
    "monthly_income_total": "家庭月总收入（元）",
    "rigid_expenses_monthly": "每月刚性支出（元）",
    "circumstances": "家庭困难情况",
    "needs": "需求",
    "notes": "备注",
    # The household.
    "area_id": "所在村（社区）",
    "address": "住址",
    "urban_rural": "城乡类别",
    "head_name": "户主姓名",
    "head_id_number": "户主身份证号",
    "members": "家庭成员",
    "name": "姓名",
    "relation": "与户主关系",
    "sex": "性别",
    "birth_date": "出生日期",
    "birth_year": "出生年份",
    "id_number": "身份证号",
    "health": "健康状况",
    "work_status": "就业状况",
    "focus_groups": "重点人群",
    "programmes": "已享受救助",
    # A person met on patrol.
    "occurred_at": "遇见时间",
    "approximate_age": "大约年龄",
    "clothing": "衣着",
    "language": "语言或方言",
    "condition": "身体状况",
    "gave_name": "愿意告知姓名",
    "vulnerable": "困难人员",
    "vulnerability_kinds": "困难情形",
    "aid": "发放物资",
    "kind": "物资",
    "quantity": "数量",
    "outcome": "处置结果",
    "street_person_id": "已建档的流浪人员",
    "new_street_person": "新建流浪人员档案",
    "alias": "称呼",
    "description": "外貌特征",
}

# A choice's label: the one table every page and export reads (api.common.labels).
CHOICE_LABELS: dict[str, str] = {
    code: text
    for vocabulary in (
        "channel",
        "crs",
        "urban_rural",
        "sex",
        "relation",
        "focus_group",
        "programme",
        "aid_kind",
        "encounter_outcome",
        "vulnerability_kind",
    )
    for code, text in VOCABULARIES[vocabulary].items()
}

# Field classes by the type a phone's form uses (most specific first).
_TYPES: tuple[tuple[type[fields.Field], str], ...] = (
    (IdNumber, "id_number"),
    (GeoJSONPoint, "point"),
    (AwareDateTime, "datetime"),
    (fields.UUID, "uuid"),
    (fields.Integer, "integer"),
    (fields.Float, "number"),
    (fields.Boolean, "boolean"),
    (fields.Date, "date"),
    (fields.String, "string"),
    (fields.List, "list"),
    (fields.Nested, "object"),
)


def _type(field: fields.Field) -> str:
    for cls, name in _TYPES:
        if isinstance(field, cls):
            return name
    raise TypeError(f"no form type for {type(field).__name__}")


def _limits(field: fields.Field, is_list: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    validators = list(field.validators)
    for rule in validators:
        if isinstance(rule, validate.OneOf):
            out["choices"] = [
                {"value": value, "label": CHOICE_LABELS.get(value)} for value in rule.choices
            ]
        elif isinstance(rule, validate.Length):
            prefix = "items" if is_list else "length"
            if rule.min is not None:
                out[f"min_{prefix}"] = rule.min
            if rule.max is not None:
                out[f"max_{prefix}"] = rule.max
        elif isinstance(rule, validate.Range):
            if rule.min is not None:
                out["minimum"] = rule.min
                out["minimum_inclusive"] = rule.min_inclusive
            if rule.max is not None:
                out["maximum"] = rule.max
                out["maximum_inclusive"] = rule.max_inclusive
    if isinstance(field, BirthYear):
        out["maximum"] = local_today().year  # checked per load (api.common.fields)
        out["maximum_inclusive"] = True
    return out


def describe_field(name: str, field: fields.Field) -> dict[str, Any]:
    kind = _type(field)
    out: dict[str, Any] = {
        "name": name,
        "label": LABELS.get(name),
        "type": kind,
        "required": field.required,
        "nullable": field.allow_none,
    }
    if isinstance(field.load_default, str | int | float | bool):
        out["default"] = field.load_default
    description = field.metadata.get("description")
    if description:
        out["description"] = description
    out.update(_limits(field, is_list=kind == "list"))
    if isinstance(field, fields.List):
        inner = field.inner
        items = describe_field(name, inner)
        del items["name"], items["label"]
        out["items"] = items
    elif kind == "object":
        out["fields"] = describe_schema(field.schema)
    return out


def describe_schema(schema: Schema) -> list[dict[str, Any]]:
    """The fields a client sends (load fields), in the schema's order."""
    return [
        describe_field(field.data_key or name, field)
        for name, field in schema.fields.items()
        if not field.dump_only
    ]


def _visit_rules() -> list[dict[str, Any]]:
    # The cross-field rules of VisitInSchema._rules, from the same constants.
    others = [channel for channel in CHANNELS if channel not in LOCATED_CHANNELS]
    located = ["location", "accuracy_m"]
    return [
        {"rule": "exactly_one_of", "fields": ["household_id", "new_household"]},
        {"rule": "required_when", "when": {"channel": list(LOCATED_CHANNELS)}, "fields": located},
        {"rule": "absent_when", "when": {"channel": others}, "fields": located},
    ]


def _finish(form: str, body: dict[str, Any]) -> dict[str, Any]:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    version = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    return {"form": form, "version": version, **body}


def visit_form() -> dict[str, Any]:
    return _finish("visit", {"fields": describe_schema(VisitInSchema()), "rules": _visit_rules()})


def household_form() -> dict[str, Any]:
    return _finish("household", {"fields": describe_schema(HouseholdSchema()), "rules": []})


def encounter_form() -> dict[str, Any]:
    # The cross-field rules of the encounter schemas (api/rescue/patrols/schemas.py).
    rules = [
        {"rule": "at_most_one_of", "fields": ["street_person_id", "new_street_person"]},
        {"rule": "absent_unless", "when": {"gave_name": [True]}, "fields": ["name"]},
        {"rule": "distinct_items", "fields": ["aid"], "by": "kind"},
    ]
    return _finish("encounter", {"fields": describe_schema(EncounterSchema()), "rules": rules})


FORMS = {"visit": visit_form, "household": household_form, "encounter": encounter_form}
