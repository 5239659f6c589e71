"""An admin replacing a lost phone: sign-ins revoked, a temporary password the user must
change, the user's devices listed; only inside the admin's own jurisdiction."""

from sqlalchemy import select

from api.audit.models import AuditEntry
from tests import factories
from tests.auth.test_tokens import bearer, login, refresh


def reset(client, admin, user_id, body=None):
    return client.post(
        f"/api/v1/users/{user_id}/password", json=body or {}, headers=factories.headers_for(admin)
    )


def test_reset_ends_sign_ins_and_the_temporary_password_must_be_changed(client, db, areas):
    admin = factories.user("admin", areas.town_a)
    worker = factories.user("outreach_worker", areas.village_a1, username="lost-phone")
    old_phone = login(client, "lost-phone", device_id="old-phone").json

    answer = reset(client, admin, worker.id)
    assert answer.status_code == 200
    temporary = answer.json["temporary_password"]
    assert len(temporary) == 10 and answer.json["revoked_sessions"] == 1
    # The lost phone is out at once: its access and refresh tokens fail.
    assert client.get("/api/v1/me", headers=bearer(old_phone["access_token"])).status_code == 401
    assert refresh(client, old_phone).status_code == 401
    assert login(client, "lost-phone").status_code == 401  # the old password is gone

    new_phone = login(client, "lost-phone", password=temporary, device_id="new-phone").json
    headers = bearer(new_phone["access_token"])
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.json["must_change_password"] is True
    refused = client.get("/api/v1/tasks", headers=headers)
    assert refused.status_code == 403
    assert refused.json["type"] == "urn:doudi:problem:password-change-required"
    assert client.get("/api/v1/labels", headers=headers).status_code == 200

    changed = client.post(
        "/api/v1/me/password",
        json={"current_password": temporary, "new_password": "my own new password"},
        headers=headers,
    )
    assert changed.status_code == 204
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    assert client.get("/api/v1/me", headers=headers).json["must_change_password"] is False

    entries = db.scalars(
        select(AuditEntry).where(
            AuditEntry.table_name == "users", AuditEntry.record_id == str(worker.id)
        )
    ).all()
    by_admin = {key: e.changes[key] for e in entries if e.actor_id == admin.id for key in e.changes}
    assert by_admin["must_change_password"] == {"old": False, "new": True}
    assert "password_hash" in by_admin  # that it changed, never the hash itself
    assert temporary not in str([e.changes for e in entries])


def test_an_admin_may_choose_the_temporary_password(client, areas):
    admin = factories.user("admin", areas.county)
    worker = factories.user("outreach_worker", areas.town_b, username="chosen")
    answer = reset(client, admin, worker.id, {"password": "read it out loud"})
    assert answer.json["temporary_password"] == "read it out loud"
    assert login(client, "chosen", password="read it out loud").status_code == 200
    short = reset(client, admin, worker.id, {"password": "short"})
    assert short.status_code == 422 and "password" in short.json["errors"]


def test_a_town_admin_cannot_touch_another_towns_users(client, areas):
    admin = factories.user("admin", areas.town_a)
    other = factories.user("outreach_worker", areas.town_b)
    missing = reset(client, admin, 987654)
    hidden = reset(client, admin, other.id)
    assert hidden.status_code == missing.status_code == 404
    for path in (f"/users/{other.id}/sessions", f"/users/{other.id}"):
        response = client.get("/api/v1" + path, headers=factories.headers_for(admin))
        assert response.status_code == 404
    assert login(client, other.username).status_code == 200  # untouched


def test_only_admins_reset_and_not_their_own(client, areas):
    supervisor = factories.user("supervisor", areas.county)
    worker = factories.user("outreach_worker", areas.town_a)
    assert reset(client, supervisor, worker.id).status_code == 403
    admin = factories.user("admin", areas.county)
    own = reset(client, admin, admin.id)
    assert own.status_code == 422 and "user_id" in own.json["errors"]


def test_bad_ids_and_bodies(client, areas):
    admin = factories.user("admin", areas.county)
    headers = factories.headers_for(admin)
    assert client.post("/api/v1/users/2147483648/password", headers=headers).status_code == 404
    assert (
        client.get("/api/v1/users/99999999999999999999/sessions", headers=headers).status_code
        == 404
    )
    worker = factories.user("outreach_worker", areas.town_a)
    long = "x" * 257
    bodies = (f'{{"password": "{long}"}}', '{"password": "bad\\ud800 password"}', '{"password": 1}')
    for body in bodies:
        answer = client.post(
            f"/api/v1/users/{worker.id}/password",
            data=body,
            content_type="application/json",
            headers=headers,
        )
        assert answer.status_code == 422, body


def test_sessions_list_the_devices_newest_first(client, areas):
    admin = factories.user("admin", areas.county)
    worker = factories.user("outreach_worker", areas.town_a, username="two-phones")
    login(client, "two-phones", device_id="phone-old")
    login(client, "two-phones", device_id="phone-new")
    headers = factories.headers_for(admin)
    client.post(f"/api/v1/users/{worker.id}/revoke-tokens", headers=headers)
    rows = client.get(f"/api/v1/users/{worker.id}/sessions", headers=headers).json
    assert [row["device_id"] for row in rows] == ["phone-new", "phone-old"]
    assert all(row["revoked_at"] for row in rows)


def test_users_are_found_by_part_of_a_name(client, areas):
    admin = factories.user("admin", areas.county)
    factories.user("outreach_worker", areas.town_a, username="zhang_san")
    factories.user("outreach_worker", areas.town_a, username="zhangsan2")
    headers = factories.headers_for(admin)
    found = client.get("/api/v1/users?q=zhang_", headers=headers).json
    assert [row["username"] for row in found] == ["zhang_san"]  # _ is taken literally
    assert client.get("/api/v1/users?q=", headers=headers).status_code == 422
