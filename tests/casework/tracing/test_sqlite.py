"""A full centre and tracing cycle on the embedded default (SQLite + SpatiaLite): demo
data, admission, a case from opening to reunion, reports."""

import pytest

from api.db import session
from api.demo.cli import DEMO_PASSWORD, seed_demo

pytestmark = pytest.mark.spatialite


def test_admission_to_reunion_on_spatialite(sqlite_app):
    assert seed_demo() is True
    session.commit()
    client = sqlite_app.test_client()
    tokens = client.post(
        "/api/v1/auth/login", json={"username": "demo-rescue", "password": DEMO_PASSWORD}
    ).json
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}

    long_stay = client.get("/api/v1/residents/long-stay", headers=headers)
    assert long_stay.status_code == 200
    assert long_stay.json["count"] >= 4  # the demo's long-stay residents
    statuses = {c["status"] for c in client.get("/api/v1/tracing-cases", headers=headers).json}
    assert statuses == {
        "open",
        "searching",
        "lead_found",
        "verifying",
        "reunited",
        "settled_locally",
        "closed_other",
    }

    admitted = client.post(
        "/api/v1/residents",
        json={"admitted_at": "2026-01-05T10:00:00+08:00", "stated_name": "阿华"},
        headers=headers,
    )
    assert admitted.status_code == 201, admitted.json
    resident_id = admitted.json["id"]
    case = client.post("/api/v1/tracing-cases", json={"resident_id": resident_id}, headers=headers)
    assert case.status_code == 201
    case_id = case.json["id"]
    assert (
        client.post(
            "/api/v1/tracing-cases", json={"resident_id": resident_id}, headers=headers
        ).status_code
        == 409
    )  # the partial unique index holds on SQLite too
    for step in ("searching", "lead_found", "verifying"):
        moved = client.post(
            f"/api/v1/tracing-cases/{case_id}/status", json={"status": step}, headers=headers
        )
        assert moved.status_code == 200, moved.json
    refused = client.post(
        f"/api/v1/tracing-cases/{case_id}/status", json={"status": "open"}, headers=headers
    )
    assert refused.status_code == 409
    action = client.post(
        f"/api/v1/tracing-cases/{case_id}/actions",
        json={"kind": "phone_call", "details": "联系家属"},
        headers=headers,
    )
    assert action.status_code == 201
    done = client.post(
        f"/api/v1/tracing-cases/{case_id}/outcome",
        json={"outcome": "reunited", "collected_by": "阿华的哥哥", "destination": "广东梅州"},
        headers=headers,
    )
    assert done.status_code == 200, done.json
    resident = client.get(f"/api/v1/residents/{resident_id}", headers=headers).json
    assert resident["discharge_reason"] == "family_collected"
    report = client.get("/api/v1/tracing-cases/reports/outcomes", headers=headers)
    assert report.status_code == 200 and report.json["totals"]["reunited"] >= 1
    assert client.get("/api/v1/tracing-cases/reports/open", headers=headers).status_code == 200
