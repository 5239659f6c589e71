"""Who may read and write patrol data: role x area -> status."""

import uuid
from datetime import UTC, datetime

import pytest

from tests import factories
from tests.rescue.patrols import factories as pf

START = datetime(2026, 7, 6, 20, 0, tzinfo=UTC)


@pytest.fixture
def world(areas):
    campaign = pf.campaign(areas.town_a)
    patrol = pf.patrol(areas.town_a, started_at=START, campaign=campaign)
    encounter = pf.encounter(patrol)
    person = pf.street_person(areas.town_a)
    return {"campaign": campaign, "patrol": patrol, "encounter": encounter, "person": person}


def requests(world, areas):
    c, p, e, s = (world[k].id for k in ("campaign", "patrol", "encounter", "person"))
    return {
        "create_campaign": (
            "post",
            "/api/v1/campaigns",
            {
                "kind": "other",
                "name": "x",
                "starts_on": "2026-07-01",
                "ends_on": "2026-07-02",
                "area_id": areas.town_a.id,
            },
        ),
        "edit_campaign": ("patch", f"/api/v1/campaigns/{c}", {"name": "y"}),
        "create_patrol": (
            "post",
            "/api/v1/patrols",
            {
                "client_uuid": str(uuid.uuid4()),
                "mode": "vehicle",
                "started_at": "2026-07-07T04:00:00+08:00",
                "area_id": areas.town_a.id,
            },
        ),
        "end_patrol": ("patch", f"/api/v1/patrols/{p}", {"summary": "done"}),
        "append_track": (
            "post",
            f"/api/v1/patrols/{p}/track",
            {"points": [{"lon": 114.13, "lat": 24.35, "recorded_at": "2026-07-07T04:01:00+08:00"}]},
        ),
        "create_encounter": (
            "post",
            f"/api/v1/patrols/{p}/encounters",
            {
                "client_uuid": str(uuid.uuid4()),
                "occurred_at": "2026-07-07T04:40:00+08:00",
                "location": {"type": "Point", "coordinates": [114.131, 24.351]},
                "outcome": "accepted_aid",
            },
        ),
        "edit_encounter": ("patch", f"/api/v1/encounters/{e}", {"notes": "x"}),
        "create_person": (
            "post",
            "/api/v1/street-people",
            {"alias": "x", "area_id": areas.town_a.id},
        ),
        "edit_person": ("patch", f"/api/v1/street-people/{s}", {"alias": "y"}),
        "read_campaign": ("get", f"/api/v1/campaigns/{c}", None),
        "read_stats": ("get", f"/api/v1/campaigns/{c}/stats", None),
        "read_patrol": ("get", f"/api/v1/patrols/{p}", None),
        "read_track": ("get", f"/api/v1/patrols/{p}/track", None),
        "read_encounter": ("get", f"/api/v1/encounters/{e}", None),
        "read_person": ("get", f"/api/v1/street-people/{s}", None),
    }


WRITES = [
    "create_campaign",
    "edit_campaign",
    "create_patrol",
    "end_patrol",
    "append_track",
    "create_encounter",
    "edit_encounter",
    "create_person",
    "edit_person",
]
READS = [
    "read_campaign",
    "read_stats",
    "read_patrol",
    "read_track",
    "read_encounter",
    "read_person",
]
OK = {"post": 201, "patch": 200, "get": 200}
WRITE_OK = {
    "create_campaign": 201,
    "edit_campaign": 200,
    "create_patrol": 201,
    "end_patrol": 200,
    "append_track": 200,
    "create_encounter": 201,
    "edit_encounter": 200,
    "create_person": 201,
    "edit_person": 200,
}

# (role, where the user sits, may write, may read)
CASES = [
    ("rescue_staff", "county", True, True),
    ("rescue_staff", "town_a", True, True),
    ("admin", "county", True, True),
    ("supervisor", "county", False, True),
    ("supervisor", "town_a", False, True),
    ("outreach_worker", "town_a", False, False),
    ("outreach_worker", "county", False, False),
]


@pytest.mark.parametrize(("role", "where", "may_write", "may_read"), CASES)
@pytest.mark.parametrize("action", WRITES + READS)
def test_role_and_area_matrix(client, areas, world, role, where, may_write, may_read, action):
    user = factories.user(role, getattr(areas, where))
    method, path, body = requests(world, areas)[action]
    allowed = may_write if action in WRITES else may_read
    expected = WRITE_OK.get(action, 200) if allowed else 403
    response = getattr(client, method)(path, json=body, headers=factories.headers_for(user))
    assert response.status_code == expected, response.json


ADDRESSED = ["edit_campaign", "end_patrol", "append_track", "edit_encounter", "edit_person"]


@pytest.mark.parametrize("action", ADDRESSED + READS)
def test_other_towns_records_are_404(client, areas, world, action):
    user = factories.user("rescue_staff", areas.town_b)
    method, path, body = requests(world, areas)[action]
    response = getattr(client, method)(path, json=body, headers=factories.headers_for(user))
    assert response.status_code == 404


@pytest.mark.parametrize("action", ["create_campaign", "create_patrol", "create_person"])
def test_creating_in_another_town_is_422(client, areas, world, action):
    user = factories.user("rescue_staff", areas.town_b)
    method, path, body = requests(world, areas)[action]
    response = getattr(client, method)(path, json=body, headers=factories.headers_for(user))
    assert response.status_code == 422
    assert "area_id" in response.json["errors"]


def test_encounter_on_other_towns_patrol_is_404(client, areas, world):
    user = factories.user("rescue_staff", areas.town_b)
    _method, path, body = requests(world, areas)["create_encounter"]
    response = client.post(path, json=body, headers=factories.headers_for(user))
    assert response.status_code == 404


def test_no_token_is_401(client, world):
    assert client.get(f"/api/v1/patrols/{world['patrol'].id}").status_code == 401
