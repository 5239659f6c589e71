"""Photos of encounters: the shared photo pipeline, reached through the encounter."""

import io
import uuid
from datetime import UTC, datetime

import pytest
from PIL import Image

from tests import factories
from tests.rescue.patrols import factories as pf

START = datetime(2026, 7, 6, 20, 0, tzinfo=UTC)


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (30, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def upload(client, user, encounter_id, data, client_uuid=None):
    headers = user if isinstance(user, dict) else factories.headers_for(user)
    return client.post(
        f"/api/v1/encounters/{encounter_id}/photos",
        data={
            "client_uuid": client_uuid or str(uuid.uuid4()),
            "file": (io.BytesIO(data), "photo.jpg"),
        },
        headers=headers,
        content_type="multipart/form-data",
    )


@pytest.fixture
def encounter(areas):
    return pf.encounter(pf.patrol(areas.town_a, started_at=START))


def test_photo_is_attached_cleaned_and_listed(client, areas, encounter, run_jobs):
    # Headers made before the jobs run: a job's session cleanup detaches the test's objects.
    rescue = factories.headers_for(factories.user("rescue_staff", areas.county))
    encounter_id = encounter.id
    key = str(uuid.uuid4())
    first = upload(client, rescue, encounter_id, jpeg(), key)
    assert first.status_code == 201, first.json
    assert first.json["owner_kind"] == "encounter"
    assert upload(client, rescue, encounter_id, jpeg(), key).status_code == 200
    run_jobs()
    listed = client.get(f"/api/v1/encounters/{encounter_id}/photos", headers=rescue)
    assert [p["id"] for p in listed.json] == [first.json["id"]]
    assert listed.json[0]["status"] == "ready"


def test_outreach_worker_cannot_upload(client, areas, encounter):
    worker = factories.user("outreach_worker", areas.town_a)
    assert upload(client, worker, encounter.id, jpeg()).status_code == 403


def test_upload_to_other_towns_encounter_is_404(client, areas, encounter):
    town_b_rescue = factories.user("rescue_staff", areas.town_b)
    assert upload(client, town_b_rescue, encounter.id, jpeg()).status_code == 404


def test_not_an_image_is_415(client, areas, encounter):
    rescue = factories.user("rescue_staff", areas.county)
    assert upload(client, rescue, encounter.id, b"%PDF-1.4 nope").status_code == 415


def test_json_body_is_415(client, areas, encounter):
    rescue = factories.user("rescue_staff", areas.county)
    response = client.post(
        f"/api/v1/encounters/{encounter.id}/photos",
        json={"client_uuid": str(uuid.uuid4())},
        headers=factories.headers_for(rescue),
    )
    assert response.status_code == 415


def test_missing_file_or_uuid_is_422(client, areas, encounter):
    rescue = factories.headers_for(factories.user("rescue_staff", areas.county))
    url = f"/api/v1/encounters/{encounter.id}/photos"
    no_file = client.post(
        url,
        data={"client_uuid": str(uuid.uuid4())},
        headers=rescue,
        content_type="multipart/form-data",
    )
    assert no_file.status_code == 422 and "file" in no_file.json["errors"]
    no_uuid = client.post(
        url,
        data={"file": (io.BytesIO(jpeg()), "p.jpg")},
        headers=rescue,
        content_type="multipart/form-data",
    )
    assert no_uuid.status_code == 422 and "client_uuid" in no_uuid.json["errors"]
