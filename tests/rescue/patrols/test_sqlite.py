"""A full patrol cycle on the embedded back end (SQLite + SpatiaLite, jobs in-process)."""

import uuid

import pytest

from api.db import session
from api.demo.cli import DEMO_PASSWORD, seed_demo

pytestmark = pytest.mark.spatialite


def sign_in(client, username):
    tokens = client.post(
        "/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD}
    ).json
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def test_demo_patrols_then_a_new_patrol_cycle(sqlite_app):
    assert seed_demo() is True
    session.commit()
    client = sqlite_app.test_client()
    rescue = sign_in(client, "demo-rescue")

    campaigns = client.get("/api/v1/campaigns?kind=summer_cooling", headers=rescue).json
    summer = next(c for c in campaigns if c["starts_on"] == "2026-06-15")
    stats = client.get(f"/api/v1/campaigns/{summer['id']}/stats", headers=rescue).json
    assert stats["totals"]["encounters"] == 3
    assert stats["previous"]["totals"]["encounters"] == 1

    demo_map = client.get("/api/v1/patrols/map?bbox=114.12,24.34,114.14,24.36", headers=rescue).json
    assert len(demo_map["features"]) == 6
    assert all(f["geometry"]["type"] == "LineString" for f in demo_map["features"])
    away = client.get("/api/v1/patrols/map?bbox=113.90,24.29,113.91,24.31", headers=rescue).json
    assert away["features"] == []

    body = {
        "client_uuid": str(uuid.uuid4()),
        "campaign_id": summer["id"],
        "mode": "on_foot",
        "started_at": "2026-08-01T14:00:00+08:00",
    }
    created = client.post("/api/v1/patrols", json=body, headers=rescue)
    assert created.status_code == 201
    assert client.post("/api/v1/patrols", json=body, headers=rescue).status_code == 200
    patrol_id = created.json["id"]

    points = [
        {"lon": 114.131, "lat": 24.352, "recorded_at": "2026-08-01T14:02:00+08:00"},
        {"lon": 114.130, "lat": 24.350, "recorded_at": "2026-08-01T14:00:00+08:00"},
        {"lon": 114.131, "lat": 24.351, "recorded_at": "2026-08-01T14:01:00+08:00"},
        {"lon": 114.300, "lat": 24.351, "recorded_at": "2026-08-01T14:01:30+08:00"},
    ]
    track = client.post(
        f"/api/v1/patrols/{patrol_id}/track", json={"points": points}, headers=rescue
    )
    assert track.status_code == 200
    assert track.json["excluded"]["implausible_speed"] == 1
    assert track.json["route_from"] == 0 and len(track.json["route_tail"]) == 3
    assert track.json["length_m"] > 200
    resent = client.post(
        f"/api/v1/patrols/{patrol_id}/track", json={"points": points}, headers=rescue
    )
    assert resent.json["added"] == 0 and resent.json["route_from"] == 3
    route = client.get(f"/api/v1/patrols/{patrol_id}/track", headers=rescue).json["route"]
    assert route["coordinates"] == track.json["route_tail"]

    encounter = client.post(
        f"/api/v1/patrols/{patrol_id}/encounters",
        json={
            "client_uuid": str(uuid.uuid4()),
            "occurred_at": "2026-08-01T14:01:00+08:00",
            "location": {"type": "Point", "coordinates": [114.131, 24.351]},
            "aid": [{"kind": "water", "quantity": 2}],
            "outcome": "accepted_aid",
            "new_street_person": {"alias": "路口大叔"},
        },
        headers=rescue,
    )
    assert encounter.status_code == 201
    assert encounter.json["street_person_id"]
    bbox = client.get(
        "/api/v1/encounters/map?bbox=114.1305,24.3505,114.1315,24.3515", headers=rescue
    )
    assert encounter.json["id"] in [f["id"] for f in bbox.json["features"]]
    ended = client.patch(
        f"/api/v1/patrols/{patrol_id}",
        json={"ended_at": "2026-08-01T16:00:00+08:00", "summary": "完成"},
        headers=rescue,
    )
    assert ended.status_code == 200
    stats = client.get(f"/api/v1/campaigns/{summer['id']}/stats", headers=rescue).json
    assert stats["totals"]["encounters"] == 4 and stats["totals"]["aid"]["water"] >= 2

    worker = sign_in(client, "demo-worker")
    assert client.post("/api/v1/patrols", json=body, headers=worker).status_code == 403
