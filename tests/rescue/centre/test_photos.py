"""Photos of residents and open days: attached through the shared photo pipeline, never
served to outreach workers or without a token."""

import io
import uuid

import pytest
from PIL import Image

from tests import factories
from tests.rescue.centre import factories as centre


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 80, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def _upload(client, url, headers, client_uuid=None):
    return client.post(
        url,
        data={
            "file": (io.BytesIO(_jpeg()), "p.jpg"),
            "client_uuid": client_uuid or str(uuid.uuid4()),
        },
        content_type="multipart/form-data",
        headers=headers,
    )


@pytest.fixture
def people(areas):
    return {
        "staff": factories.headers_for(factories.user("rescue_staff", areas.county)),
        "worker": factories.headers_for(factories.user("outreach_worker", areas.county)),
    }


def test_resident_photo_is_served_to_staff_only(client, areas, people, run_jobs):
    person = centre.resident(areas.county)
    url = f"/api/v1/residents/{person.id}/photos"
    response = _upload(client, url, people["staff"])
    assert response.status_code == 201, response.json
    photo_id = response.json["id"]
    run_jobs()
    assert client.get(f"/api/v1/photos/{photo_id}", headers=people["staff"]).status_code == 200
    for variant in ("", "/thumbnail", "/metadata"):
        path = f"/api/v1/photos/{photo_id}{variant}"
        assert client.get(path, headers=people["worker"]).status_code == 404
        assert client.get(path).status_code == 401
    listed = client.get(url, headers=people["staff"])
    assert [p["id"] for p in listed.json] == [photo_id]


def test_outreach_worker_cannot_upload_or_list_resident_photos(client, areas, people):
    person = centre.resident(areas.county)
    url = f"/api/v1/residents/{person.id}/photos"
    assert _upload(client, url, people["worker"]).status_code == 403
    assert client.get(url, headers=people["worker"]).status_code == 403
    assert _upload(client, url, {}).status_code == 401


def test_photo_resend_replays(client, areas, people):
    person = centre.resident(areas.county)
    url = f"/api/v1/residents/{person.id}/photos"
    key = str(uuid.uuid4())
    first = _upload(client, url, people["staff"], key)
    again = _upload(client, url, people["staff"], key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["id"] == again.json["id"]


def test_photo_of_unknown_resident_is_404(client, people):
    assert _upload(client, "/api/v1/residents/987654/photos", people["staff"]).status_code == 404


def test_photo_as_json_is_415(client, areas, people):
    person = centre.resident(areas.county)
    response = client.post(
        f"/api/v1/residents/{person.id}/photos", json={"x": 1}, headers=people["staff"]
    )
    assert response.status_code == 415


def test_open_day_photo_upload(client, areas, people):
    event = centre.open_day_event(areas.county)
    response = _upload(client, f"/api/v1/open-day-events/{event.id}/photos", people["staff"])
    assert response.status_code == 201
    assert response.json["owner_kind"] == "open_day_event"


def test_photo_without_client_uuid_is_422(client, areas, people):
    person = centre.resident(areas.county)
    response = client.post(
        f"/api/v1/residents/{person.id}/photos",
        data={"file": (io.BytesIO(_jpeg()), "p.jpg")},
        content_type="multipart/form-data",
        headers=people["staff"],
    )
    assert response.status_code == 422
    assert "client_uuid" in response.json["errors"]
