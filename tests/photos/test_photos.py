"""Photos of visits: upload rules, the cleaning job, serving, flags, permissions."""

import io
import uuid

import pillow_heif
import pytest
from PIL import Image, ImageChops, ImageOps, ImageStat
from sqlalchemy import select

from api.jobs.models import OutboxJob
from api.photos.models import Photo
from tests import factories
from tests.visits import factories as vf

PHOTOS = "testdata/photos"


@pytest.fixture
def worker(areas):
    return factories.user("outreach_worker", areas.town_a)


@pytest.fixture
def visit_id(client, worker, areas):
    home = vf.household(areas.village_a1)
    response = client.post("/api/v1/visits", json=vf.visit_payload(home.id), headers=auth(worker))
    assert response.status_code == 201
    return response.json["id"]


_HEADERS = {}


def auth(user):
    """Headers for ``user``, made once: a job run detaches the test's ORM objects."""
    key = id(user)
    if key not in _HEADERS:
        _HEADERS[key] = (user, factories.headers_for(user))
    return _HEADERS[key][1]


@pytest.fixture(autouse=True)
def _forget_headers():
    yield
    _HEADERS.clear()


def upload(client, user, visit_id, data, client_uuid=None, filename="p.jpg"):
    return client.post(
        f"/api/v1/visits/{visit_id}/photos",
        data={
            "file": (io.BytesIO(data), filename),
            "client_uuid": client_uuid or str(uuid.uuid4()),
        },
        content_type="multipart/form-data",
        headers=auth(user),
    )


def read(shared_dir, name):
    return (shared_dir / PHOTOS / name).read_bytes()


def cleaned(client, user, photo_id, variant=""):
    response = client.get(f"/api/v1/photos/{photo_id}{variant}", headers=auth(user))
    assert response.status_code == 200, response.json
    return response


def test_upload_is_pending_until_the_job_runs(client, worker, visit_id, shared_dir, run_jobs, db):
    response = upload(client, worker, visit_id, read(shared_dir, "Canon_40D.jpg"))
    assert response.status_code == 201, response.json
    assert response.json["status"] == "pending"
    photo_id = response.json["id"]
    pending = client.get(f"/api/v1/photos/{photo_id}", headers=auth(worker))
    assert pending.status_code == 409
    run_jobs()
    meta = client.get(f"/api/v1/photos/{photo_id}/metadata", headers=auth(worker))
    assert meta.json["status"] == "ready"
    assert cleaned(client, worker, photo_id).mimetype == "image/jpeg"


def test_served_bytes_carry_no_exif_and_gps_is_kept_on_the_record(
    client, worker, visit_id, shared_dir, run_jobs
):
    original = read(shared_dir, "gps_DSCN0010.jpg")
    assert b"Exif" in original
    photo_id = upload(client, worker, visit_id, original).json["id"]
    run_jobs()
    for variant in ("", "/thumbnail"):
        body = cleaned(client, worker, photo_id, variant).data
        image = Image.open(io.BytesIO(body))
        assert not image.getexif()
        assert b"Exif" not in body and b"GPS" not in body and b"NIKON" not in body
        assert "exif" not in image.info and "icc_profile" not in image.info
    meta = client.get(f"/api/v1/photos/{photo_id}/metadata", headers=auth(worker))
    lon, lat = meta.json["exif_location"]["coordinates"]
    assert lon == pytest.approx(11.885, abs=1e-3) and lat == pytest.approx(43.467, abs=1e-3)
    # The camera's local time without offset is read as county time (UTC+8).
    assert meta.json["exif_taken_at"] == "2008-10-22T08:28:39+00:00"


def test_photo_far_from_visit_and_long_before_it_is_flagged(
    client, worker, visit_id, shared_dir, run_jobs, db
):
    photo_id = upload(client, worker, visit_id, read(shared_dir, "gps_DSCN0010.jpg")).json["id"]
    run_jobs()
    photo = db.get(Photo, photo_id)
    db.refresh(photo)
    assert photo.flagged is True
    assert set(photo.flags) == {"far_from_reference_point", "taken_long_before_reference_time"}
    assert photo.distance_m > 8_000_000
    assert photo.age_hours > 24 * 365
    job = db.scalar(select(OutboxJob).where(OutboxJob.func == "workers.followup.photo_flagged"))
    assert job is not None and job.args == [photo_id]


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_orientation_comes_out_upright(
    client, worker, visit_id, shared_dir, run_jobs, orientation
):
    ids = {}
    for n in {1, orientation}:
        ids[n] = upload(
            client, worker, visit_id, read(shared_dir, f"orientation/landscape_{n}.jpg")
        ).json["id"]
    run_jobs()
    reference = Image.open(io.BytesIO(cleaned(client, worker, ids[1]).data)).convert("L")
    image = Image.open(io.BytesIO(cleaned(client, worker, ids[orientation]).data)).convert("L")
    assert image.size == reference.size == (600, 450)

    def difference(candidate):
        return ImageStat.Stat(ImageChops.difference(candidate, reference)).mean[0]

    # The samples differ a little (each shows its number); a wrong turn differs a lot.
    assert difference(image) < 25
    assert difference(image) < difference(ImageOps.mirror(image)) - 20
    assert difference(image) < difference(image.rotate(180)) - 20


def test_portrait_stays_portrait(client, worker, visit_id, shared_dir, run_jobs):
    photo_id = upload(
        client, worker, visit_id, read(shared_dir, "orientation/portrait_6.jpg")
    ).json["id"]
    run_jobs()
    image = Image.open(io.BytesIO(cleaned(client, worker, photo_id).data))
    assert image.size == (450, 600)


def test_corrupted_jpeg_is_refused_with_422(client, worker, visit_id, shared_dir, db):
    response = upload(client, worker, visit_id, read(shared_dir, "corrupted.jpg"))
    assert response.status_code == 422
    assert "file" in response.json["errors"]
    assert db.scalar(select(Photo.id)) is None


def test_truncated_jpeg_is_refused(client, worker, visit_id, shared_dir):
    data = read(shared_dir, "gps_DSCN0010.jpg")
    assert upload(client, worker, visit_id, data[: len(data) // 2]).status_code == 422


def test_heic_is_accepted_and_served_as_jpeg(client, worker, visit_id, run_jobs):
    heif = pillow_heif.from_pillow(Image.new("RGB", (640, 480), (200, 30, 30)))
    out = io.BytesIO()
    heif.save(out, quality=80)
    response = upload(client, worker, visit_id, out.getvalue(), filename="IMG_0001.HEIC")
    assert response.status_code == 201, response.json
    assert response.json["media_type"] == "image/heic"
    run_jobs()
    image = Image.open(io.BytesIO(cleaned(client, worker, response.json["id"]).data))
    assert image.format == "JPEG" and image.size == (640, 480)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_accepted(client, worker, visit_id, run_jobs, fmt):
    out = io.BytesIO()
    Image.new("RGBA", (50, 40), (0, 0, 255, 128)).save(out, fmt)
    response = upload(client, worker, visit_id, out.getvalue())
    assert response.status_code == 201, response.json
    run_jobs()
    assert cleaned(client, worker, response.json["id"]).status_code == 200


@pytest.mark.parametrize(
    "data", [b"GIF89a" + b"\0" * 100, b"%PDF-1.4 not an image", b"<svg xmlns='x'/>"]
)
def test_other_file_types_are_415(client, worker, visit_id, data):
    assert upload(client, worker, visit_id, data).status_code == 415


def test_empty_file_is_422(client, worker, visit_id):
    assert upload(client, worker, visit_id, b"").status_code == 422


def test_file_over_the_size_limit_is_413(client, worker, visit_id, app):
    app.config["PHOTO_MAX_BYTES"] = 1000
    try:
        response = upload(client, worker, visit_id, b"\xff\xd8\xff" + b"\0" * 2000)
    finally:
        app.config["PHOTO_MAX_BYTES"] = 20 * 1024 * 1024
    assert response.status_code == 413


def test_decompression_bomb_is_refused(client, worker, visit_id):
    out = io.BytesIO()
    # 10000 x 10000 of one colour: a few hundred kilobytes that would decode to 300 MB.
    Image.new("L", (10000, 10000), 0).save(out, "PNG", optimize=True)
    response = upload(client, worker, visit_id, out.getvalue())
    assert response.status_code == 422
    assert "pixels" in response.json["errors"]["file"][0]


def test_image_that_fails_in_the_job_ends_failed_not_500(
    client, worker, visit_id, run_jobs, db, app
):
    out = io.BytesIO()
    Image.new("RGB", (100, 100), (1, 2, 3)).save(out, "JPEG")
    response = upload(client, worker, visit_id, out.getvalue())
    app.config["PHOTO_MAX_PIXELS"] = 50  # the job now finds it unprocessable
    try:
        run_jobs()
    finally:
        app.config["PHOTO_MAX_PIXELS"] = 64_000_000
    meta = client.get(f"/api/v1/photos/{response.json['id']}/metadata", headers=auth(worker))
    assert meta.json["status"] == "failed"
    assert "pixels" in meta.json["failure_reason"]
    visit = client.get(f"/api/v1/visits/{visit_id}", headers=auth(worker))
    assert visit.status_code == 200


def test_missing_file_or_uuid_is_422(client, worker, visit_id):
    headers = auth(worker)
    url = f"/api/v1/visits/{visit_id}/photos"
    no_file = client.post(
        url,
        data={"client_uuid": str(uuid.uuid4())},
        headers=headers,
        content_type="multipart/form-data",
    )
    no_uuid = client.post(
        url,
        data={"file": (io.BytesIO(b"x"), "a.jpg")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert no_file.status_code == 422 and no_uuid.status_code == 422


def test_json_body_is_415(client, worker, visit_id):
    response = client.post(
        f"/api/v1/visits/{visit_id}/photos",
        json={"file": "x"},
        headers=auth(worker),
    )
    assert response.status_code == 415


def test_upload_is_idempotent(client, worker, visit_id, shared_dir, db):
    data = read(shared_dir, "Canon_40D.jpg")
    key = str(uuid.uuid4())
    first = upload(client, worker, visit_id, data, key)
    again = upload(client, worker, visit_id, data, key)
    other = upload(client, worker, visit_id, read(shared_dir, "gps_DSCN0010.jpg"), key)
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert again.json["id"] == first.json["id"]


def test_files_are_named_by_content_hash_outside_static(
    client, worker, visit_id, shared_dir, run_jobs, db, app
):
    photo_id = upload(client, worker, visit_id, read(shared_dir, "Canon_40D.jpg")).json["id"]
    run_jobs()
    photo = db.get(Photo, photo_id)
    db.refresh(photo)
    from pathlib import Path

    root = Path(app.config["PHOTO_STORAGE_DIR"])
    assert (root / "originals" / photo.original_sha256[:2] / photo.original_sha256).exists()
    assert (root / "cleaned" / photo.cleaned_sha256[:2] / photo.cleaned_sha256).exists()
    assert "static" not in str(root)


def test_etag_gives_304(client, worker, visit_id, shared_dir, run_jobs):
    photo_id = upload(client, worker, visit_id, read(shared_dir, "Canon_40D.jpg")).json["id"]
    run_jobs()
    first = cleaned(client, worker, photo_id)
    assert first.headers["Cache-Control"] == "private, max-age=86400"
    again = client.get(
        f"/api/v1/photos/{photo_id}",
        headers={**auth(worker), "If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304


def test_other_town_cannot_see_or_attach(client, worker, visit_id, shared_dir, run_jobs, areas):
    photo_id = upload(client, worker, visit_id, read(shared_dir, "Canon_40D.jpg")).json["id"]
    run_jobs()
    stranger = factories.user("outreach_worker", areas.town_b)
    headers = auth(stranger)
    assert client.get(f"/api/v1/visits/{visit_id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/photos/{photo_id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/photos/{photo_id}/thumbnail", headers=headers).status_code == 404
    assert upload(client, stranger, visit_id, read(shared_dir, "Canon_40D.jpg")).status_code == 404


def test_photos_need_authentication(client, worker, visit_id, shared_dir, run_jobs):
    photo_id = upload(client, worker, visit_id, read(shared_dir, "Canon_40D.jpg")).json["id"]
    run_jobs()
    assert client.get(f"/api/v1/photos/{photo_id}").status_code == 401


def test_rescue_staff_do_not_see_visit_photos(
    client, worker, visit_id, shared_dir, run_jobs, areas
):
    photo_id = upload(client, worker, visit_id, read(shared_dir, "Canon_40D.jpg")).json["id"]
    run_jobs()
    rescue = factories.user("rescue_staff", areas.county)
    assert client.get(f"/api/v1/photos/{photo_id}", headers=auth(rescue)).status_code == 404


def test_visit_lists_its_photos(client, worker, visit_id, shared_dir):
    upload(client, worker, visit_id, read(shared_dir, "Canon_40D.jpg"))
    response = client.get(f"/api/v1/visits/{visit_id}/photos", headers=auth(worker))
    assert response.status_code == 200 and len(response.json) == 1


def test_twelve_megapixel_jpeg_is_cleaned_within_the_long_side_limit(
    client, worker, visit_id, run_jobs, db, app
):
    # Speed is measured by bench/ (benchmark 6), not here: this machine is shared.
    out = io.BytesIO()
    Image.effect_noise((4000, 3000), 40).convert("RGB").save(out, "JPEG", quality=85)
    response = upload(client, worker, visit_id, out.getvalue())
    run_jobs()
    photo = db.get(Photo, response.json["id"])
    db.refresh(photo)
    limit = app.config["PHOTO_CLEAN_MAX_SIDE"]
    assert photo.status == "ready"
    # Decoded at a reduced JPEG scale: at most the limit, and within 10 % of it.
    assert 0.9 * limit <= max(photo.width, photo.height) <= limit


def test_truncated_heic_is_refused(client, worker, visit_id):
    heif = pillow_heif.from_pillow(Image.new("RGB", (640, 480), (20, 30, 200)))
    out = io.BytesIO()
    heif.save(out, quality=80)
    data = out.getvalue()
    response = upload(client, worker, visit_id, data[: len(data) // 3], filename="x.heic")
    assert 400 <= response.status_code < 500


def _jpeg(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


def test_resending_an_upload_returns_the_stored_photo(client, worker, visit_id):
    client_uuid = str(uuid.uuid4())
    first = upload(client, worker, visit_id, _jpeg("red"), client_uuid=client_uuid)
    again = upload(client, worker, visit_id, _jpeg("red"), client_uuid=client_uuid)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json["id"] == first.json["id"]


def test_a_reused_client_uuid_with_other_bytes_is_409(client, worker, visit_id):
    client_uuid = str(uuid.uuid4())
    assert (
        upload(client, worker, visit_id, _jpeg("red"), client_uuid=client_uuid).status_code == 201
    )
    response = upload(client, worker, visit_id, _jpeg("blue"), client_uuid=client_uuid)
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"


def test_a_reused_client_uuid_on_another_visit_is_409(client, worker, visit_id, areas):
    other = client.post(
        "/api/v1/visits",
        json=vf.visit_payload(vf.household(areas.village_a2).id),
        headers=auth(worker),
    ).json["id"]
    client_uuid = str(uuid.uuid4())
    assert (
        upload(client, worker, visit_id, _jpeg("red"), client_uuid=client_uuid).status_code == 201
    )
    assert upload(client, worker, other, _jpeg("red"), client_uuid=client_uuid).status_code == 409
