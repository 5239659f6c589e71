"""The same requests on the embedded back end (SQLite + SpatiaLite)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from api.areas.scope import SYSTEM, set_actor
from api.db import session
from tests import factories
from tests.visits import factories as visit_factories
from tests.visits.coverage import factories as coverage_factories
from tests.visits.coverage.conftest import PERIOD, local


@pytest.mark.spatialite
def test_full_cycle_on_spatialite(sqlite_app):
    set_actor(None, SYSTEM)
    areas = factories.area_tree()
    worker = factories.user("outreach_worker", areas.town_a)
    inside = visit_factories.household(areas.village_a1, 114.10, 24.35)
    never = visit_factories.household(areas.village_b1, 114.20, 24.20)
    coverage_factories.visit(
        inside, worker, local("2026-03-31T23:30"), upload_delay=timedelta(hours=2), flagged=True
    )
    coverage_factories.visit(
        inside, worker, local("2026-03-10T10:00"), "phone", upload_delay=timedelta(hours=4)
    )
    coverage_factories.visit(never, worker, local("2026-04-01T00:10"), "phone")
    headers = factories.headers_for(factories.user("supervisor", areas.county))
    session.commit()
    client = sqlite_app.test_client()

    def get(path, **params):
        query = "&".join(f"{k}={v}" for k, v in {**PERIOD, **params}.items())
        response = client.get(f"{path}?area_id={areas.county.id}&{query}", headers=headers)
        assert response.status_code == 200, response.data[:400]
        return response

    total = get("/api/v1/coverage").json["total"]
    assert (total["focus_households"], total["visited"], total["never_visited"]) == (2, 1, 1)
    assert (total["visits"], total["flagged_visits"]) == (2, 1)

    (row,) = get("/api/v1/coverage/workers").json["workers"]
    assert (row["visits"], row["median_upload_delay_seconds"]) == (2, 3 * 3600)

    in_box = get("/api/v1/maps/visits", bbox="114.08,24.30,114.13,24.40").json
    assert len(in_box["features"]) == 1
    assert in_box["features"][0]["geometry"]["coordinates"] == [114.10, 24.35]
    assert get("/api/v1/maps/visits", bbox="114.17,24.16,114.27,24.26").json["features"] == []

    households = get("/api/v1/maps/households", bbox="113.9,24.1,114.4,24.6").json
    assert {f["properties"]["status"] for f in households["features"]} == {
        "visited",
        "never_visited",
    }
    areas_layer = get("/api/v1/maps/areas", bbox="114.0,24.3,114.1,24.4").json
    assert [f["id"] for f in areas_layer["features"]] == [areas.town_a.id]

    exported = get("/api/v1/exports/coverage", format="csv").data.decode("utf-8-sig")
    last = list(csv.DictReader(io.StringIO(exported)))[-1]
    assert (last["重点户数"], last["期内已走访户数"]) == ("2", "1")
