"""Delta sync on the embedded default (SQLite + SpatiaLite): stamps from the tables."""

import pytest
from sqlalchemy import select

from api.db import session
from api.demo.cli import DEMO_PASSWORD, seed_demo
from api.visits.models import Household

pytestmark = pytest.mark.spatialite


def test_sync_on_sqlite(sqlite_app):
    seed_demo()
    session.commit()
    client = sqlite_app.test_client()
    tokens = client.post(
        "/api/v1/auth/login", json={"username": "demo-worker", "password": DEMO_PASSWORD}
    ).json
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    first = client.get("/api/v1/sync/households", headers=headers)
    assert first.status_code == 200, first.json
    ids = {record["id"] for record in first.json["records"]}
    town_area_ids = {area["id"] for area in client.get("/api/v1/areas", headers=headers).json}
    expected = set(
        session.scalars(select(Household.id).where(Household.area_id.in_(town_area_ids)))
    )
    assert ids == expected and ids
    cursor = first.json["cursor"]
    assert (
        client.get(
            "/api/v1/sync/households", query_string={"cursor": cursor}, headers=headers
        ).json["records"]
        == []
    )
    household_id = min(ids)
    changed = client.patch(
        f"/api/v1/households/{household_id}", json={"address": "新址"}, headers=headers
    )
    assert changed.status_code == 200, changed.json
    delta = client.get(
        "/api/v1/sync/households", query_string={"cursor": cursor}, headers=headers
    ).json
    assert [record["id"] for record in delta["records"]] == [household_id]
    after = client.get(
        "/api/v1/sync/households", query_string={"cursor": delta["cursor"]}, headers=headers
    ).json
    assert after["records"] == [] and after["tombstones"] == []
    tasks = client.get("/api/v1/sync/tasks", headers=headers)
    assert tasks.status_code == 200, tasks.json
