"""GPS tracks: late, out-of-order, resent and implausible points; the route and its length."""

from datetime import UTC, datetime, timedelta

import pytest

from api.rescue.patrols.tracks import Fix, classify, distance_m, route_of
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


def test_route_of_one_point_is_empty():
    assert route_of([Fix(START, LON, 24.35, 5.0)]) == (None, 0.0)


def test_out_of_order_batch_is_stored_in_time_order(client, patrol, rescue):
    response = send(client, patrol, [point(2, 24.352), point(0, 24.350), point(1, 24.351)], rescue)
    assert response.status_code == 200
    assert response.json["added"] == 3
    assert response.json["route"]["type"] == "LineString"
    assert response.json["route"]["coordinates"] == [[LON, 24.350], [LON, 24.351], [LON, 24.352]]
    assert response.json["length_m"] == pytest.approx(222.4, abs=0.5)


def test_late_point_is_inserted_in_its_place(client, patrol, rescue):
    send(client, patrol, [point(0, 24.350), point(2, 24.352)], rescue)
    response = send(client, patrol, [point(1, 24.3515, lon=114.1305)], rescue)
    coords = response.json["route"]["coordinates"]
    assert coords == [[LON, 24.350], [114.1305, 24.3515], [LON, 24.352]]


def test_resent_batch_adds_nothing(client, patrol, rescue):
    batch = [point(0, 24.350), point(1, 24.351), point(2, 24.352)]
    first = send(client, patrol, batch, rescue).json
    again = send(client, patrol, batch, rescue)
    assert again.status_code == 200
    assert again.json["added"] == 0 and again.json["duplicates"] == 3
    assert again.json["point_count"] == 3
    assert again.json["length_m"] == first["length_m"]


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
    assert body["route"]["coordinates"] == [[LON, 24.350], [LON, 24.351], [LON, 24.353]]
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
    assert response.json["route"]["coordinates"] == [[LON, 24.350], [LON, 24.352]]


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
