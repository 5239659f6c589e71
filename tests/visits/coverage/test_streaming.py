"""A streamed export reads its rows after the view returned: it must still act for the
caller, on the request's own session. Run the way `make run` and gunicorn serve it (no app
context around the request), where the request has ended by the time the body streams."""

import pytest
from flask.globals import app_ctx
from flask.testing import FlaskClient
from sqlalchemy import text

from api.db import session
from api.demo.cli import DEMO_PASSWORD, seed_demo
from api.jobs.queue import wait_for_in_process_jobs
from tests.databases import scratch_database


@pytest.mark.spatialite
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


def test_an_export_streams_past_its_first_batch_on_postgresql(tmp_path, monkeypatch):
    # Committed data in a database of its own; batches of two rows, so that the stream
    # reads many batches from the cursor its first chunk opened inside the request.
    from api import create_app
    from api.visits.coverage import exports

    monkeypatch.setattr(exports, "BATCH", 2)
    previous_bind = session.session_factory.kw.get("bind")
    with scratch_database("doudi_stream") as url:
        app = create_app(
            {
                "DATABASE_URL": url,
                "REDIS_URL": "",
                "PHOTO_STORAGE_DIR": str(tmp_path / "photos"),
                "SECRET_KEY": "test-secret",
                "LOG_JSON": False,
                "TESTING": True,
            }
        )
        try:
            with app.app_context():
                seed_demo()
                session.commit()
                wait_for_in_process_jobs()
                visits = session.execute(text("SELECT count(*) FROM visits")).scalar()
            client = FlaskClient(app, app.response_class)
            token = client.post(
                "/api/v1/auth/login",
                json={"username": "demo-supervisor", "password": DEMO_PASSWORD},
            ).json["access_token"]
            for file_format in ("csv", "xlsx"):
                response = client.get(
                    f"/api/v1/exports/visits?format={file_format}&from=2020-01-01",
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert response.status_code == 200
                body = response.get_data()
                if file_format == "csv":
                    assert len(body.decode("utf-8-sig").splitlines()) == visits + 1
                else:
                    assert body.startswith(b"PK")
        finally:
            wait_for_in_process_jobs()
            session.remove()
            app.extensions["doudi.engine"].dispose()
            session.configure(bind=previous_bind)
