"""Help requests on the embedded default (SQLite + SpatiaLite, jobs in-process): staff
intake, the public form and its lookup, the follow-up task, the figures."""

import pytest
from sqlalchemy import select

from api.casework.tasks.models import Task
from api.db import session
from api.jobs.queue import wait_for_in_process_jobs
from tests import factories

pytestmark = pytest.mark.spatialite


def test_help_requests_on_spatialite(sqlite_app):
    areas = factories.area_tree()
    worker = factories.user("outreach_worker", areas.town_a)
    supervisor = factories.user("supervisor", areas.county)
    worker_headers = factories.headers_for(worker)
    supervisor_headers = factories.headers_for(supervisor)
    village_id = areas.village_a1.id
    session.commit()
    client = sqlite_app.test_client()

    taken = client.post(
        "/api/v1/help-requests",
        json={
            "channel": "hotline",
            "requester_phone": "13812345678",
            "description": "家里断粮",
            "urgency": "urgent",
            "urgent_reasons": ["no_food"],
            "area_id": village_id,
        },
        headers=worker_headers,
    )
    assert taken.status_code == 201, taken.json
    online = client.post(
        "/api/v1/help/requests",
        json={"requester_phone": "13900001111", "description": "需要帮助", "area_id": village_id},
    )
    assert online.status_code == 201, online.json
    wait_for_in_process_jobs()

    status = client.post(
        "/api/v1/help/status",
        json={"tracking_code": online.json["tracking_code"], "phone_last4": "1111"},
    )
    assert status.status_code == 200 and status.json["status"] == "assigned"
    wrong = client.post(
        "/api/v1/help/status", json={"tracking_code": "X" * 12, "phone_last4": "1111"}
    )
    assert wrong.status_code == 404

    lead_id = taken.json["id"]
    assert (
        client.get(f"/api/v1/help-requests/{lead_id}", headers=worker_headers).json["status"]
        == "assigned"
    )
    kinds = session.scalars(select(Task.kind).where(Task.subject_kind == "lead")).all()
    assert sorted(kinds) == ["help_request", "help_request"]
    contact = client.post(
        f"/api/v1/help-requests/{lead_id}/contacts", json={"kind": "visit"}, headers=worker_headers
    )
    assert contact.status_code == 201
    closed = client.post(
        f"/api/v1/help-requests/{lead_id}/close",
        json={"outcome": "temporary_assistance_given"},
        headers=worker_headers,
    )
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    figures = client.get("/api/v1/help-requests/stats", headers=supervisor_headers).json
    assert figures["total"] == 2 and figures["by_channel"]["online_form"] == 1
    assert figures["first_contact"]["count"] == 1
    listed = client.get(
        "/api/v1/help-requests",
        query_string={"response_status": "on_track"},
        headers=supervisor_headers,
    )
    assert len(listed.json) == 2
