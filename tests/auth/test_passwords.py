"""A password change or reset ends the user's other sign-ins and is audited; the session
that changes its own password stays signed in."""

import json

from sqlalchemy import select

from api.audit.models import AuditEntry
from api.auth.models import User
from tests import factories

NEW_PASSWORD = "a new password 2026"


def login(client, username, password=factories.PASSWORD, device_id="phone-0000000000000001"):
    return client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": password, "device_id": device_id},
    )


def bearer(tokens):
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def signed_in(client, tokens):
    """Whether both the access token and the refresh token of a sign-in still work."""
    me = client.get("/api/v1/me", headers=bearer(tokens)).status_code
    refreshed = client.post(
        "/api/v1/auth/refresh",
        json={"refresh_token": tokens["refresh_token"], "device_id": tokens["device_id"]},
    ).status_code
    assert (me == 200) == (refreshed == 200), (me, refreshed)
    return me == 200


def password_entries(db, user):
    entries = db.scalars(
        select(AuditEntry).where(
            AuditEntry.table_name == "users", AuditEntry.record_id == str(user.id)
        )
    )
    return [entry for entry in entries if "password_hash" in entry.changes]


def assert_no_secret_in(entries, *secrets):
    text = json.dumps([entry.changes for entry in entries], ensure_ascii=False)
    for secret in secrets:
        assert secret not in text


def change_own(client, tokens, current=factories.PASSWORD, new=NEW_PASSWORD):
    return client.post(
        "/api/v1/me/password",
        json={"current_password": current, "new_password": new},
        headers=bearer(tokens),
    )


def test_changing_my_password_ends_my_other_sign_ins_but_not_this_one(client, db, areas):
    worker = factories.user("outreach_worker", areas.town_a, username="chen")
    phone = login(client, "chen", device_id="phone-0000000000000001").json
    tablet = login(client, "chen", device_id="tablet-000000000000001").json
    assert change_own(client, phone).status_code == 204
    assert signed_in(client, phone)
    assert not signed_in(client, tablet)
    assert login(client, "chen").status_code == 401
    assert login(client, "chen", NEW_PASSWORD).status_code == 200
    [entry] = password_entries(db, worker)
    assert entry.actor_id == worker.id and entry.action == "update"
    assert entry.changes == {"password_hash": {"changed": True}}
    db.refresh(worker)
    assert_no_secret_in([entry], NEW_PASSWORD, worker.password_hash)


def test_a_wrong_current_password_changes_nothing_and_counts_as_a_failed_sign_in(
    client, db, areas, app
):
    worker = factories.user("outreach_worker", areas.town_a, username="careful")
    phone = login(client, "careful", device_id="phone-0000000000000001").json
    tablet = login(client, "careful", device_id="tablet-000000000000001").json
    response = change_own(client, phone, current="not it")
    assert response.status_code == 422
    assert "current_password" in response.json["errors"]
    assert signed_in(client, tablet)
    assert password_entries(db, worker) == []
    # A stolen access token cannot guess the password at speed either.
    for _ in range(app.config["LOGIN_FREE_FAILURES"] - 1):
        assert change_own(client, phone, current="not it").status_code == 422
    refused = change_own(client, phone)
    assert refused.status_code == 429 and "Retry-After" in refused.headers


def test_a_too_short_new_password_is_refused(client, areas):
    factories.user("outreach_worker", areas.town_a, username="short")
    phone = login(client, "short").json
    response = change_own(client, phone, new="short")
    assert response.status_code == 422 and "new_password" in response.json["errors"]


def test_an_admin_reset_ends_every_sign_in_of_the_user(client, db, areas):
    admin = factories.user("admin", areas.county)
    admin_headers = factories.headers_for(admin)
    worker = factories.user("outreach_worker", areas.town_a, username="forgetful")
    phone = login(client, "forgetful", device_id="phone-0000000000000001").json
    tablet = login(client, "forgetful", device_id="tablet-000000000000001").json
    response = client.patch(
        f"/api/v1/users/{worker.id}", json={"password": NEW_PASSWORD}, headers=admin_headers
    )
    assert response.status_code == 200
    assert not signed_in(client, phone) and not signed_in(client, tablet)
    assert client.get("/api/v1/me", headers=admin_headers).status_code == 200
    [entry] = password_entries(db, worker)
    assert entry.actor_id == admin.id
    assert entry.changes == {"password_hash": {"changed": True}}
    assert login(client, "forgetful", NEW_PASSWORD).status_code == 200


def test_an_admin_resetting_their_own_password_stays_signed_in_here_only(client, areas):
    admin = factories.user("admin", areas.county, username="self-admin")
    here = login(client, "self-admin", device_id="desk-00000000000000001").json
    laptop = login(client, "self-admin", device_id="laptop-000000000000001").json
    response = client.patch(
        f"/api/v1/users/{admin.id}", json={"password": NEW_PASSWORD}, headers=bearer(here)
    )
    assert response.status_code == 200
    assert signed_in(client, here)
    assert not signed_in(client, laptop)


def test_the_cli_reset_ends_every_sign_in_and_is_audited(app, client, db, areas):
    worker = factories.user("outreach_worker", areas.town_a, username="cli-reset")
    phone = login(client, "cli-reset").json
    result = app.test_cli_runner().invoke(
        args=["users", "set-password", "cli-reset", "--password", NEW_PASSWORD]
    )
    assert result.exit_code == 0, result.output
    assert "1 sign-in(s) ended" in result.output
    assert not signed_in(client, phone)
    assert login(client, "cli-reset", NEW_PASSWORD).status_code == 200
    [entry] = password_entries(db, worker)
    assert entry.actor_id is None  # the system, from the server's shell
    assert_no_secret_in([entry], NEW_PASSWORD)


def test_the_cli_reset_refuses_an_unknown_user_or_a_short_password(app, db, areas):
    factories.user("outreach_worker", areas.town_a, username="cli-short")
    before = db.scalar(select(User.password_hash).where(User.username == "cli-short"))
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["users", "set-password", "nobody", "--password", NEW_PASSWORD])
    short = runner.invoke(args=["users", "set-password", "cli-short", "--password", "short"])
    assert unknown.exit_code != 0 and "no user" in unknown.output
    assert short.exit_code != 0 and "at least" in short.output
    assert db.scalar(select(User.password_hash).where(User.username == "cli-short")) == before
