"""The parser's two walks over a body (api.common.arguments): integers, dates and times
out of range, and fractions sent for integers, found however deep a schema nests them,
and nested schemas that cannot hold either not walked at all (a batch of a thousand GPS
points holds no integer: the fraction walk skips it)."""

from __future__ import annotations

from marshmallow import Schema, fields

from api.common import arguments
from api.common.arguments import fraction_problems, schema_problems


class Point(Schema):
    lon = fields.Float()
    lat = fields.Float()
    recorded_at = fields.AwareDateTime()


class Member(Schema):
    name = fields.String()
    household_id = fields.Integer()


class Household(Schema):
    members = fields.List(fields.Nested(Member))
    head = fields.Nested(Member)


class Body(Schema):
    households = fields.Nested(Household, many=True)
    points = fields.List(fields.Nested(Point))
    parent = fields.Nested(lambda: Body())


def test_a_fraction_is_found_two_schemas_deep():
    sent = {
        "households": [{"members": [{"household_id": 1}, {"household_id": 2.5}]}],
        "parent": {"households": [{"head": {"household_id": 0.5}}]},
    }
    assert sorted(fraction_problems(Body(), sent)) == [
        ("households.0.members.1.household_id", arguments.FRACTION_MESSAGE),
        ("parent.households.0.head.household_id", arguments.FRACTION_MESSAGE),
    ]


def test_the_fraction_walk_skips_what_holds_no_integer_and_the_range_walk_does_not():
    checked = arguments._checked_fields(Body(), arguments.FRACTION)
    assert [name for _, name, _ in checked] == ["households", "parent"]
    checked = arguments._checked_fields(Body(), arguments.RANGE)
    assert [name for _, name, _ in checked] == ["households", "points", "parent"]


def test_a_time_out_of_range_is_found_in_a_list_of_points():
    body = Body().load(
        {
            "points": [
                {"lon": 1.0, "lat": 2.0, "recorded_at": "2026-11-30T08:00:00+08:00"},
                {"lon": 1.0, "lat": 2.0, "recorded_at": "9999-12-31T23:59:59-12:00"},
            ]
        }
    )
    assert list(schema_problems(Body(), body)) == [
        ("points.1.recorded_at", arguments.DATE_RANGE_MESSAGE)
    ]


def test_a_list_its_field_has_held_to_the_ranges_is_not_walked_again():
    """A track batch's quick check returns RangesChecked only for times well inside the
    calendar (``safely_in_range``); a list of any other kind is walked as before."""
    late = Body().load({"points": [{"recorded_at": "9999-12-31T23:59:59-12:00"}]})
    assert list(schema_problems(Body(), late))
    assert not arguments.safely_in_range(late["points"][0]["recorded_at"])
    trusted = {"points": arguments.RangesChecked(late["points"])}
    assert list(schema_problems(Body(), trusted)) == []
