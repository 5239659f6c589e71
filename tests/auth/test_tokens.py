"""Sign-in, refresh bound to the device, logout, revoking a lost phone, deactivation."""

import pytest

from tests import factories


def login(client, username, password=factories.PASSWORD, device_id="phone-1"):
    return client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": password, "device_id": device_id},
    )


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def refresh(client, tokens, device_id=None):
    """Refresh as the device the tokens were issued to (or as ``device_id``)."""
    return client.post(
        "/api/v1/auth/refresh",
        json={
            "refresh_token": tokens["refresh_token"],
            "device_id": device_id or tokens["device_id"],
        },
    )


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
    refreshed = refresh(client, tokens)
    assert refreshed.status_code == 200
    assert (
        client.get("/api/v1/me", headers=bearer(refreshed.json["access_token"])).status_code == 200
    )


def test_refresh_with_unknown_token_is_401(client):
    response = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": "nope", "device_id": "phone-1"}
    )
    assert response.status_code == 401


def test_logout_revokes_this_device_only(client, areas):
    factories.user("outreach_worker", areas.town_a, username="chen")
    phone = login(client, "chen", device_id="phone").json
    tablet = login(client, "chen", device_id="tablet").json
    assert (
        client.post("/api/v1/auth/logout", headers=bearer(phone["access_token"])).status_code == 204
    )
    assert client.get("/api/v1/me", headers=bearer(phone["access_token"])).status_code == 401
    assert refresh(client, phone).status_code == 401
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
        assert refresh(client, tokens).status_code == 401


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
    assert refresh(client, tokens).status_code == 401
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
    # Change the signature's first character: its last one carries padding bits, so a
    # change there can decode to the very same signature.
    payload, stamp, signature = token.rsplit(".", 2)
    changed = ("B" if signature[0] == "A" else "A") + signature[1:]
    tampered = f"{payload}.{stamp}.{changed}"
    assert client.get("/api/v1/me", headers=bearer(tampered)).status_code == 401


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


def test_refresh_without_device_id_is_a_clear_422(client, areas):
    factories.user("outreach_worker", areas.town_a, username="old-client")
    tokens = login(client, "old-client").json
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 422
    assert "issued to" in response.json["errors"]["device_id"][0]


def test_refresh_from_another_device_answers_like_an_unknown_token(client, areas):
    factories.user("outreach_worker", areas.town_a, username="stolen-token")
    tokens = login(client, "stolen-token", device_id="the-workers-own-phone-0001").json
    assert tokens["device_id"] == "the-workers-own-phone-0001"
    elsewhere = refresh(client, tokens, device_id="the-thiefs-laptop-000000001")
    unknown = client.post(
        "/api/v1/auth/refresh",
        json={"refresh_token": "nope", "device_id": "the-thiefs-laptop-000000001"},
    )
    assert elsewhere.status_code == unknown.status_code == 401
    assert elsewhere.json["detail"] == unknown.json["detail"]
    assert elsewhere.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]
    # The token still works for its own device.
    assert refresh(client, tokens).status_code == 200


def test_a_login_without_device_id_gets_one_to_refresh_with(client, areas):
    factories.user("outreach_worker", areas.town_a, username="no-device")
    response = client.post(
        "/api/v1/auth/login", json={"username": "no-device", "password": factories.PASSWORD}
    )
    assert response.status_code == 200
    tokens = response.json
    assert len(tokens["device_id"]) >= 16
    assert refresh(client, tokens).status_code == 200
    assert refresh(client, tokens, device_id="unnamed").status_code == 401


def test_the_spec_asks_for_device_id_and_promises_retry_after(client):
    spec = client.get("/api/v1/openapi.json").json
    refresh_body = spec["paths"]["/api/v1/auth/refresh"]["post"]["requestBody"]
    schema = refresh_body["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[-1]
    assert set(spec["components"]["schemas"][name]["required"]) == {"refresh_token", "device_id"}
    for path in ("/api/v1/auth/login", "/api/v1/me/password"):
        too_many = spec["paths"][path]["post"]["responses"]["429"]
        assert "Retry-After" in too_many["headers"]
