from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.common.arguments import RangesChecked, safely_in_range
from api.common.fields import AwareDateTime, GeoJSONPoint
from api.common.spatial import BBoxField
from api.rescue.patrols.models import (
    AID_KINDS,
    CAMPAIGN_KINDS,
    OUTCOMES,
    PATROL_MODES,
    SEXES,
    VULNERABILITY_KINDS,
)
from api.visits.crs import SUPPORTED as CRS_SUPPORTED

MAX_TRACK_BATCH = 1000
MAX_TEAM = 50
MAX_QUANTITY = 100_000
MAX_PLANNED = 10_000_000
_text = validate.Length(max=2000)
MAX_ID = 2**31 - 1


def Id(**kwargs: Any) -> fields.Integer:
    """A row id: a whole number the database can hold (larger ones are 422, not 500)."""
    return fields.Integer(validate=validate.Range(1, MAX_ID), **kwargs)


class _Strict(Schema):
    class Meta:
        ordered = True


def _check_supplies(value: dict[str, Any]) -> None:
    unknown = sorted(set(value) - set(AID_KINDS))
    if unknown:
        raise ValidationError(f"Unknown aid kinds: {', '.join(unknown)}.")
    for kind, quantity in value.items():
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise ValidationError(f"{kind}: quantity must be a whole number.")
        if not 0 <= quantity <= MAX_PLANNED:
            raise ValidationError(f"{kind}: quantity must be between 0 and {MAX_PLANNED}.")


# Campaigns


class CampaignSchema(_Strict):
    id = fields.Integer(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(CAMPAIGN_KINDS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    area_id = Id(metadata={"description": "The area covered; defaults to the caller's area"})
    supplies_planned = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        load_default=dict,
        validate=_check_supplies,
        metadata={"description": 'Aid kind -> planned quantity, e.g. {"quilt": 300}'},
    )
    notes = fields.String(allow_none=True, validate=_text)
    created_at = AwareDateTime(dump_only=True)
    updated_at = AwareDateTime(dump_only=True)


class CampaignUpdateSchema(_Strict):
    name = fields.String(validate=validate.Length(min=1, max=200))
    starts_on = fields.Date()
    ends_on = fields.Date()
    supplies_planned = fields.Dict(
        keys=fields.String(), values=fields.Raw(), validate=_check_supplies
    )
    notes = fields.String(allow_none=True, validate=_text)


class CampaignQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(CAMPAIGN_KINDS))
    area_id = Id()


# Patrols


class PatrolTeamMemberSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()


class TeamCandidateSchema(Schema):
    """A colleague to pick for a patrol team: a name, nothing else of the account."""

    id = fields.Integer()
    display_name = fields.String()


class PatrolSchema(_Strict):
    id = fields.Integer(dump_only=True)
    client_uuid = fields.UUID(required=True)
    campaign_id = Id(allow_none=True)
    area_id = Id(
        metadata={"description": "Defaults to the campaign's area, else the caller's area"}
    )
    mode = fields.String(required=True, validate=validate.OneOf(PATROL_MODES))
    started_at = AwareDateTime(required=True)
    ended_at = AwareDateTime(allow_none=True)
    summary = fields.String(allow_none=True, validate=_text)
    team = fields.List(
        Id(),
        attribute="team_ids",
        validate=validate.Length(max=MAX_TEAM),
        metadata={"description": "User ids of the team; defaults to the caller"},
    )
    team_members = fields.List(fields.Nested(PatrolTeamMemberSchema), dump_only=True)
    route_length_m = fields.Float(dump_only=True)
    point_count = fields.Integer(dump_only=True)
    created_by_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = AwareDateTime(dump_only=True)
    updated_at = AwareDateTime(dump_only=True)


class PatrolUpdateSchema(_Strict):
    campaign_id = Id(allow_none=True)
    mode = fields.String(validate=validate.OneOf(PATROL_MODES))
    ended_at = AwareDateTime(allow_none=True)
    summary = fields.String(allow_none=True, validate=_text)
    team = fields.List(Id(), attribute="team_ids", validate=validate.Length(max=MAX_TEAM))


class PatrolQuerySchema(Schema):
    campaign_id = Id()
    area_id = Id()
    from_ = fields.Date(data_key="from", metadata={"description": "Started on or after (local)"})
    to = fields.Date(metadata={"description": "Started on or before (local date)"})


class PatrolMapQuerySchema(PatrolQuerySchema):
    bbox = BBoxField()
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=5000))


class PatrolMapSchema(Schema):
    type = fields.String()
    features = fields.List(fields.Dict())
    truncated = fields.Boolean()


# Tracks


class TrackPointInSchema(Schema):
    lon = fields.Float(required=True, allow_nan=False, validate=validate.Range(-180, 180))
    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(-90, 90))
    recorded_at = AwareDateTime(required=True)
    accuracy_m = fields.Float(
        allow_none=True, allow_nan=False, validate=validate.Range(min=0, max=1_000_000)
    )


_CRS = fields.String(
    load_default=None,
    validate=validate.OneOf(CRS_SUPPORTED),
    metadata={"description": "Datum of the coordinates: wgs84 (default), gcj02 or bd09"},
)


_POINT_KEYS = frozenset(TrackPointInSchema().fields)
_NUMBERS = (int, float)  # not bool: marshmallow refuses true/false as numbers


def _plain_point(item: Any) -> dict[str, Any] | None:
    """A point as TrackPointInSchema loads it, if it is plainly valid (JSON numbers in
    range, an RFC 3339 string with an offset for a time well inside the calendar's range,
    no other keys); else None."""
    if type(item) is not dict or not item.keys() <= _POINT_KEYS:
        return None
    lon, lat, at = item.get("lon"), item.get("lat"), item.get("recorded_at")
    accuracy = item.get("accuracy_m")
    # NaN fails every comparison, infinities the ranges: both go to the schema.
    if not (
        type(lon) in _NUMBERS
        and type(lat) in _NUMBERS
        and type(at) is str
        and -180 <= lon <= 180
        and -90 <= lat <= 90
        and (accuracy is None or (type(accuracy) in _NUMBERS and 0 <= accuracy <= 1_000_000))
    ):
        return None
    try:
        recorded_at = datetime.fromisoformat(at)  # what marshmallow's "iso" format uses
    except ValueError:
        return None
    if recorded_at.utcoffset() is None or not safely_in_range(recorded_at):
        return None
    point = {"lon": float(lon), "lat": float(lat), "recorded_at": recorded_at}
    if "accuracy_m" in item:
        point["accuracy_m"] = None if accuracy is None else float(accuracy)
    return point


class TrackPoints(fields.List):
    """A batch of TrackPointInSchema. Loading a thousand points through the nested schema
    costs more than storing them, so plainly valid points are checked here directly (their
    times too: the parser's range walk then skips them); a batch with any other point goes
    through the schema and the range walk, for their answers and messages."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[Any]:
        if type(value) is list:
            points = [_plain_point(item) for item in value]
            if None not in points:
                return RangesChecked(points)
        return super()._deserialize(value, attr, data, **kwargs)


class TrackBatchSchema(Schema):
    crs = _CRS
    points = TrackPoints(
        fields.Nested(TrackPointInSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_TRACK_BATCH),
    )


class TrackPointOutSchema(Schema):
    recorded_at = AwareDateTime()
    lon = fields.Float()
    lat = fields.Float()
    accuracy_m = fields.Float(allow_none=True)
    used_in_route = fields.Boolean()
    excluded_reason = fields.String(allow_none=True)


class PatrolTrackSchema(Schema):
    patrol_id = Id()
    route = fields.Dict(allow_none=True, metadata={"description": "GeoJSON LineString"})
    length_m = fields.Float()
    point_count = fields.Integer()
    used_in_route = fields.Integer()
    excluded = fields.Dict(keys=fields.String(), values=fields.Integer())
    points = fields.List(fields.Nested(TrackPointOutSchema))


class TrackAppendSchema(Schema):
    """What a batch did, the track's totals, and the part of the route it redrew: the
    whole route is on ``GET .../track`` (issue #17)."""

    patrol_id = Id()
    received = fields.Integer()
    added = fields.Integer()
    duplicates = fields.Integer()
    length_m = fields.Float(metadata={"description": "the whole route's length, metres"})
    point_count = fields.Integer()
    used_in_route = fields.Integer(metadata={"description": "the route's vertex count"})
    excluded = fields.Dict(keys=fields.String(), values=fields.Integer())
    route_from = fields.Integer(
        allow_none=True,
        metadata={
            "description": "index of the first route vertex the batch redrew; the vertices "
            "before it are unchanged (null: the batch changed nothing, fewer than two kept)"
        },
    )
    # Raw: a thousand pairs of floats need no per-value dumping.
    route_tail = fields.Raw(
        metadata={
            "type": "array",
            "items": {"type": "array", "items": {"type": "number"}},
            "description": "[lon, lat] of the route's vertices from route_from on",
        }
    )


class TrackQuerySchema(Schema):
    points = fields.Boolean(load_default=False, metadata={"description": "Include the points"})


# Street people


class StreetPersonSchema(_Strict):
    id = fields.Integer(dump_only=True)
    alias = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name = fields.String(allow_none=True, validate=validate.Length(max=100))
    sex = fields.String(load_default="unknown", validate=validate.OneOf(SEXES))
    approximate_age = fields.Integer(allow_none=True, validate=validate.Range(0, 120))
    description = fields.String(allow_none=True, validate=_text)
    area_id = Id()
    first_seen_at = AwareDateTime(dump_only=True, allow_none=True)
    last_seen_at = AwareDateTime(dump_only=True, allow_none=True)
    created_at = AwareDateTime(dump_only=True)


class StreetPersonUpdateSchema(_Strict):
    alias = fields.String(validate=validate.Length(min=1, max=100))
    name = fields.String(allow_none=True, validate=validate.Length(max=100))
    sex = fields.String(validate=validate.OneOf(SEXES))
    approximate_age = fields.Integer(allow_none=True, validate=validate.Range(0, 120))
    description = fields.String(allow_none=True, validate=_text)


class StreetPersonQuerySchema(Schema):
    q = fields.String(validate=validate.Length(max=100), metadata={"description": "Alias/name"})
    area_id = Id()


class NewStreetPersonSchema(Schema):
    alias = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name = fields.String(allow_none=True, validate=validate.Length(max=100))
    sex = fields.String(validate=validate.OneOf(SEXES))
    approximate_age = fields.Integer(allow_none=True, validate=validate.Range(0, 120))
    description = fields.String(allow_none=True, validate=_text)


# Encounters


class EncounterAidSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(AID_KINDS))
    quantity = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_QUANTITY)
    )


def _check_aid(items: list[dict[str, Any]]) -> None:
    kinds = [item["kind"] for item in items]
    if len(kinds) != len(set(kinds)):
        raise ValidationError("Each aid kind appears once (add up the quantities).")


class _EncounterFields(_Strict):
    accuracy_m = fields.Float(
        allow_none=True, allow_nan=False, validate=validate.Range(min=0, max=100_000)
    )
    sex = fields.String(validate=validate.OneOf(SEXES))
    approximate_age = fields.Integer(allow_none=True, validate=validate.Range(0, 120))
    clothing = fields.String(allow_none=True, validate=_text)
    language = fields.String(
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"description": "Language or dialect, e.g. 客家话"},
    )
    condition = fields.String(
        allow_none=True, validate=_text, metadata={"description": "Visible condition"}
    )
    gave_name = fields.Boolean()
    name = fields.String(allow_none=True, validate=validate.Length(max=100))
    vulnerable = fields.Boolean()
    vulnerability_kinds = fields.List(
        fields.String(validate=validate.OneOf(VULNERABILITY_KINDS)),
        validate=validate.Length(max=len(VULNERABILITY_KINDS)),
    )
    aid = fields.List(
        fields.Nested(EncounterAidSchema),
        validate=[validate.Length(max=len(AID_KINDS)), _check_aid],
    )
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
    notes = fields.String(allow_none=True, validate=_text)
    street_person_id = Id(allow_none=True)


class EncounterSchema(_EncounterFields):
    id = fields.Integer(dump_only=True)
    client_uuid = fields.UUID(required=True)
    patrol_id = Id(dump_only=True)
    area_id = Id(dump_only=True)
    occurred_at = AwareDateTime(required=True)
    location = GeoJSONPoint(required=True)
    crs = fields.String(
        load_only=True,
        validate=validate.OneOf(CRS_SUPPORTED),
        metadata={"description": "Datum of location: wgs84 (default), gcj02 or bd09"},
    )
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    new_street_person = fields.Nested(
        NewStreetPersonSchema,
        load_only=True,
        metadata={"description": "Create a street person and link it (instead of the id)"},
    )
    created_by_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = AwareDateTime(dump_only=True)
    updated_at = AwareDateTime(dump_only=True)

    @validates_schema
    def _one_person(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("street_person_id") is not None and data.get("new_street_person"):
            raise ValidationError(
                "Give street_person_id or new_street_person, not both.", "new_street_person"
            )


class EncounterUpdateSchema(_EncounterFields):
    pass


class EncounterQuerySchema(Schema):
    campaign_id = Id()
    patrol_id = Id()
    street_person_id = Id()
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
    vulnerable = fields.Boolean()
    from_ = fields.Date(data_key="from")
    to = fields.Date()


class CampaignStatsSchema(Schema):
    campaign = fields.Dict()
    totals = fields.Dict()
    weeks = fields.List(fields.Dict())
    previous = fields.Dict(allow_none=True)
    change = fields.Dict(allow_none=True)
