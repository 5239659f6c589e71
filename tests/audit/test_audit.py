"""The audit log records who changed what, with personal data masked."""

from sqlalchemy import select

from api.areas.scope import Actor, set_actor
from api.audit.models import AuditEntry
from api.audit.services import record_reveal
from tests import factories


def _entries(db, table, record_id):
    return db.scalars(
        select(AuditEntry)
        .where(AuditEntry.table_name == table, AuditEntry.record_id == str(record_id))
        .order_by(AuditEntry.id)
    ).all()


def test_create_and_update_are_logged_with_old_and_new_values(client, db, areas):
    admin = factories.user("admin", areas.county)
    headers = factories.headers_for(admin)
    created = client.post(
        "/api/v1/users",
        json={
            "username": "audited",
            "display_name": "旧名",
            "role": "outreach_worker",
            "area_id": areas.town_a.id,
            "password": "long enough",
        },
        headers=headers,
    )
    user_id = created.json["id"]
    client.patch(f"/api/v1/users/{user_id}", json={"display_name": "新名"}, headers=headers)

    create, update = _entries(db, "users", user_id)
    assert create.action == "create" and create.actor_id == admin.id
    assert create.changes["display_name"] == {"new": "旧名"}
    assert "password_hash" not in create.changes
    assert create.request_id
    assert update.action == "update"
    assert update.changes == {"display_name": {"old": "旧名", "new": "新名"}}
    assert update.area_id == areas.town_a.id


def test_failed_request_leaves_no_audit_entry(client, db, areas):
    admin = factories.user("admin", areas.county)
    before = db.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    response = client.post(
        "/api/v1/users",
        json={
            "username": "x",
            "display_name": "x",
            "role": "nope",
            "area_id": areas.town_a.id,
            "password": "long enough",
        },
        headers=factories.headers_for(admin),
    )
    assert response.status_code == 422
    after = db.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    assert after == before


def test_id_numbers_are_masked_in_the_log(db, areas):
    area = areas.village_a1
    area.name = "身份证 11010519491231002X 的村"
    db.flush()
    entry = _entries(db, "areas", area.id)[-1]
    assert "11010519491231002X" not in str(entry.changes)
    assert "1101**********002X" in str(entry.changes)


def test_reveals_are_logged(db, areas):
    supervisor = factories.user("supervisor", areas.county)
    set_actor(None, Actor(supervisor.id, "supervisor", areas.county.id, areas.county.path))
    record_reveal("areas", [areas.village_a1], ["head_id_number"])
    db.flush()
    entry = _entries(db, "areas", areas.village_a1.id)[-1]
    assert entry.action == "reveal" and entry.actor_id == supervisor.id
    assert entry.changes == {"revealed": ["head_id_number"]}


def test_audit_list_filters_by_record_and_user(client, areas):
    admin = factories.user("admin", areas.county)
    headers = factories.headers_for(admin)
    target = factories.user("outreach_worker", areas.town_a)
    client.patch(f"/api/v1/users/{target.id}", json={"display_name": "甲"}, headers=headers)
    response = client.get(
        f"/api/v1/audit?table_name=users&record_id={target.id}&actor_id={admin.id}", headers=headers
    )
    assert response.status_code == 200
    assert [entry["action"] for entry in response.json] == ["update"]


def test_audit_list_is_for_admins_and_supervisors(client, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    assert client.get("/api/v1/audit", headers=factories.headers_for(worker)).status_code == 403


def test_supervisors_see_only_their_area_in_the_log(client, areas):
    admin = factories.user("admin", areas.county)
    elsewhere = factories.user("outreach_worker", areas.town_b)
    client.patch(
        f"/api/v1/users/{elsewhere.id}",
        json={"display_name": "乙"},
        headers=factories.headers_for(admin),
    )
    supervisor = factories.user("supervisor", areas.town_a)
    response = client.get(
        f"/api/v1/audit?table_name=users&record_id={elsewhere.id}",
        headers=factories.headers_for(supervisor),
    )
    assert response.json == []
