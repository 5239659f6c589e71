"""Who may read coverage, maps and exports, and the bad inputs people send."""

from __future__ import annotations

import pytest

from tests import factories
from tests.visits.coverage.conftest import PERIOD, get

ENDPOINTS = [
    "/api/v1/coverage",
    "/api/v1/coverage/workers",
    "/api/v1/maps/visits",
    "/api/v1/maps/households",
    "/api/v1/maps/areas",
    "/api/v1/maps/patrols",
    "/api/v1/exports/coverage",
    "/api/v1/exports/visits",
    "/api/v1/exports/tasks",
]

# (role, where the caller works, which area is asked for, expected status)
CASES = [
    ("supervisor", "county", "town_a", 200),
    ("supervisor", "town_a", "town_a", 200),
    ("supervisor", "town_a", "a1", 200),
    ("supervisor", "town_a", "town_b", 404),
    ("supervisor", "town_a", "county", 404),
    ("admin", "county", "town_b", 200),
    ("outreach_worker", "town_a", "town_a", 403),
    ("rescue_staff", "county", "county", 403),
]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(("role", "home", "asked", "expected"), CASES)
def test_role_and_area(client, scenario, path, role, home, asked, expected):
    headers = factories.headers_for(factories.user(role, getattr(scenario, home)))
    area = getattr(scenario, asked)
    response = get(client, path, headers, area_id=area.id, **PERIOD)
    assert response.status_code == expected
    if expected >= 400:
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("path", ENDPOINTS)
def test_without_token_is_401(client, path):
    assert client.get(path).status_code == 401


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/coverage", {"from": "2026-04-01", "to": "2026-03-01"}, "from"),
        ("/api/v1/coverage", {"from": "2020-01-01", "to": "2026-03-01"}, "from"),
        ("/api/v1/coverage", {"from": "yesterday"}, "from"),
        ("/api/v1/coverage/workers", {"to": "2026-02-30"}, "to"),
        ("/api/v1/maps/visits", {"bbox": "a,b,c,d"}, "bbox"),
        ("/api/v1/maps/visits", {"bbox": "114.1,24.3,114.2"}, "bbox"),
        ("/api/v1/maps/visits", {"bbox": "24.3,114.1,24.4,114.2"}, "bbox"),  # latitude first
        ("/api/v1/maps/visits", {"bbox": "114.2,24.3,114.1,24.4"}, "bbox"),  # corners swapped
        ("/api/v1/maps/visits", {"bbox": "nan,24.3,114.1,24.4"}, "bbox"),
        ("/api/v1/maps/households", {"limit": "1000000"}, "limit"),
        ("/api/v1/maps/households", {"limit": "0"}, "limit"),
        ("/api/v1/maps/households", {"status": "lost"}, "status"),
        ("/api/v1/maps/visits", {"review_state": "maybe"}, "review_state"),
        ("/api/v1/exports/visits", {"format": "pdf"}, "format"),
    ],
)
def test_bad_inputs_are_422_on_the_field(client, scenario, supervisor_headers, path, params, field):
    response = get(client, path, supervisor_headers, area_id=scenario.county.id, **params)
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_unknown_area_is_404(client, scenario, supervisor_headers):
    response = get(client, "/api/v1/coverage", supervisor_headers, area_id=987654321)
    assert response.status_code == 404


def test_export_of_other_town_is_404_not_an_empty_file(client, scenario):
    headers = factories.headers_for(factories.user("supervisor", scenario.town_a))
    response = get(client, "/api/v1/exports/visits", headers, area_id=scenario.b1.id, format="csv")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
