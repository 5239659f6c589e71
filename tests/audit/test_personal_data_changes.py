"""Changes to household members, focus groups, programmes and photos leave audit entries,
ID numbers masked (Household.audit_collections, Photo is Audited)."""

import io
import uuid

from sqlalchemy import select

from api.audit.models import AuditEntry
from api.photos import storage
from api.photos.models import Photo
from tests import factories
from tests.visits import factories as vf

ID_A = vf.valid_id_number("440229199001011233")
ID_B = vf.valid_id_number("44022919850202002X")


def _masked(number):
    return number[:4] + "*" * 10 + number[-4:]


def _entries(db, table, record_id):
    return db.scalars(
        select(AuditEntry)
        .where(AuditEntry.table_name == table, AuditEntry.record_id == str(record_id))
        .order_by(AuditEntry.id)
    ).all()


def _member(name, **extra):
    return {"name": name, "relation": "户主", "sex": "male", "birth_year": 1990, **extra}


def _spouse(name):
    return _member(name, relation="配偶", sex="female")


def _create(client, headers, areas):
    body = {
        "area_id": areas.village_a1.id,
        "address": "甲一村1号",
        "urban_rural": "rural",
        "head_name": "陈伟",
        "members": [_member("陈伟", id_number=ID_A, health="良好"), _spouse("林芳")],
        "focus_groups": ["unemployed"],
        "programmes": ["dibao"],
    }
    response = client.post("/api/v1/households", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_creating_a_household_logs_its_members_groups_and_programmes(client, db, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    household_id = _create(client, factories.headers_for(worker), areas)

    [create] = _entries(db, "households", household_id)
    members = create.changes["members"]["new"]
    assert [m["name"] for m in members] == ["陈伟", "林芳"]
    assert members[0]["id_number"] == _masked(ID_A) and members[0]["health"] == "良好"
    assert "id" not in members[0] and "household_id" not in members[0]
    assert create.changes["focus_groups"] == {"new": ["unemployed"]}
    assert create.changes["programmes"] == {"new": ["dibao"]}
    assert ID_A not in str(create.changes)


def test_member_name_id_number_and_health_changes_are_logged(client, db, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    headers = factories.headers_for(worker)
    household_id = _create(client, headers, areas)
    # A valid ID number states sex and birth year: the typed ones are left out.
    head = _member("陈伟", id_number=ID_B, health="住院", sex=None, birth_year=None)
    members = [head, _spouse("林芳芳")]

    response = client.patch(
        f"/api/v1/households/{household_id}", json={"members": members}, headers=headers
    )
    assert response.status_code == 200, response.json

    update = _entries(db, "households", household_id)[-1]
    assert update.action == "update" and update.actor_id == worker.id
    assert update.area_id == areas.village_a1.id
    old, new = update.changes["members"]["old"], update.changes["members"]["new"]
    assert [(m["name"], m["id_number"], m["health"]) for m in old] == [
        ("陈伟", _masked(ID_A), "良好"),
        ("林芳", None, None),
    ]
    assert [(m["name"], m["id_number"], m["health"]) for m in new] == [
        ("陈伟", _masked(ID_B), "住院"),
        ("林芳芳", None, None),
    ]
    assert ID_A not in str(update.changes) and ID_B not in str(update.changes)
    assert "focus_groups" not in update.changes and "programmes" not in update.changes


def test_focus_group_and_programme_changes_are_logged(client, db, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    headers = factories.headers_for(worker)
    household_id = _create(client, headers, areas)

    client.patch(
        f"/api/v1/households/{household_id}",
        json={"focus_groups": ["unemployed", "low_income_marginal"]},
        headers=headers,
    )
    client.patch(f"/api/v1/households/{household_id}", json={"programmes": []}, headers=headers)

    groups, programmes = _entries(db, "households", household_id)[-2:]
    assert groups.changes["focus_groups"] == {
        "old": ["unemployed"],
        "new": ["low_income_marginal", "unemployed"],
    }
    assert "members" not in groups.changes and "programmes" not in groups.changes
    assert programmes.changes["programmes"] == {"old": ["dibao"], "new": []}


def test_resending_the_same_members_logs_no_member_change(client, db, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    headers = factories.headers_for(worker)
    household_id = _create(client, headers, areas)
    same = [_member("陈伟", id_number=ID_A, health="良好"), _spouse("林芳")]

    client.patch(f"/api/v1/households/{household_id}", json={"members": same}, headers=headers)

    update = _entries(db, "households", household_id)[-1]
    assert "members" not in update.changes


def test_a_member_changed_in_place_is_logged_with_its_old_value(db, areas):
    home = vf.household(areas.village_a1, members=1)
    home.members[0].health = "残疾"
    home.notes = "复核"
    db.flush()

    update = _entries(db, "households", home.id)[-1]
    [old], [new] = update.changes["members"]["old"], update.changes["members"]["new"]
    assert (old["health"], new["health"]) == (None, "残疾")


# --- photos ------------------------------------------------------------------------------


def _visit(client, worker, areas):
    home = vf.household(areas.village_a1)
    response = client.post(
        "/api/v1/visits", json=vf.visit_payload(home.id), headers=factories.headers_for(worker)
    )
    assert response.status_code == 201
    return response.json["id"]


def _upload(client, headers, visit_id, data):
    response = client.post(
        f"/api/v1/visits/{visit_id}/photos",
        data={"file": (io.BytesIO(data), "p.jpg"), "client_uuid": str(uuid.uuid4())},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_photo_upload_cleaning_and_deletion_are_logged(client, db, areas, shared_dir, run_jobs):
    worker = factories.user("outreach_worker", areas.town_a)
    worker_id, headers = worker.id, factories.headers_for(worker)
    data = (shared_dir / "testdata/photos/Canon_40D.jpg").read_bytes()
    photo_id = _upload(client, headers, _visit(client, worker, areas), data)
    run_jobs()

    create, cleaned = _entries(db, "photos", photo_id)
    assert create.action == "create" and create.actor_id == worker_id
    assert create.changes["status"] == {"new": "pending"}
    assert create.changes["owner_kind"] == {"new": "visit"}
    assert "content_hash" not in create.changes
    assert cleaned.action == "update" and cleaned.actor_id is None  # the job
    assert cleaned.changes["status"] == {"old": "pending", "new": "ready"}

    db.delete(db.get(Photo, photo_id))
    db.flush()
    deleted = _entries(db, "photos", photo_id)[-1]
    assert deleted.action == "delete" and deleted.changes["status"] == {"old": "ready"}


def test_photo_that_fails_in_the_job_is_logged_with_the_reason(
    client, db, areas, shared_dir, run_jobs
):
    worker = factories.user("outreach_worker", areas.town_a)
    headers = factories.headers_for(worker)
    data = (shared_dir / "testdata/photos/Canon_40D.jpg").read_bytes()
    photo_id = _upload(client, headers, _visit(client, worker, areas), data)
    storage.path_for("originals", storage.sha256(data)).unlink()
    run_jobs()

    failed = _entries(db, "photos", photo_id)[-1]
    assert failed.changes["status"] == {"old": "pending", "new": "failed"}
    assert "missing" in failed.changes["failure_reason"]["new"]
