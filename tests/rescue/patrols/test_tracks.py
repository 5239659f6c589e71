"""GPS tracks: late, out-of-order, resent and implausible points; the route and its length."""

import json
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

from api.rescue.patrols import services, tracks
from api.rescue.patrols.models import TrackPoint
from api.rescue.patrols.tracks import Fix, classify, distance_m, length_m
from tests import factories
from tests.rescue.patrols import factories as pf

START = datetime(2026, 7, 6, 20, 0, tzinfo=UTC)
# Northwards along a street: 0.001 degree of latitude is about 111 m.
LON = 114.130


def point(minute, lat, accuracy=5.0, lon=LON):
    return {
        "lon": lon,
        "lat": lat,
        "recorded_at": (START + timedelta(minutes=minute)).isoformat(),
        "accuracy_m": accuracy,
    }


@pytest.fixture
def rescue(areas):
    return factories.user("rescue_staff", areas.county)


@pytest.fixture
def patrol(areas):
    return pf.patrol(areas.town_a, started_at=START)


def send(client, patrol, points, user):
    return client.post(
        f"/api/v1/patrols/{patrol.id}/track",
        json={"points": points},
        headers=factories.headers_for(user),
    )


def read_track(client, patrol, user):
    headers = factories.headers_for(user)
    return client.get(f"/api/v1/patrols/{patrol.id}/track", headers=headers).json


class HeldRoute:
    """The route as a client holding it keeps it from the appends' answers alone: the
    first ``route_from`` vertices stay, ``route_tail`` follows."""

    def __init__(self):
        self.vertices = []

    def apply(self, body):
        if body["route_from"] is not None:
            self.vertices = self.vertices[: body["route_from"]] + body["route_tail"]
        assert len(self.vertices) == body["used_in_route"] or (
            body["route_from"] is None and body["used_in_route"] < 2
        )

    def coordinates(self):
        """As GET's route has them: none with fewer than two kept points."""
        return [list(v) for v in self.vertices] if len(self.vertices) > 1 else []


def test_an_append_answers_the_redrawn_part_not_the_whole_route(client, patrol, rescue):
    first = send(client, patrol, [point(i, 24.350 + i * 0.001) for i in range(5)], rescue).json
    assert "route" not in first
    assert first["route_from"] == 0 and len(first["route_tail"]) == 5
    second = send(client, patrol, [point(i, 24.350 + i * 0.001) for i in range(5, 8)], rescue).json
    assert second["route_from"] == 5
    assert second["route_tail"] == [[LON, 24.350 + i * 0.001] for i in range(5, 8)]
    assert (second["point_count"], second["used_in_route"]) == (8, 8)
    # A late point at 1.5: the route is redrawn from the last kept point before it.
    late = send(client, patrol, [point(1.5, 24.3515)], rescue).json
    assert late["route_from"] == 2 and len(late["route_tail"]) == 7
    assert late["route_tail"][0] == [LON, 24.3515]
    whole = read_track(client, patrol, rescue)
    assert whole["route"]["coordinates"][:2] == first["route_tail"][:2]
    assert whole["route"]["coordinates"][2:] == late["route_tail"]
    assert late["length_m"] == whole["length_m"]


def test_distance_of_a_thousandth_degree_of_latitude():
    assert distance_m(114.13, 24.35, 114.13, 24.351) == pytest.approx(111.2, abs=0.2)


def test_classify_drops_a_single_wild_fix_and_continues():
    fixes = [
        Fix(START + timedelta(minutes=i), LON, lat, 5.0)
        for i, lat in enumerate([24.350, 24.351, 24.500, 24.352])
    ]
    assert classify(fixes, 100.0, 150.0) == [None, None, "implausible_speed", None]


def test_classify_flags_poor_accuracy_before_speed():
    fixes = [Fix(START, LON, 24.35, 5.0), Fix(START + timedelta(minutes=1), LON, 24.9, 500.0)]
    assert classify(fixes, 100.0, 150.0) == [None, "poor_accuracy"]


def test_classify_continues_from_the_given_last_kept_point():
    last = Fix(START, LON, 24.350, 5.0)
    fixes = [Fix(START + timedelta(minutes=1), LON, 24.450, 5.0)]
    assert classify(fixes, 100.0, 150.0, last) == ["implausible_speed"]
    assert classify(fixes, 100.0, 150.0) == [None]


def test_length_is_the_sum_of_the_segments():
    coords = np.array([[LON, 24.350], [LON, 24.351], [114.131, 24.351]])
    expected = distance_m(LON, 24.350, LON, 24.351) + distance_m(LON, 24.351, 114.131, 24.351)
    assert length_m(coords) == pytest.approx(expected, rel=1e-12)
    assert length_m(coords[:1]) == 0.0


def test_out_of_order_batch_is_stored_in_time_order(client, patrol, rescue):
    response = send(client, patrol, [point(2, 24.352), point(0, 24.350), point(1, 24.351)], rescue)
    assert response.status_code == 200
    assert response.json["added"] == 3
    assert response.json["route_tail"] == [[LON, 24.350], [LON, 24.351], [LON, 24.352]]
    assert response.json["length_m"] == pytest.approx(222.4, abs=0.5)
    route = read_track(client, patrol, rescue)["route"]
    assert route["type"] == "LineString"
    assert route["coordinates"] == [[LON, 24.350], [LON, 24.351], [LON, 24.352]]


def test_late_point_is_inserted_in_its_place(client, patrol, rescue):
    send(client, patrol, [point(0, 24.350), point(2, 24.352)], rescue)
    response = send(client, patrol, [point(1, 24.3515, lon=114.1305)], rescue)
    assert response.json["route_from"] == 1
    assert response.json["route_tail"] == [[114.1305, 24.3515], [LON, 24.352]]
    coords = read_track(client, patrol, rescue)["route"]["coordinates"]
    assert coords == [[LON, 24.350], [114.1305, 24.3515], [LON, 24.352]]


def test_resent_batch_adds_nothing(client, patrol, rescue):
    batch = [point(0, 24.350), point(1, 24.351), point(2, 24.352)]
    first = send(client, patrol, batch, rescue).json
    again = send(client, patrol, batch, rescue)
    assert again.status_code == 200
    assert again.json["added"] == 0 and again.json["duplicates"] == 3
    assert again.json["point_count"] == 3
    assert again.json["length_m"] == first["length_m"]
    assert again.json["route_from"] == 3 and again.json["route_tail"] == []


def test_duplicates_inside_one_batch_count_once(client, patrol, rescue):
    response = send(client, patrol, [point(0, 24.350), point(0, 24.350), point(1, 24.351)], rescue)
    assert response.json["added"] == 2 and response.json["duplicates"] == 1


def test_same_time_in_another_offset_is_a_duplicate(client, patrol, rescue):
    send(client, patrol, [point(0, 24.350)], rescue)
    same = dict(point(0, 24.350), recorded_at="2026-07-07T04:00:00+08:00")
    assert send(client, patrol, [same], rescue).json["added"] == 0


def test_implausible_and_inaccurate_points_are_kept_but_not_drawn(client, patrol, rescue):
    points = [
        point(0, 24.350),
        point(1, 24.351),
        point(2, 24.450),  # 11 km in a minute
        point(3, 24.352, accuracy=350.0),  # a cell-tower fix
        point(4, 24.353),
    ]
    response = send(client, patrol, points, rescue)
    body = response.json
    assert body["point_count"] == 5 and body["used_in_route"] == 3
    assert body["excluded"] == {"poor_accuracy": 1, "implausible_speed": 1}
    assert body["route_tail"] == [[LON, 24.350], [LON, 24.351], [LON, 24.353]]
    track = client.get(
        f"/api/v1/patrols/{patrol.id}/track?points=true", headers=factories.headers_for(rescue)
    ).json
    assert [p["excluded_reason"] for p in track["points"]] == [
        None,
        None,
        "implausible_speed",
        "poor_accuracy",
        None,
    ]


def test_late_wild_point_is_left_out_and_its_neighbours_stay(client, patrol, rescue):
    send(client, patrol, [point(0, 24.350), point(2, 24.352)], rescue)
    response = send(client, patrol, [point(1, 24.450)], rescue)
    assert response.json["excluded"]["implausible_speed"] == 1
    assert response.json["route_from"] == 1 and response.json["route_tail"] == [[LON, 24.352]]
    coords = read_track(client, patrol, rescue)["route"]["coordinates"]
    assert coords == [[LON, 24.350], [LON, 24.352]]


def test_speed_limit_is_a_setting(client, app, patrol, rescue):
    app.config["PATROL_MAX_SPEED_KMH"] = 5.0
    try:
        # 111 m per minute is 6.7 km/h: too fast for this limit
        response = send(client, patrol, [point(0, 24.350), point(1, 24.351)], rescue)
    finally:
        app.config["PATROL_MAX_SPEED_KMH"] = 150.0
    assert response.json["excluded"]["implausible_speed"] == 1


def test_route_length_is_stored_on_the_patrol(client, patrol, rescue):
    send(client, patrol, [point(0, 24.350), point(1, 24.351)], rescue)
    response = client.get(f"/api/v1/patrols/{patrol.id}", headers=factories.headers_for(rescue))
    assert response.json["route_length_m"] == pytest.approx(111.2, abs=0.2)
    assert response.json["point_count"] == 2


def test_batch_of_1001_points_is_422(client, patrol, rescue):
    points = [point(i / 60, 24.35) for i in range(1001)]
    response = send(client, patrol, points, rescue)
    assert response.status_code == 422
    assert "points" in response.json["errors"]


def test_batch_of_1000_points_is_taken(client, patrol, rescue):
    points = [point(i / 60, 24.35 + i * 0.00001) for i in range(1000)]
    response = send(client, patrol, points, rescue)
    assert response.status_code == 200
    assert response.json["added"] == 1000


@pytest.mark.parametrize(
    "points",
    [
        [],
        [{"lon": 114.1, "lat": 24.3}],
        [{"lon": 200, "lat": 24.3, "recorded_at": "2026-07-07T04:00:00+08:00"}],
        [{"lon": "x", "lat": 24.3, "recorded_at": "2026-07-07T04:00:00+08:00"}],
        [{"lon": 114.1, "lat": 24.3, "recorded_at": "2026-07-07T04:00:00"}],
        [{"lon": 114.1, "lat": 24.3, "recorded_at": "2026-07-07T04:00:00+08:00", "accuracy_m": -1}],
        "points",
    ],
)
def test_bad_points_are_422(client, patrol, rescue, points):
    assert send(client, patrol, points, rescue).status_code == 422


def test_points_from_the_future_are_422(client, patrol, rescue):
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    response = send(client, patrol, [{"lon": LON, "lat": 24.35, "recorded_at": future}], rescue)
    assert response.status_code == 422
    assert "points.0.recorded_at" in response.json["errors"]


def test_points_are_stored_exactly_as_sent(client, db, patrol, rescue):
    points = [
        {"lon": 114.13012345678901, "lat": 24.350000000000001, "recorded_at": START.isoformat()},
        {
            "lon": 114.1302,
            "lat": 1e-05 + 24.3501,
            "recorded_at": "2026-07-07T04:00:30.123456+08:00",
            "accuracy_m": 12.25,
        },
        {"lon": 114, "lat": 24.3502, "recorded_at": "2026-07-06T20:01:00Z", "accuracy_m": None},
    ]
    assert send(client, patrol, points, rescue).status_code == 200
    stored = [p.fix for p in tracks.load_points(patrol.id)]
    assert [(f.lon, f.lat, f.accuracy_m) for f in stored] == [
        (114.13012345678901, 24.350000000000001, None),
        (114.1302, 1e-05 + 24.3501, 12.25),
        (114.0, 24.3502, None),
    ]
    assert [f.recorded_at for f in stored] == [
        START,
        START + timedelta(seconds=30, microseconds=123456),
        START + timedelta(minutes=1),
    ]


def test_track_of_other_towns_patrol_is_404(client, areas):
    town_rescue = factories.user("rescue_staff", areas.town_a)
    other = pf.patrol(areas.town_b, started_at=START)
    assert send(client, other, [point(0, 24.35)], town_rescue).status_code == 404


def test_gcj02_points_are_stored_as_wgs84(client, patrol, rescue):
    from api.visits.crs import wgs84_to_gcj02

    lon, lat = wgs84_to_gcj02(LON, 24.35)
    response = client.post(
        f"/api/v1/patrols/{patrol.id}/track",
        json={
            "crs": "gcj02",
            "points": [{"lon": lon, "lat": lat, "recorded_at": START.isoformat()}],
        },
        headers=factories.headers_for(rescue),
    )
    assert response.status_code == 200
    track = client.get(
        f"/api/v1/patrols/{patrol.id}/track?points=true", headers=factories.headers_for(rescue)
    ).json
    assert track["points"][0]["lon"] == pytest.approx(LON, abs=1e-6)
    assert track["points"][0]["lat"] == pytest.approx(24.35, abs=1e-6)


# The tail-only reclassification must leave the track exactly as a reclassification of the
# whole track would.


def stored_reasons(db, patrol):
    return [p.excluded_reason for p in tracks.load_points(patrol.id)]


def whole_track(db, patrol):
    """What the route, length and flags are when drawn from every stored point at once."""
    fixes = [p.fix for p in tracks.load_points(patrol.id)]
    reasons = classify(fixes, 100.0, 150.0)
    kept = np.array([[f.lon, f.lat] for f, r in zip(fixes, reasons, strict=True) if r is None])
    return reasons, kept.tolist(), round(length_m(kept), 1)


def assert_consistent(db, patrol, body, held):
    """The answer, the route a client keeps from the answers (``held``), the stored flags
    and counts: as drawn from the whole track at once."""
    reasons, kept, length = whole_track(db, patrol)
    assert stored_reasons(db, patrol) == reasons
    held.apply(body)
    assert held.coordinates() == (kept if len(kept) > 1 else [])
    assert body["length_m"] == length
    assert body["point_count"] == len(reasons) == patrol.point_count
    assert body["used_in_route"] == reasons.count(None)
    flags = db.scalars(select(TrackPoint.used_in_route).where(TrackPoint.patrol_id == patrol.id))
    assert sorted(flags) == sorted(r is None for r in reasons)


def test_late_points_inside_the_track_are_classified_in_place(client, db, patrol, rescue):
    held = HeldRoute()
    # 0 and 2 are 2.2 km apart in two minutes (67 km/h): fine. 3 is a wild fix, left out.
    first = send(
        client,
        patrol,
        [point(0, 24.350), point(2, 24.370), point(3, 24.450), point(4, 24.371)],
        rescue,
    ).json
    assert_consistent(db, patrol, first, held)
    assert stored_reasons(db, patrol) == [None, None, "implausible_speed", None]
    # A late point at minute 1, 50 km away: implausible itself, the rest unchanged.
    late = send(client, patrol, [point(1, 24.800)], rescue).json
    assert stored_reasons(db, patrol) == [
        None,
        "implausible_speed",
        None,
        "implausible_speed",
        None,
    ]
    assert_consistent(db, patrol, late, held)
    # A late point at 3.5 beside the wild fix at 3 is implausible from 2 as well, and 4
    # stays on the route.
    body = send(client, patrol, [point(3.5, 24.449)], rescue).json
    assert stored_reasons(db, patrol)[-2:] == ["implausible_speed", None]
    assert_consistent(db, patrol, body, held)


def test_late_point_before_the_first_kept_point_reclassifies_everything(client, db, patrol, rescue):
    held = HeldRoute()
    first = send(client, patrol, [point(10, 24.450), point(11, 24.451), point(12, 24.452)], rescue)
    assert_consistent(db, patrol, first.json, held)
    assert stored_reasons(db, patrol) == [None, None, None]
    # The team was at 24.350 a minute before: 11 km in a minute is too fast, so the first
    # point of the old track becomes implausible, and the two after it too.
    body = send(client, patrol, [point(9, 24.350)], rescue).json
    assert stored_reasons(db, patrol) == [None] + ["implausible_speed"] * 3
    assert body["route_from"] == 0 and body["route_tail"] == [[LON, 24.350]]
    assert body["used_in_route"] == 1 and body["length_m"] == 0.0
    assert_consistent(db, patrol, body, held)
    assert read_track(client, patrol, rescue)["route"] is None


def test_a_point_that_was_left_out_can_come_back(client, db, patrol, rescue):
    held = HeldRoute()
    first = send(client, patrol, [point(1, 24.350), point(2, 24.400)], rescue).json
    assert_consistent(db, patrol, first, held)
    assert stored_reasons(db, patrol) == [None, "implausible_speed"]
    # A late point shows the team was near the second point all along: the first one is
    # the wild fix, and the second is kept again.
    body = send(client, patrol, [point(0, 24.401)], rescue).json
    assert stored_reasons(db, patrol) == [None, "implausible_speed", None]
    assert body["route_from"] == 0 and body["route_tail"] == [[LON, 24.401], [LON, 24.400]]
    assert_consistent(db, patrol, body, held)


def test_batches_in_any_order_draw_the_same_route_as_one_batch(client, db, areas, rescue):
    rng = random.Random(4)
    points = [
        point(i / 6, 24.35 + i * 0.0002 + (0.05 if i % 37 == 5 else 0.0), 5.0 if i % 23 else 500.0)
        for i in range(300)
    ]
    one = pf.patrol(areas.town_a, started_at=START)
    whole = send(client, one, points, rescue).json
    shuffled = points[:]
    rng.shuffle(shuffled)
    many = pf.patrol(areas.town_a, started_at=START)
    held = HeldRoute()
    for start in range(0, 300, 40):
        body = send(client, many, shuffled[start : start + 40], rescue).json
        assert_consistent(db, many, body, held)
    for key in ("length_m", "point_count", "used_in_route", "excluded"):
        assert body[key] == whole[key]
    assert held.vertices == whole["route_tail"]
    assert read_track(client, many, rescue)["route"] == read_track(client, one, rescue)["route"]
    assert stored_reasons(db, many) == stored_reasons(db, one)


def test_appended_batches_extend_the_route_and_its_length(client, db, patrol, rescue):
    held = HeldRoute()
    first = send(client, patrol, [point(i, 24.350 + i * 0.001) for i in range(5)], rescue).json
    assert_consistent(db, patrol, first, held)
    second = send(client, patrol, [point(i, 24.350 + i * 0.001) for i in range(5, 9)], rescue).json
    assert second["route_from"] == 5 and len(second["route_tail"]) == 4
    assert second["length_m"] == pytest.approx(8 * 111.2, abs=1.0)
    assert_consistent(db, patrol, second, held)
    assert held.vertices[:5] == first["route_tail"]


def test_a_single_kept_point_then_more_draws_from_it(client, db, patrol, rescue):
    held = HeldRoute()
    first = send(client, patrol, [point(0, 24.350)], rescue).json
    assert first["route_tail"] == [[LON, 24.350]] and first["used_in_route"] == 1
    assert_consistent(db, patrol, first, held)
    assert read_track(client, patrol, rescue)["route"] is None
    # Resent: nothing redrawn, and a route of one kept point is not counted from it.
    again = send(client, patrol, [point(0, 24.350)], rescue).json
    assert again["route_from"] is None and again["used_in_route"] == 1
    assert_consistent(db, patrol, again, held)
    body = send(client, patrol, [point(1, 24.351)], rescue).json
    assert body["route_from"] == 1 and body["route_tail"] == [[LON, 24.351]]
    assert_consistent(db, patrol, body, held)
    assert read_track(client, patrol, rescue)["route"]["coordinates"] == [
        [LON, 24.350],
        [LON, 24.351],
    ]


def test_first_stored_point_wins_over_a_resent_one_at_the_same_time(client, db, patrol, rescue):
    send(client, patrol, [point(0, 24.350), point(1, 24.351)], rescue)
    body = send(client, patrol, [point(1, 24.359), point(2, 24.352)], rescue).json
    assert body["added"] == 1 and body["duplicates"] == 1
    assert [p.fix.lat for p in tracks.load_points(patrol.id)] == [24.350, 24.351, 24.352]


def test_first_point_in_a_batch_wins_over_a_later_one_at_the_same_time(client, db, patrol, rescue):
    body = send(client, patrol, [point(0, 24.350), point(0, 24.359, lon=114.2)], rescue).json
    assert body["added"] == 1 and body["duplicates"] == 1
    assert [(p.fix.lon, p.fix.lat) for p in tracks.load_points(patrol.id)] == [(LON, 24.350)]


def test_a_batch_of_only_duplicates_changes_nothing(client, db, patrol, rescue):
    first = send(client, patrol, [point(0, 24.350), point(1, 24.351)], rescue).json
    again = send(client, patrol, [point(1, 24.351), point(0, 24.350), point(0, 24.350)], rescue)
    assert again.status_code == 200
    assert again.json["received"] == 3 and again.json["added"] == 0
    assert again.json["duplicates"] == 3
    for key in ("length_m", "point_count", "used_in_route", "excluded"):
        assert again.json[key] == first[key]
    assert again.json["route_from"] == 2 and again.json["route_tail"] == []


def test_a_bad_point_among_good_ones_is_422_and_nothing_is_stored(client, db, patrol, rescue):
    points = [point(i, 24.35 + i * 0.001) for i in range(10)]
    points[7] = dict(points[7], lat="north")
    response = send(client, patrol, points, rescue)
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert list(response.json["errors"]) == ["points.7.lat"]
    count = db.scalar(select(func.count()).where(TrackPoint.patrol_id == patrol.id))
    assert count == 0


@pytest.mark.parametrize(
    ("bad", "path"),
    [
        ({"lon": True}, "points.3.lon"),
        ({"lat": float("nan")}, "points.3.lat"),
        ({"lat": 90.5}, "points.3.lat"),
        ({"accuracy_m": -0.5}, "points.3.accuracy_m"),
        ({"accuracy_m": "5"}, None),  # marshmallow takes numeric strings; so do we
        ({"recorded_at": "2026-07-07 04:00:00"}, "points.3.recorded_at"),
        ({"recorded_at": 1783400000}, "points.3.recorded_at"),
        ({"speed": 3.0}, "points.3.speed"),
        # Times at the calendar's edges: refused by the range check with their path, or
        # (inside it, but too near its edge for the quick check) taken by the schema.
        ({"recorded_at": "9999-12-31T23:59:59-12:00"}, "points.3.recorded_at"),
        ({"recorded_at": "2101-01-01T00:00:00+08:00"}, "points.3.recorded_at"),
        ({"recorded_at": "1900-01-01T00:30:00+01:00"}, "points.3.recorded_at"),
        ({"recorded_at": "1900-01-02T00:00:00+08:00"}, None),
    ],
)
def test_points_the_quick_check_refuses_get_the_schemas_answer(client, patrol, rescue, bad, path):
    points = [point(i, 24.35 + i * 0.001) for i in range(5)]
    points[3] = {**points[3], **bad}
    body = client.post(
        f"/api/v1/patrols/{patrol.id}/track",
        data=json.dumps({"points": points}, allow_nan=True),
        content_type="application/json",
        headers=factories.headers_for(rescue),
    )
    if path is None:
        assert body.status_code == 200 and body.json["added"] == 5
    else:
        assert body.status_code == 422
        assert path in body.json["errors"]


def test_an_empty_batch_is_422(client, patrol, rescue):
    response = send(client, patrol, [], rescue)
    assert response.status_code == 422
    assert "points" in response.json["errors"]


def test_services_take_the_patrol_locked_and_count_points(db, patrol):
    rows = [
        {"lon": LON, "lat": 24.35 + i * 0.001, "recorded_at": START + timedelta(minutes=i)}
        for i in range(3)
    ]
    summary = services.append_track(patrol.id, rows, pf.SETTINGS)
    assert summary["added"] == 3 and patrol.point_count == 3


def test_classify_of_a_batch_is_the_one_by_one_classification(db):
    """The whole-batch check (every fix plausible from the one before) answers what the
    point-by-point filter answers, on plausible walks and on walks with wild fixes."""
    rng = random.Random(17)
    for wild in (0.0, 0.02, 0.2):
        fixes, lat = [], 24.35
        for i in range(400):
            lat += rng.uniform(-0.0002, 0.0004)
            jump = 0.05 if rng.random() < wild else 0.0
            at = START + timedelta(seconds=10 * i + rng.choice([0, 0, 0, 5]))
            fixes.append(Fix(at, LON, lat + jump, rng.choice([5.0, 5.0, 5.0, 150.0 * wild])))
        fixes.sort(key=lambda f: f.recorded_at)
        last, one_by_one = Fix(START - timedelta(seconds=10), LON, 24.35, 5.0), []
        for fix in fixes:
            [reason] = classify([fix], 100.0, 150.0, last)
            one_by_one.append(reason)
            last = fix if reason is None else last
        start = Fix(START - timedelta(seconds=10), LON, 24.35, 5.0)
        assert classify(fixes, 100.0, 150.0, start) == one_by_one
