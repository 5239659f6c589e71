"""A full round of the domain on the embedded default (SQLite + SpatiaLite, jobs in-process)."""

import io
import time
import uuid

import pytest

from api.db import session
from api.jobs.queue import wait_for_in_process_jobs
from tests import factories
from tests.visits import factories as vf

pytestmark = pytest.mark.spatialite


def test_households_visits_review_and_photos_on_spatialite(sqlite_app, shared_dir):
    areas = factories.area_tree()
    worker = factories.user("outreach_worker", areas.town_a)
    supervisor = factories.user("supervisor", areas.county)
    vf.standard(areas.county, 603, "rural")
    worker_headers = factories.headers_for(worker)
    supervisor_headers = factories.headers_for(supervisor)
    village_id = areas.village_a1.id
    session.commit()
    client = sqlite_app.test_client()

    household = client.post(
        "/api/v1/households",
        json={
            "area_id": village_id,
            "address": "甲一村8号",
            "location": {"type": "Point", "coordinates": [114.10, 24.35]},
            "urban_rural": "rural",
            "head_name": "温志强",
            "focus_groups": ["poverty_return_monitoring"],
        },
        headers=worker_headers,
    )
    assert household.status_code == 201, household.json
    home_id = household.json["id"]

    near = client.get(
        "/api/v1/households",
        query_string={
            "near": "114.101,24.35",
            "within_m": 500,
            "focus_group": "poverty_return_monitoring",
        },
        headers=worker_headers,
    )
    assert [h["id"] for h in near.json] == [home_id]
    far = client.get(
        "/api/v1/households",
        query_string={"near": "114.12,24.35", "within_m": 500},
        headers=worker_headers,
    )
    assert far.json == []

    payload = vf.visit_payload(home_id, lon=114.11, lat=24.35)
    payload["findings"] = {"household_size": 3, "monthly_income_total": 1500}
    visit = client.post("/api/v1/visits", json=payload, headers=worker_headers)
    assert visit.status_code == 201, visit.json
    assert visit.json["presence"]["flagged"] is True
    assert visit.json["screening_result"] == "likely_dibao"
    assert client.post("/api/v1/visits", json=payload, headers=worker_headers).status_code == 200
    wait_for_in_process_jobs()

    phoned = [vf.visit_payload(home_id, channel="phone") for _ in range(2)]
    batch = client.post(
        "/api/v1/visits/batch",
        json={"visits": [payload, *phoned, {"bad": 1}]},
        headers=worker_headers,
    )
    results = batch.json["results"]
    assert [r["result"] for r in results] == ["duplicate", "created", "created", "error"]
    # The batch's one audit entry is found by either of its visits (json_each on SQLite).
    audit = client.get(
        "/api/v1/audit",
        query_string={"table_name": "visits", "record_id": results[2]["id"]},
        headers=supervisor_headers,
    )
    assert [entry["record_ids"] for entry in audit.json] == [
        [str(results[1]["id"]), str(results[2]["id"])]
    ]
    # Its changes, stored as the text they were written as, read back as a document.
    changes = audit.json[0]["changes"]
    assert list(changes) == [str(results[1]["id"]), str(results[2]["id"])]
    assert changes[str(results[1]["id"])]["client_uuid"] == {"new": phoned[0]["client_uuid"]}

    wait_for_in_process_jobs()
    review = client.patch(
        f"/api/v1/visits/{visit.json['id']}/review",
        json={"state": "approved"},
        headers=supervisor_headers,
    )
    assert review.status_code == 200

    wait_for_in_process_jobs()
    photo = client.post(
        f"/api/v1/visits/{visit.json['id']}/photos",
        data={
            "file": (
                io.BytesIO((shared_dir / "testdata/photos/gps_DSCN0010.jpg").read_bytes()),
                "a.jpg",
            ),
            "client_uuid": str(uuid.uuid4()),
        },
        content_type="multipart/form-data",
        headers=worker_headers,
    )
    assert photo.status_code == 201, photo.json
    photo_id = photo.json["id"]
    deadline = time.monotonic() + 30
    status = "pending"
    while status == "pending" and time.monotonic() < deadline:
        time.sleep(0.2)
        status = client.get(f"/api/v1/photos/{photo_id}/metadata", headers=worker_headers).json[
            "status"
        ]
    assert status == "ready"
    image = client.get(f"/api/v1/photos/{photo_id}", headers=worker_headers)
    assert image.status_code == 200 and b"Exif" not in image.data
