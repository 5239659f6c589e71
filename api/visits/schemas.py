from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)
from shapely.geometry import Point

from api.common.arguments import INT_MAX, range_problem
from api.common.county_time import local_today
from api.common.fields import (
    AwareDateTime,
    BirthYear,
    GeoJSONPoint,
    IdNumber,
    geometry_to_geojson,
    reveal_id_numbers,
)
from api.common.idnumber import mask_id_number
from api.common.labels import label
from api.visits.crs import SUPPORTED as SUPPORTED_CRS
from api.visits.models import (
    CHANNELS,
    FOCUS_GROUPS,
    PROGRAMMES,
    REVIEW_STATES,
    URBAN_RURAL,
)
from api.visits.people import (
    HEAD,
    RELATION_LABELS,
    RELATIONS,
    disagreements,
    id_number_facts,
    relation_code,
    with_id_number_facts,
)

# The channels whose visit carries its GPS point and accuracy (``location``, ``accuracy_m``);
# the others carry neither. The phone's form reads this rule from GET /forms/visit.
LOCATED_CHANNELS = ("in_person",)
MAX_MONEY = 100_000_000  # a month's figure beyond this is a typing error, not a household
_text = validate.Length(max=200)


class Relation(fields.String):
    """A relation to the head: a code of ``RELATIONS``, given as the code, its Chinese
    label or a word forms use (妻子, 长子…); loaded as the code."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.OneOf(RELATIONS), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        word = super()._deserialize(value, attr, data, **kwargs)
        code = relation_code(word)
        if code is None:
            choices = ", ".join(f"{label} ({code})" for code, label in RELATION_LABELS.items())
            raise ValidationError(f"Unknown relation; one of: {choices}.")
        return code


class MemberSchema(Schema):
    """A member. With a valid ``id_number``, ``sex``, ``birth_date`` and ``birth_year``
    are read from it: typed values may be left out, and one that disagrees is refused
    (422 naming the field)."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    relation = Relation(
        required=True,
        metadata={
            "description": "relation to the head: "
            + ", ".join(f"{code} ({label})" for code, label in RELATION_LABELS.items())
            + "; the Chinese label or a common word (妻子, 长子…) is accepted and stored as "
            "its code. Exactly one member of a household is the head."
        },
    )
    relation_label = fields.Function(
        lambda member: label("relation", member.relation),
        dump_only=True,
        metadata={"type": "string", "description": "the relation's Chinese label (户主, 配偶…)"},
    )
    sex = fields.String(allow_none=True, validate=validate.OneOf(["male", "female"]))
    birth_date = fields.Date(allow_none=True)
    birth_year = BirthYear(allow_none=True)
    id_number = IdNumber(allow_none=True)
    health = fields.String(allow_none=True, validate=_text)
    work_status = fields.String(allow_none=True, validate=validate.Length(max=100))

    @validates_schema
    def _agrees(self, data: dict[str, Any], **_kwargs: Any) -> None:
        errors = disagreements(data, id_number_facts(data.get("id_number")))
        born, year = data.get("birth_date"), data.get("birth_year")
        if born is not None and born > local_today():
            errors["birth_date"] = ["Must not be a future date."]
        elif born is not None and year is not None and born.year != year and not errors:
            errors["birth_year"] = [f"Disagrees with birth_date ({born.year})."]
        if errors:
            raise ValidationError(errors)

    @post_load
    def _facts(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        return with_id_number_facts(data)


OUTSIDE_AREA_NOTE = "A possible duplicate exists outside your area and the county has been told."


def _outside_area(flag: Any) -> bool:
    return not {flag.household_id, flag.other_household_id} <= flag.visible_ids


def _if_visible(attribute: str) -> fields.Function:
    def shown(flag: Any) -> int | None:
        value = getattr(flag, attribute)
        return value if value in flag.visible_ids else None

    return fields.Function(
        shown,
        allow_none=True,
        dump_only=True,
        metadata={
            "type": "integer",
            "description": "null when the household lies outside the caller's area",
        },
    )


class DuplicateFlagSchema(Schema):
    """A flag as its reader may see it: a household the reader cannot see is not named
    (its id is null); the reader learns only that a possible duplicate exists outside
    their area, the same answer whichever area that is."""

    id = fields.Integer(dump_only=True)
    household_id = _if_visible("household_id")
    other_household_id = _if_visible("other_household_id")
    reason = fields.String(dump_only=True)
    outside_area = fields.Function(
        _outside_area,
        dump_only=True,
        metadata={"type": "boolean", "description": "a household is outside the caller's area"},
    )
    note = fields.Function(
        lambda flag: OUTSIDE_AREA_NOTE if _outside_area(flag) else None,
        allow_none=True,
        dump_only=True,
        metadata={"type": "string"},
    )
    created_at = AwareDateTime(dump_only=True)


class HouseholdSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.Integer(dump_only=True)
    client_uuid = fields.UUID(
        load_default=None, metadata={"description": "optional; makes the create idempotent"}
    )
    area_id = fields.Integer(required=True, metadata={"description": "the village"})
    address = fields.String(required=True, validate=validate.Length(min=1, max=255))
    location = GeoJSONPoint(allow_none=True, load_default=None)
    crs = fields.String(
        load_only=True,
        load_default="wgs84",
        validate=validate.OneOf(SUPPORTED_CRS),
        metadata={"description": "coordinate system of location (gcj02/bd09 are converted)"},
    )
    urban_rural = fields.String(required=True, validate=validate.OneOf(URBAN_RURAL))
    head_name = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "the head member's name. On input it names the head when no "
            "member is the head (a head member is then made from it and head_id_number); "
            "beside a head member it must be that member's name; on a change without "
            "members it renames the head member"
        },
    )
    head_id_number = IdNumber(
        allow_none=True,
        metadata={
            "description": "the head member's ID number (masked unless revealed); on input "
            "it is written to the head member, as head_name is"
        },
    )
    members = fields.List(
        fields.Nested(MemberSchema), load_default=list, validate=validate.Length(max=30)
    )
    focus_groups = fields.List(
        fields.String(validate=validate.OneOf(FOCUS_GROUPS)),
        load_default=list,
        validate=validate.Length(max=len(FOCUS_GROUPS)),
    )
    programmes = fields.List(
        fields.String(validate=validate.OneOf(PROGRAMMES)),
        load_default=list,
        validate=validate.Length(max=len(PROGRAMMES)),
    )
    notes = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=5000))
    duplicate_flags = fields.List(fields.Nested(DuplicateFlagSchema), dump_only=True)
    created_at = AwareDateTime(dump_only=True)
    updated_at = AwareDateTime(dump_only=True)

    @validates_schema
    def _one_head(self, data: dict[str, Any], partial: Any = None, **_kwargs: Any) -> None:
        """The head is one member: at most one member is the head, and head_name and
        head_id_number, when given beside it, agree with it. A new household names its
        head (here or as a member); a change may leave it as it is."""
        members = data.get("members") or []
        heads = [i for i, member in enumerate(members) if member.get("relation") == HEAD]
        if len(heads) > 1:
            raise ValidationError(
                {"members": ["Only one member is the head (户主); this list names several."]}
            )
        if not heads:
            if not partial and not data.get("head_name"):
                raise ValidationError(
                    {"head_name": ["Name the head: head_name, or a member whose relation is 户主."]}
                )
            return
        index, head = heads[0], members[heads[0]]
        errors: dict[str, Any] = {}
        if data.get("head_name") is not None and data["head_name"] != head["name"]:
            errors["head_name"] = [f"Disagrees with the head member (members.{index}.name)."]
        given = data.get("head_id_number")
        if given is not None:
            if head.get("id_number") not in (None, given):
                errors["head_id_number"] = [
                    f"Disagrees with the head member's ID number (members.{index}.id_number)."
                ]
            elif head.get("id_number") is None:
                typed = disagreements(head, id_number_facts(given))
                if typed:
                    errors["members"] = {index: typed}
        if errors:
            raise ValidationError(errors)

    @post_load
    def _dedupe(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        for key in ("focus_groups", "programmes"):
            if key in data:
                data[key] = sorted(set(data[key]))
        given = data.get("head_id_number")
        for member in data.get("members") or []:
            # A head member typed without its number takes head_id_number (checked above).
            if member["relation"] == HEAD and member.get("id_number") is None and given:
                member.update(with_id_number_facts({**member, "id_number": given}))
        return data


def households_json(households: Iterable[Any]) -> list[dict[str, Any]]:
    """``HouseholdSchema(many=True).dump(households)``, written out by hand for lists.

    Marshmallow looks up and calls a field object per value: ≈ 50 µs a household with its
    members and flags, most of a search's Python time. This is the same dicts, key for key
    and value for value, at a few microseconds a household;
    ``tests/visits/test_households_json.py`` compares the two over households of every
    shape (members, focus groups, programmes, masked and revealed ID numbers, nulls,
    duplicate flags seen and unseen). A field added to ``HouseholdSchema``,
    ``MemberSchema`` or ``DuplicateFlagSchema`` must be added here too: that test fails
    until it is. Flags must have been marked (``services.mark_visible``), as for the schema.
    """
    reveal = reveal_id_numbers.get()

    def id_number(value: str | None) -> str | None:
        return value if value is None or reveal else mask_id_number(value)

    def member(m: Any) -> dict[str, Any]:
        return {
            "name": m.name,
            "relation": m.relation,
            "relation_label": label("relation", m.relation),
            "sex": m.sex,
            "birth_date": None if m.birth_date is None else m.birth_date.isoformat(),
            "birth_year": m.birth_year,
            "id_number": id_number(m.id_number),
            "health": m.health,
            "work_status": m.work_status,
        }

    def flag(f: Any) -> dict[str, Any]:
        visible = f.visible_ids
        outside = not {f.household_id, f.other_household_id} <= visible
        return {
            "id": f.id,
            "household_id": f.household_id if f.household_id in visible else None,
            "other_household_id": (
                f.other_household_id if f.other_household_id in visible else None
            ),
            "reason": f.reason,
            "outside_area": outside,
            "note": OUTSIDE_AREA_NOTE if outside else None,
            "created_at": None if f.created_at is None else f.created_at.isoformat(),
        }

    return [
        {
            "id": h.id,
            "client_uuid": h.client_uuid,
            "area_id": h.area_id,
            "address": h.address,
            "location": geometry_to_geojson(h.location),
            "urban_rural": h.urban_rural,
            "head_name": h.head_name,
            "head_id_number": id_number(h.head_id_number),
            "members": [member(m) for m in h.members],
            "focus_groups": list(h.focus_groups),
            "programmes": list(h.programmes),
            "notes": h.notes,
            "duplicate_flags": [flag(f) for f in h.duplicate_flags],
            "created_at": None if h.created_at is None else h.created_at.isoformat(),
            "updated_at": None if h.updated_at is None else h.updated_at.isoformat(),
        }
        for h in households
    ]


class HouseholdUpdateSchema(HouseholdSchema):
    class Meta:
        unknown = RAISE

    client_uuid = fields.UUID(dump_only=True)


class RevealSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    reveal = fields.String(
        validate=validate.OneOf(["id_numbers"]),
        metadata={"description": "`id_numbers`: full ID numbers (supervisor, admin; audited)"},
    )


class HouseholdQuerySchema(RevealSchema):
    area_id = fields.Integer(metadata={"description": "this area and everything under it"})
    focus_group = fields.String(validate=validate.OneOf(FOCUS_GROUPS))
    programme = fields.String(validate=validate.OneOf(PROGRAMMES))
    urban_rural = fields.String(validate=validate.OneOf(URBAN_RURAL))
    q = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "part of the head's or a member's name, or a full ID number"},
    )
    not_visited_since = fields.Date(
        metadata={"description": "no visit on or after this date (county time)"}
    )
    near = fields.String(metadata={"description": "lon,lat (WGS-84)"})
    within_m = fields.Float(
        load_default=1000.0, validate=validate.Range(min=1, max=50_000), allow_nan=False
    )

    @validates_schema
    def _near(self, data: dict[str, Any], **_kwargs: Any) -> None:
        near = data.get("near")
        if near is None:
            return
        try:
            lon, lat = (float(part) for part in near.split(","))
        except ValueError as exc:
            raise ValidationError("near is lon,lat, e.g. 114.13,24.35", "near") from exc
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValidationError("lon within [-180, 180], lat within [-90, 90]", "near")

    @post_load
    def _parse_near(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        if data.get("near"):
            lon, lat = (float(part) for part in data["near"].split(","))
            data["near"] = (lon, lat)
        return data


class FindingsSchema(Schema):
    class Meta:
        unknown = RAISE

    household_size = fields.Integer(validate=validate.Range(min=1, max=50))
    monthly_income_total = fields.Float(
        allow_nan=False, validate=validate.Range(min=0, max=MAX_MONEY)
    )
    rigid_expenses_monthly = fields.Float(
        allow_nan=False, validate=validate.Range(min=0, max=MAX_MONEY)
    )
    circumstances = fields.List(
        fields.String(validate=validate.Length(min=1, max=60)), validate=validate.Length(max=30)
    )


class VisitInSchema(Schema):
    """A visit as a phone sends it."""

    class Meta:
        unknown = RAISE

    client_uuid = fields.UUID(required=True)
    household_id = fields.Integer(validate=validate.Range(min=1))
    new_household = fields.Nested(HouseholdSchema)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    visited_at = AwareDateTime(required=True, metadata={"description": "the phone's time"})
    location = GeoJSONPoint(allow_none=True)
    crs = fields.String(
        load_default="wgs84",
        validate=validate.OneOf(SUPPORTED_CRS),
        metadata={"description": "coordinate system of location (gcj02/bd09 are converted)"},
    )
    accuracy_m = fields.Float(
        allow_none=True, allow_nan=False, validate=validate.Range(min=0, max=100_000)
    )
    findings = fields.Nested(FindingsSchema, load_default=dict)
    needs = fields.List(
        fields.String(validate=validate.Length(min=1, max=60)),
        load_default=list,
        validate=validate.Length(max=30),
    )
    notes = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=5000))

    @validates_schema
    def _rules(self, data: dict[str, Any], **_kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        has_id, has_new = data.get("household_id") is not None, "new_household" in data
        if has_id == has_new:
            errors["household_id"] = ["Name exactly one of household_id and new_household."]
        channel = data.get("channel")
        if channel in LOCATED_CHANNELS:
            if data.get("location") is None:
                errors["location"] = ["An in_person visit needs its GPS point."]
            if data.get("accuracy_m") is None:
                errors["accuracy_m"] = ["An in_person visit needs the GPS accuracy in metres."]
        elif channel is not None:
            if data.get("location") is not None:
                errors["location"] = [f"A {channel} visit carries no location."]
            if data.get("accuracy_m") is not None:
                errors["accuracy_m"] = [f"A {channel} visit carries no accuracy_m."]
        if errors:
            raise ValidationError(errors)

    def load(self, data: Any, *, many: Any = None, partial: Any = None, unknown: Any = None) -> Any:
        """A plainly valid visit is read by hand (``read_plain_visit``), anything else by
        marshmallow: the same result, without marshmallow's cost per item."""
        if not (many or self.many or partial or unknown):
            plain = read_plain_visit(data)
            if plain is not None:
                return plain
        return super().load(data, many=many, partial=partial, unknown=unknown)


# --- plainly valid visits, read without marshmallow ------------------------------------
# A phone's sync sends hundreds of visits at a time, nearly all of them plainly valid;
# marshmallow spends ≈ 0.5 ms on each (nested schemas, validators, error bookkeeping).
# ``read_plain_visit`` reads such a visit by hand into exactly what ``VisitInSchema``
# would load, or answers None at the first thing it does not plainly accept (a number sent
# as a string, an unknown key, a new household, any value out of range…): the schema then
# reads the item and gives its usual answer, errors included. It only ever accepts less.

_VISIT_KEYS = frozenset(VisitInSchema._declared_fields) - {"new_household"}
_FINDINGS_KEYS = frozenset(FindingsSchema._declared_fields)
_MONEY_KEYS = ("monthly_income_total", "rigid_expenses_monthly")


def _plain_number(value: Any, low: float, high: float) -> float | None:
    # bool is a subclass of int that marshmallow refuses: hence type(), not isinstance().
    if type(value) not in (int, float) or not math.isfinite(value) or not low <= value <= high:
        return None
    return float(value)


def _plain_texts(value: Any, longest: int, most: int) -> list[str] | None:
    if type(value) is not list or len(value) > most:
        return None
    for text in value:
        if type(text) is not str or not 1 <= len(text) <= longest:
            return None
    return list(value)


def _plain_point(value: Any) -> Point | None:
    if type(value) is not dict or value.keys() != {"type", "coordinates"}:
        return None
    position = value["coordinates"]
    if value["type"] != "Point" or type(position) is not list or len(position) not in (2, 3):
        return None
    numbers = [_plain_number(part, -math.inf, math.inf) for part in position]
    if None in numbers or not (-180 <= numbers[0] <= 180 and -90 <= numbers[1] <= 90):
        return None
    return Point(numbers[0], numbers[1])


def _plain_findings(value: Any) -> dict[str, Any] | None:
    if type(value) is not dict or not value.keys() <= _FINDINGS_KEYS:
        return None
    findings: dict[str, Any] = {}
    if "household_size" in value:
        size = value["household_size"]
        if type(size) is not int or not 1 <= size <= 50:
            return None
        findings["household_size"] = size
    for key in _MONEY_KEYS:
        if key in value:
            amount = _plain_number(value[key], 0, MAX_MONEY)
            if amount is None:
                return None
            findings[key] = amount
    if "circumstances" in value:
        circumstances = _plain_texts(value["circumstances"], 60, 30)
        if circumstances is None:
            return None
        findings["circumstances"] = circumstances
    return findings


def read_plain_visit(raw: Any) -> dict[str, Any] | None:
    """``raw`` as ``VisitInSchema().load`` loads it, if it is plainly valid; else None."""
    if type(raw) is not dict or not raw.keys() <= _VISIT_KEYS:
        return None
    sent_uuid, sent_time = raw.get("client_uuid"), raw.get("visited_at")
    if type(sent_uuid) is not str or type(sent_time) is not str:
        return None
    try:
        client_uuid, visited_at = uuid.UUID(sent_uuid), datetime.fromisoformat(sent_time)
    except ValueError:
        return None
    if visited_at.utcoffset() is None:
        return None
    if range_problem(visited_at):
        return None
    household_id, channel = raw.get("household_id"), raw.get("channel")
    if type(household_id) is not int or not 1 <= household_id <= INT_MAX:
        return None
    if channel not in CHANNELS or type(channel) is not str:
        return None
    visit: dict[str, Any] = {
        "client_uuid": client_uuid,
        "household_id": household_id,
        "channel": channel,
        "visited_at": visited_at,
        "crs": raw.get("crs", "wgs84"),
        "findings": {},
        "needs": [],
        "notes": raw.get("notes"),
    }
    if visit["crs"] not in SUPPORTED_CRS or type(visit["crs"]) is not str:
        return None
    notes = visit["notes"]
    if notes is not None and (type(notes) is not str or len(notes) > 5000):
        return None
    if "findings" in raw:
        visit["findings"] = _plain_findings(raw["findings"])
        if visit["findings"] is None:
            return None
    if "needs" in raw:
        visit["needs"] = _plain_texts(raw["needs"], 60, 30)
        if visit["needs"] is None:
            return None
    located = channel in LOCATED_CHANNELS
    for key in ("location", "accuracy_m"):
        if key not in raw:
            if located:
                return None
            continue
        value = raw[key]
        if value is None:
            if located:
                return None
        elif not located:
            return None
        elif key == "location":
            value = _plain_point(value)
            if value is None:
                return None
        else:
            value = _plain_number(value, 0, 100_000)
            if value is None:
                return None
        visit[key] = value
    return visit


class PresenceSchema(Schema):
    flagged = fields.Boolean(attribute="presence_flagged")
    distance_m = fields.Float(attribute="presence_distance_m", allow_none=True)
    reasons = fields.List(fields.String(), attribute="presence_reasons")


# One instance for every visit dumped: building a schema costs more than dumping with it.
_PRESENCE = PresenceSchema()


class ReviewSchema(Schema):
    state = fields.String()
    comment = fields.String(allow_none=True)
    reviewer_id = fields.Integer(allow_none=True)
    at = AwareDateTime()


class VisitSchema(Schema):
    id = fields.Integer()
    client_uuid = fields.String()
    household_id = fields.Integer()
    area_id = fields.Integer()
    worker_id = fields.Integer(allow_none=True)
    channel = fields.String()
    visited_at = AwareDateTime()
    received_at = AwareDateTime()
    location = GeoJSONPoint(allow_none=True)
    accuracy_m = fields.Float(allow_none=True)
    source_crs = fields.String()
    findings = fields.Dict()
    needs = fields.List(fields.String())
    notes = fields.String(allow_none=True)
    created_household = fields.Boolean()
    screening_result = fields.String(
        allow_none=True,
        metadata={
            "description": "likely_dibao, likely_marginal, likely_expenditure_hardship, "
            "none; a suggestion, never a decision"
        },
    )
    screening = fields.Dict(allow_none=True, metadata={"description": "the figures used"})
    presence = fields.Function(lambda visit: _PRESENCE.dump(visit))
    review_state = fields.String()
    review_comment = fields.String(allow_none=True)
    reviewed_at = AwareDateTime(allow_none=True)
    reviews = fields.List(fields.Nested(ReviewSchema))

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        """Visits written out by hand (``dump_visit``): a sync batch answers each of its
        visits, and marshmallow's dump of one costs ≈ 0.3 ms."""
        if self.only or self.exclude:
            return super().dump(obj, many=many)
        if self.many if many is None else many:
            return [dump_visit(visit) for visit in obj]
        return dump_visit(obj)


def _number(value: Any, kind: type) -> Any:
    return None if value is None else kind(value)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def dump_visit(visit: Any) -> dict[str, Any]:
    """``visit`` as ``VisitSchema`` dumps it, field by field (the same keys, in the same
    order, and the same conversions: tests/visits/test_plain_visits.py compares them)."""
    return {
        "id": _number(visit.id, int),
        "client_uuid": _text(visit.client_uuid),
        "household_id": _number(visit.household_id, int),
        "area_id": _number(visit.area_id, int),
        "worker_id": _number(visit.worker_id, int),
        "channel": _text(visit.channel),
        "visited_at": _time(visit.visited_at),
        "received_at": _time(visit.received_at),
        "location": geometry_to_geojson(visit.location),
        "accuracy_m": _number(visit.accuracy_m, float),
        "source_crs": _text(visit.source_crs),
        "findings": None if visit.findings is None else dict(visit.findings),
        "needs": None if visit.needs is None else [_text(need) for need in visit.needs],
        "notes": _text(visit.notes),
        "created_household": visit.created_household,
        "screening_result": _text(visit.screening_result),
        "screening": None if visit.screening is None else dict(visit.screening),
        "presence": {
            "flagged": visit.presence_flagged,
            "distance_m": _number(visit.presence_distance_m, float),
            "reasons": None
            if visit.presence_reasons is None
            else [_text(reason) for reason in visit.presence_reasons],
        },
        "review_state": _text(visit.review_state),
        "review_comment": _text(visit.review_comment),
        "reviewed_at": _time(visit.reviewed_at),
        "reviews": None
        if visit.reviews is None
        else [
            {
                "state": _text(review.state),
                "comment": _text(review.comment),
                "reviewer_id": _number(review.reviewer_id, int),
                "at": _time(review.at),
            }
            for review in visit.reviews
        ],
    }


class VisitQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    area_id = fields.Integer()
    household_id = fields.Integer()
    worker_id = fields.Integer()
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    review_state = fields.String(validate=validate.OneOf(REVIEW_STATES))
    screening_result = fields.String()
    presence_flagged = fields.Boolean()
    visited_from = AwareDateTime()
    visited_to = AwareDateTime()


class BatchInSchema(Schema):
    class Meta:
        unknown = RAISE

    visits = fields.List(
        fields.Raw(),
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "up to 200 visits, each shaped like POST /visits"},
    )


class BatchItemSchema(Schema):
    index = fields.Integer()
    client_uuid = fields.String(allow_none=True)
    result = fields.String(metadata={"description": "created, duplicate or error"})
    id = fields.Integer(allow_none=True)
    status = fields.Integer(metadata={"description": "the HTTP status this item alone would get"})
    detail = fields.String(allow_none=True)
    errors = fields.Dict(allow_none=True)
    visit = fields.Nested(VisitSchema, allow_none=True)


class BatchOutSchema(Schema):
    results = fields.List(fields.Nested(BatchItemSchema))

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        """The results written out by hand (``dump_batch_item``): marshmallow's walk of a
        batch's hundred items cost ≈ 0.05 ms an item beside the visits' own dump."""
        if self.only or self.exclude or (self.many if many is None else many):
            return super().dump(obj, many=many)
        return {"results": [dump_batch_item(item) for item in obj["results"]]}


def dump_batch_item(item: dict[str, Any]) -> dict[str, Any]:
    """One result as ``BatchItemSchema`` dumps it: its fields in order, those the item
    lacks left out (tests/visits/test_plain_visits.py compares them)."""
    out: dict[str, Any] = {}
    for key, convert in _BATCH_ITEM_FIELDS:
        if key in item:
            value = item[key]
            out[key] = None if value is None else convert(value)
    return out


_BATCH_ITEM_FIELDS = (
    ("index", int),
    ("client_uuid", str),
    ("result", str),
    ("id", int),
    ("status", int),
    ("detail", str),
    ("errors", dict),
    ("visit", dump_visit),
)


class ReviewInSchema(Schema):
    class Meta:
        unknown = RAISE

    state = fields.String(
        required=True, validate=validate.OneOf([s for s in REVIEW_STATES if s != "pending"])
    )
    comment = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=2000))

    @validates_schema
    def _comment_for_problems(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if (
            data.get("state") in ("has_issues", "rejected")
            and not (data.get("comment") or "").strip()
        ):
            raise ValidationError("Say what is wrong: a comment is required.", "comment")


class StandardSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.Integer(dump_only=True)
    area_id = fields.Integer(required=True)
    programme = fields.String(required=True, validate=validate.OneOf(PROGRAMMES))
    urban_rural = fields.String(required=True, validate=validate.OneOf(URBAN_RURAL))
    monthly_amount = fields.Float(
        required=True, allow_nan=False, validate=validate.Range(min=0, max=1_000_000)
    )
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(allow_none=True, load_default=None)
    source = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=255))
    created_at = AwareDateTime(dump_only=True)

    @validates_schema
    def _range(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if (
            data.get("valid_to")
            and data.get("valid_from")
            and data["valid_to"] < data["valid_from"]
        ):
            raise ValidationError("valid_to is before valid_from.", "valid_to")


class StandardQuerySchema(Schema):
    area_id = fields.Integer()
    programme = fields.String(validate=validate.OneOf(PROGRAMMES))
    on = fields.Date(metadata={"description": "only standards in force on this date"})
