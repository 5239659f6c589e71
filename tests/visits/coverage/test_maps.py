"""Map layers: RFC 7946 GeoJSON, statuses, bounding box through the spatial index, limit."""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select, text

from api.common.county_time import county_zone
from api.visits.coverage import maps, services
from api.visits.coverage.maps import in_bbox
from api.visits.models import Visit
from tests import factories
from tests.visits.coverage import factories as coverage_factories
from tests.visits.coverage.conftest import PERIOD, get, local


def assert_position(position):
    assert isinstance(position, (list, tuple)) and len(position) in (2, 3)
    lon, lat = position[0], position[1]
    assert -180 <= lon <= 180 and -90 <= lat <= 90


def ring_area(ring):
    # Shoelace: positive when anticlockwise (RFC 7946's right-hand rule for exteriors).
    return sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in itertools.pairwise(ring))


def assert_polygon(rings):
    for i, ring in enumerate(rings):
        assert len(ring) >= 4, "a linear ring has at least four positions"
        assert list(ring[0]) == list(ring[-1]), "a linear ring is closed"
        for position in ring:
            assert_position(position)
        assert (ring_area(ring) > 0) == (i == 0), "exterior anticlockwise, holes clockwise"


def assert_rfc7946(document):
    """The parts of RFC 7946 a map client relies on."""
    assert document["type"] == "FeatureCollection"
    assert isinstance(document["features"], list)
    assert "crs" not in document  # RFC 7946 removed it: WGS-84 is implied
    for feature in document["features"]:
        assert feature["type"] == "Feature"
        assert isinstance(feature["properties"], dict)
        geometry = feature["geometry"]
        kind, coordinates = geometry["type"], geometry["coordinates"]
        if kind == "Point":
            assert_position(coordinates)
        elif kind == "LineString":
            assert len(coordinates) >= 2
            for position in coordinates:
                assert_position(position)
        elif kind == "Polygon":
            assert_polygon(coordinates)
        elif kind == "MultiPolygon":
            for polygon in coordinates:
                assert_polygon(polygon)
        else:
            raise AssertionError(f"unexpected geometry {kind}")


def layer(client, headers, name, area, **params):
    response = get(client, f"/api/v1/maps/{name}", headers, area_id=area.id, **{**PERIOD, **params})
    assert response.status_code == 200, response.json
    assert_rfc7946(response.json)
    return response.json


def test_areas_layer_is_valid_geojson_with_coverage(client, scenario, supervisor_headers):
    body = layer(client, supervisor_headers, "areas", scenario.county)
    by_id = {f["properties"]["area_id"]: f["properties"] for f in body["features"]}
    assert by_id[scenario.town_b.id]["coverage_rate"] == 0.5
    assert by_id[scenario.town_a.id]["focus_households"] == 6


def test_area_boundary_has_longitude_first(client, scenario, supervisor_headers):
    body = layer(client, supervisor_headers, "areas", scenario.town_a)
    feature = next(f for f in body["features"] if f["id"] == scenario.a1.id)
    lons = {p[0] for p in feature["geometry"]["coordinates"][0][0]}
    assert lons == {114.08, 114.13}


def test_households_layer_colours_by_status(client, scenario, supervisor_headers):
    body = layer(client, supervisor_headers, "households", scenario.county)
    status = {f["properties"]["household_id"]: f["properties"]["status"] for f in body["features"]}
    h = scenario.households
    assert status == {
        h["H1"].id: "visited",
        h["H2"].id: "visited",
        h["H3"].id: "overdue",
        h["H4"].id: "never_visited",
        h["H5"].id: "visited",
        h["H6"].id: "visited",
        h["H7"].id: "overdue",
        h["H9"].id: "visited",
        h["H10"].id: "visited",
        h["H11"].id: "never_visited",
    }


def test_household_point_is_longitude_first(client, scenario, supervisor_headers):
    body = layer(client, supervisor_headers, "households", scenario.a1)
    feature = next(f for f in body["features"] if f["id"] == scenario.households["H1"].id)
    assert feature["geometry"] == {"type": "Point", "coordinates": [114.10, 24.35]}


def test_households_layer_filters_by_status(client, scenario, supervisor_headers):
    body = layer(client, supervisor_headers, "households", scenario.county, status="overdue")
    assert {f["id"] for f in body["features"]} == {
        scenario.households["H3"].id,
        scenario.households["H7"].id,
    }


def test_visits_layer_has_review_state_and_flags(client, scenario, supervisor_headers):
    body = layer(client, supervisor_headers, "visits", scenario.county)
    # Phone visits have no point; in person in the period: V1 V5 V6 V8 V9.
    assert len(body["features"]) == 5
    flagged = [f["properties"] for f in body["features"] if f["properties"]["presence_flagged"]]
    assert sorted(p["review_state"] for p in flagged) == ["approved", "pending"]
    assert all(p["presence_reasons"] == ["far_from_household"] for p in flagged)


def test_visits_layer_filters_flagged_pending(client, scenario, supervisor_headers):
    body = layer(
        client,
        supervisor_headers,
        "visits",
        scenario.county,
        flagged="true",
        review_state="pending",
    )
    assert [f["properties"]["household_id"] for f in body["features"]] == [
        scenario.households["H5"].id
    ]


def test_bbox_keeps_only_features_inside(client, scenario, supervisor_headers):
    # Town B's box: only V6 and V9 (made in b1) are inside.
    body = layer(
        client, supervisor_headers, "visits", scenario.county, bbox="114.17,24.16,114.27,24.26"
    )
    assert {f["properties"]["area_id"] for f in body["features"]} == {scenario.b1.id}
    assert len(body["features"]) == 2


def test_bbox_filters_area_boundaries(client, scenario, supervisor_headers):
    body = layer(client, supervisor_headers, "areas", scenario.county, bbox="114.0,24.3,114.1,24.4")
    assert [f["id"] for f in body["features"]] == [scenario.town_a.id]


def test_limit_caps_features_and_says_truncated(client, scenario, supervisor_headers):
    body = layer(client, supervisor_headers, "households", scenario.county, limit=3)
    assert len(body["features"]) == 3
    assert body["truncated"] is True
    full = layer(client, supervisor_headers, "households", scenario.county, limit=100)
    assert full["truncated"] is False


def test_patrols_layer_has_routes_and_encounters(client, scenario, supervisor_headers):
    coverage_factories.patrol_with_encounter(
        scenario.b1, local("2026-03-12T20:00"), [(114.18, 24.18), (114.19, 24.19), (114.2, 24.2)]
    )
    body = layer(client, supervisor_headers, "patrols", scenario.county)
    kinds = sorted(f["properties"]["kind"] for f in body["features"])
    assert kinds == ["encounter", "patrol_route"]
    route = next(f for f in body["features"] if f["properties"]["kind"] == "patrol_route")
    assert route["geometry"]["coordinates"][0] == [114.18, 24.18]


def test_patrols_outside_the_period_are_left_out(client, scenario, supervisor_headers):
    coverage_factories.patrol_with_encounter(
        scenario.b1, local("2026-04-02T20:00"), [(114.18, 24.18), (114.19, 24.19)]
    )
    body = layer(client, supervisor_headers, "patrols", scenario.county)
    assert body["features"] == []


def test_bbox_is_answered_by_the_spatial_index(db, scenario):
    # Forbid sequential scans: the plan must name the GiST index on visits.location.
    stmt = select(Visit.id).where(in_bbox(Visit, "location", (114.1, 24.3, 114.2, 24.4)))
    sql = stmt.compile(db.get_bind(), compile_kwargs={"literal_binds": True})
    db.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(row[0] for row in db.execute(text(f"EXPLAIN {sql}")))
    assert "idx_visits_location" in plan


def test_recent_visit_is_newest_first(client, scenario, supervisor_headers):
    h1 = scenario.households["H1"]
    newer = coverage_factories.visit(h1, scenario.worker_a, local("2026-03-30T08:00"))
    body = layer(client, supervisor_headers, "visits", scenario.county, limit=1)
    assert body["features"][0]["properties"]["visit_id"] == newer.id
    assert newer.received_at - newer.visited_at == timedelta(hours=1)


def march():
    return services.default_period(county_zone(), date(2026, 3, 1), date(2026, 3, 31))


@pytest.mark.parametrize("limit", [1, 5, 6, 100])
def test_visits_layer_built_by_postgis_is_the_one_built_in_python(db, scenario, limit):
    # PostgreSQL sends the layer as JSON text made in SQL; SQLite builds it feature by
    # feature. From the same rows both must give the same document.
    h1 = scenario.households["H1"]
    coverage_factories.visit(
        h1, scenario.worker_a, local("2026-03-30T08:00:00.250000"), lon=114.1234567, lat=24.3
    )
    coverage_factories.visit(h1, None, local("2026-03-30T08:00:00.250000"), flagged=True)
    stmt = maps.visits_select(scenario.county, march(), None, limit)
    text, count = maps._visits_document_in_sql(stmt, limit)
    in_sql = json.loads(text)
    assert count == len(in_sql["features"])
    in_python = json.loads(json.dumps(maps._visits_collection(stmt, limit)))
    assert in_sql == in_python
    assert len(in_sql["features"]) == min(limit, 7)
    assert in_sql["truncated"] is (limit < 7)


def test_visits_layer_cut_at_the_limit_says_truncated(client, scenario, supervisor_headers):
    # Five visits in person in the period: a limit of five is not a cut.
    full = layer(client, supervisor_headers, "visits", scenario.county, limit=5)
    cut = layer(client, supervisor_headers, "visits", scenario.county, limit=4)
    assert (len(full["features"]), full["truncated"]) == (5, False)
    assert (len(cut["features"]), cut["truncated"]) == (4, True)
    assert cut["features"] == full["features"][:4]
    times = [f["properties"]["visited_at"] for f in full["features"]]
    assert times == sorted(times, reverse=True)


def test_visits_layer_sql_carries_the_jurisdiction_filter(db, client, scenario):
    # The document is built in SQL, but from an ORM select: the session's scope filter
    # (visits of the caller's subtree only) is part of the statement.
    seen = []

    def capture(_conn, _cursor, statement, *_args):
        seen.append(statement)

    engine = db.get_bind().engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        headers = factories.headers_for(factories.user("supervisor", scenario.town_a))
        body = layer(client, headers, "visits", scenario.town_a)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    (statement,) = [s for s in seen if "json_agg" in s]
    assert "visits.area_id IN (SELECT areas.id" in statement
    assert {f["properties"]["area_id"] for f in body["features"]} <= {
        scenario.a1.id,
        scenario.a2.id,
    }
