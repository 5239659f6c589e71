"""The embedded default (what `make run` serves): SQLite + SpatiaLite, jobs in-process."""

import pytest
from sqlalchemy import select

from api.areas.models import Area
from api.db import session
from api.demo.cli import DEMO_PASSWORD, seed_demo

pytestmark = pytest.mark.spatialite


def test_demo_seed_then_sign_in_and_read_areas(sqlite_app):
    assert seed_demo() is True
    session.commit()
    assert seed_demo() is False  # once only
    client = sqlite_app.test_client()
    tokens = client.post(
        "/api/v1/auth/login", json={"username": "demo-worker", "password": DEMO_PASSWORD}
    ).json
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = client.get("/api/v1/me", headers=headers).json
    assert me["area"]["name"] == "龙仙镇"
    areas = client.get("/api/v1/areas", headers=headers)
    assert areas.status_code == 200
    assert {area["name"] for area in areas.json} == {"龙仙镇", "城东社区", "城西社区", "青云村"}
    town = next(area for area in areas.json if area["level"] == "town")
    assert town["boundary"]["type"] == "MultiPolygon"


def test_admin_creates_an_account_and_it_signs_in(sqlite_app):
    seed_demo()
    session.commit()
    client = sqlite_app.test_client()
    admin = client.post(
        "/api/v1/auth/login", json={"username": "demo-admin", "password": DEMO_PASSWORD}
    ).json
    town = session.scalar(select(Area).where(Area.name == "江尾镇"))
    created = client.post(
        "/api/v1/users",
        json={
            "username": "sqlite-user",
            "display_name": "新社工",
            "role": "outreach_worker",
            "area_id": town.id,
            "password": "long enough",
        },
        headers={"Authorization": f"Bearer {admin['access_token']}"},
    )
    assert created.status_code == 201
    login = client.post(
        "/api/v1/auth/login", json={"username": "sqlite-user", "password": "long enough"}
    )
    assert login.status_code == 200


def test_readiness_on_the_embedded_default(sqlite_app):
    response = sqlite_app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "queue": "ok"}
