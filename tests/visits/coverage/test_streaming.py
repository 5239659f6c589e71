"""A streamed export reads its rows after the view returned: it must still act for the
caller. Run the way `make run` serves it (embedded default, no app context around the
request), where the request's session is gone by the time the body streams."""

import pytest
from flask.globals import app_ctx
from flask.testing import FlaskClient

from api.db import session
from api.demo.cli import DEMO_PASSWORD, seed_demo

pytestmark = pytest.mark.spatialite


def test_streamed_exports_read_as_the_caller(sqlite_app):
    seed_demo()
    session.commit()
    outer = app_ctx._get_current_object()
    outer.pop()
    try:
        client = FlaskClient(sqlite_app, sqlite_app.response_class)
        token = client.post(
            "/api/v1/auth/login", json={"username": "demo-supervisor", "password": DEMO_PASSWORD}
        ).json["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        areas = client.get("/api/v1/areas?level=town", headers=headers).json
        town = next(area for area in areas if area["name"] == "龙仙镇")
        coverage = client.get(
            f"/api/v1/exports/coverage?format=csv&area_id={town['id']}", headers=headers
        )
        assert coverage.status_code == 200
        assert "龙仙镇（合计）" in coverage.get_data(as_text=True)
        visits = client.get("/api/v1/exports/visits?format=csv", headers=headers)
        assert len(visits.get_data(as_text=True).splitlines()) > 1
    finally:
        outer.push()
