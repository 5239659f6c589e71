"""Patrols and encounters on a map: GeoJSON FeatureCollections filtered by bounding box."""

from datetime import UTC, datetime, timedelta

import pytest

from api.rescue.patrols import services, tracks
from tests import factories
from tests.rescue.patrols import factories as pf

START = datetime(2026, 7, 6, 20, 0, tzinfo=UTC)


def walk(patrol, coords):
    points = [
        {"lon": lon, "lat": lat, "recorded_at": START + timedelta(minutes=i), "accuracy_m": 5.0}
        for i, (lon, lat) in enumerate(coords)
    ]
    tracks.append_points(patrol, points, 100.0, 150.0)


@pytest.fixture
def two_patrols(areas):
    north = pf.patrol(areas.town_a, started_at=START)
    walk(north, [(114.130, 24.360), (114.131, 24.361), (114.132, 24.362)])
    south = pf.patrol(areas.town_b, started_at=START)
    walk(south, [(114.200, 24.200), (114.201, 24.201)])
    return north, south


def test_bbox_keeps_only_routes_that_meet_it(client, areas, two_patrols):
    north, _south = two_patrols
    supervisor = factories.user("supervisor", areas.county)
    response = client.get(
        "/api/v1/patrols/map?bbox=114.12,24.35,114.14,24.37",
        headers=factories.headers_for(supervisor),
    )
    assert response.status_code == 200
    assert response.json["type"] == "FeatureCollection"
    assert [f["id"] for f in response.json["features"]] == [north.id]
    feature = response.json["features"][0]
    assert feature["geometry"]["type"] == "LineString"
    assert feature["geometry"]["coordinates"][0] == [114.130, 24.360]
    assert feature["properties"]["length_m"] > 200


def test_bbox_crossing_a_route_between_its_points_finds_it(client, areas, two_patrols):
    north, _ = two_patrols
    supervisor = factories.user("supervisor", areas.county)
    # A thin box across the middle of the first segment, touching no vertex.
    response = client.get(
        "/api/v1/patrols/map?bbox=114.1304,24.3600,114.1306,24.3610",
        headers=factories.headers_for(supervisor),
    )
    assert [f["id"] for f in response.json["features"]] == [north.id]


def test_map_without_bbox_is_scoped_to_the_callers_town(client, areas, two_patrols):
    north, _ = two_patrols
    town_supervisor = factories.user("supervisor", areas.town_a)
    response = client.get("/api/v1/patrols/map", headers=factories.headers_for(town_supervisor))
    assert [f["id"] for f in response.json["features"]] == [north.id]


@pytest.mark.parametrize(
    "bbox",
    ["1,2,3", "a,b,c,d", "114.2,24.3,114.1,24.4", "0,0,200,10", "nan,0,1,1", "inf,0,1,1"],
)
def test_bad_bbox_is_422(client, areas, bbox):
    supervisor = factories.user("supervisor", areas.county)
    response = client.get(
        f"/api/v1/patrols/map?bbox={bbox}", headers=factories.headers_for(supervisor)
    )
    assert response.status_code == 422
    assert "bbox" in response.json["errors"]


def test_encounter_map_filters_points_by_bbox(client, areas):
    patrol = pf.patrol(areas.county, started_at=START)
    near = pf.encounter(patrol, location=(114.131, 24.351))
    pf.encounter(patrol, location=(114.210, 24.210))
    supervisor = factories.user("supervisor", areas.county)
    response = client.get(
        "/api/v1/encounters/map?bbox=114.12,24.34,114.14,24.36",
        headers=factories.headers_for(supervisor),
    )
    assert [f["id"] for f in response.json["features"]] == [near.id]
    assert response.json["features"][0]["geometry"] == {
        "type": "Point",
        "coordinates": [114.131, 24.351],
    }


def test_map_limit_marks_truncation(client, areas, db):
    for hour in range(3):
        pf.patrol(areas.town_a, started_at=START + timedelta(hours=hour))
    filters = {"limit": 2}
    result = services.patrol_features(filters, pf.SETTINGS)
    assert len(result["features"]) == 2 and result["truncated"] is True
