"""Sign-in, refresh, logout, revoking a lost phone, deactivation and throttling."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from api.auth.models import LoginAttempt
from api.db import utcnow
from tests import factories


def login(client, username, password=factories.PASSWORD, device_id="phone-1"):
    return client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": password, "device_id": device_id},
    )


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_login_gives_tokens_that_open_me(client, areas):
    factories.user("outreach_worker", areas.town_a, username="wang")
    response = login(client, "wang")
    assert response.status_code == 200
    body = response.json
    assert body["expires_in"] > 0 and body["refresh_token"]
    me = client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json["username"] == "wang"
    assert me.json["role"] == "outreach_worker"
    assert me.json["area"]["id"] == areas.town_a.id


def test_wrong_password_is_401_problem(client, areas):
    factories.user("outreach_worker", areas.town_a, username="li")
    response = login(client, "li", password="wrong")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_refresh_gives_a_working_access_token(client, areas):
    factories.user("supervisor", areas.county, username="zhao")
    tokens = login(client, "zhao").json
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    assert (
        client.get("/api/v1/me", headers=bearer(refreshed.json["access_token"])).status_code == 200
    )


def test_refresh_with_unknown_token_is_401(client):
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": "nope"})
    assert response.status_code == 401


def test_logout_revokes_this_device_only(client, areas):
    factories.user("outreach_worker", areas.town_a, username="chen")
    phone = login(client, "chen", device_id="phone").json
    tablet = login(client, "chen", device_id="tablet").json
    assert (
        client.post("/api/v1/auth/logout", headers=bearer(phone["access_token"])).status_code == 204
    )
    assert client.get("/api/v1/me", headers=bearer(phone["access_token"])).status_code == 401
    refused = client.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert refused.status_code == 401
    assert client.get("/api/v1/me", headers=bearer(tablet["access_token"])).status_code == 200


def test_revoke_tokens_ends_every_session_at_once(client, areas):
    admin = factories.user("admin", areas.county)
    worker = factories.user("outreach_worker", areas.town_a, username="lost-phone")
    first = login(client, "lost-phone", device_id="a").json
    second = login(client, "lost-phone", device_id="b").json
    response = client.post(
        f"/api/v1/users/{worker.id}/revoke-tokens", headers=factories.headers_for(admin)
    )
    assert response.status_code == 200
    assert response.json["revoked_sessions"] == 2
    for tokens in (first, second):
        assert client.get("/api/v1/me", headers=bearer(tokens["access_token"])).status_code == 401
        refresh = client.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert refresh.status_code == 401


def test_revoke_tokens_is_admin_only(client, areas):
    supervisor = factories.user("supervisor", areas.county)
    worker = factories.user("outreach_worker", areas.town_a)
    response = client.post(
        f"/api/v1/users/{worker.id}/revoke-tokens", headers=factories.headers_for(supervisor)
    )
    assert response.status_code == 403


def test_deactivated_user_cannot_log_in_refresh_or_use_tokens(client, areas):
    admin = factories.user("admin", areas.county)
    worker = factories.user("outreach_worker", areas.town_a, username="leaver")
    tokens = login(client, "leaver").json
    response = client.patch(
        f"/api/v1/users/{worker.id}", json={"active": False}, headers=factories.headers_for(admin)
    )
    assert response.status_code == 200 and response.json["active"] is False
    assert login(client, "leaver").status_code == 401
    assert (
        client.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        ).status_code
        == 401
    )
    assert client.get("/api/v1/me", headers=bearer(tokens["access_token"])).status_code == 401


def test_expired_access_token_is_401(client, areas, app):
    worker = factories.user("outreach_worker", areas.town_a)
    token = factories.token_for(worker)
    app.config["ACCESS_TOKEN_TTL"] = -1
    try:
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    finally:
        app.config["ACCESS_TOKEN_TTL"] = 900


def test_tampered_token_is_401(client, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    token = factories.token_for(worker)
    assert client.get("/api/v1/me", headers=bearer(token[:-2] + "xx")).status_code == 401


def test_repeated_failures_for_one_username_are_throttled(client, areas, app):
    factories.user("outreach_worker", areas.town_a, username="target")
    limit = app.config["LOGIN_MAX_FAILURES_PER_USERNAME"]
    for _ in range(limit):
        assert login(client, "target", password="guess").status_code == 401
    # Even the right password waits now: the attacker must not learn it by timing out.
    response = login(client, "target")
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"


def test_throttle_per_address_covers_many_usernames(client, areas, app):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    for n in range(limit):
        login(client, f"nobody-{n}", password="guess")
    factories.user("outreach_worker", areas.town_a, username="innocent")
    assert login(client, "innocent").status_code == 429


def test_throttle_forgets_old_failures(client, areas, db, app):
    factories.user("outreach_worker", areas.town_a, username="returning")
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_USERNAME"]):
        login(client, "returning", password="guess")
    long_ago = utcnow() - timedelta(seconds=app.config["LOGIN_FAILURE_WINDOW"] + 60)
    db.execute(update(LoginAttempt).where(LoginAttempt.username == "returning").values(at=long_ago))
    db.flush()
    assert login(client, "returning").status_code == 200


@pytest.mark.parametrize("header", ["", "Bearer", "Basic abc", "Bearer not-a-token"])
def test_missing_or_bad_authorization_is_401(client, header):
    response = client.get("/api/v1/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.json["status"] == 401


def test_a_town_admin_cannot_revoke_another_towns_user(client, areas):
    admin = factories.user("admin", areas.town_a)
    elsewhere = factories.user("outreach_worker", areas.town_b, username="elsewhere")
    tokens = login(client, "elsewhere").json
    response = client.post(
        f"/api/v1/users/{elsewhere.id}/revoke-tokens", headers=factories.headers_for(admin)
    )
    assert response.status_code == 404
    assert client.get("/api/v1/me", headers=bearer(tokens["access_token"])).status_code == 200


def test_revoking_twice_is_harmless(client, areas):
    admin = factories.user("admin", areas.county)
    worker = factories.user("outreach_worker", areas.town_a, username="twice")
    login(client, "twice")
    url = f"/api/v1/users/{worker.id}/revoke-tokens"
    assert client.post(url, headers=factories.headers_for(admin)).json["revoked_sessions"] == 1
    again = client.post(url, headers=factories.headers_for(admin))
    assert again.status_code == 200 and again.json["revoked_sessions"] == 0
