"""Every error answers application/problem+json with the same fields."""

import pytest
from flask import Flask

from api.errors import _handle_unexpected
from tests import factories

PROBLEM_FIELDS = {"type", "title", "status", "detail", "request_id"}


def assert_problem(response, status):
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert set(body) >= PROBLEM_FIELDS
    assert body["status"] == status
    assert "Traceback" not in response.get_data(as_text=True)
    return body


@pytest.fixture
def worker_headers(areas):
    return factories.headers_for(factories.user("outreach_worker", areas.town_a))


def test_unknown_route_is_404_problem(client):
    assert_problem(client.get("/api/v1/no-such-thing"), 404)


def test_record_outside_jurisdiction_is_404_like_a_missing_one(client, areas, worker_headers):
    hidden = assert_problem(
        client.get(f"/api/v1/areas/{areas.town_b.id}", headers=worker_headers), 404
    )
    missing = assert_problem(client.get("/api/v1/areas/999999", headers=worker_headers), 404)
    assert hidden["detail"] == missing["detail"]


def test_wrong_method_is_405_with_allow(client):
    response = client.delete("/healthz")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_body_over_the_json_limit_is_413(client, app):
    big = b'{"username": "' + b"x" * (app.config["JSON_MAX_BYTES"] + 10) + b'"}'
    response = client.post("/api/v1/auth/login", data=big, content_type="application/json")
    assert_problem(response, 413)


def test_body_over_the_upload_limit_is_413(client, app, worker_headers):
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post(
        "/api/v1/auth/login", data=big, content_type="application/json", headers=worker_headers
    )
    assert_problem(response, 413)


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data"])
def test_wrong_content_type_is_415(client, content_type):
    response = client.post("/api/v1/auth/login", data="username=a", content_type=content_type)
    body = assert_problem(response, 415)
    assert "application/json" in body["detail"]


def test_malformed_json_is_400_problem(client):
    response = client.post(
        "/api/v1/auth/login", data='{"username": ', content_type="application/json"
    )
    body = assert_problem(response, 400)
    assert body["title"] == "Malformed JSON"


def test_validation_errors_are_422_keyed_by_field(client):
    response = client.post("/api/v1/auth/login", json={"username": 5, "extra": 1})
    body = assert_problem(response, 422)
    assert set(body["errors"]) == {"username", "password", "extra"}
    assert all(isinstance(messages, list) for messages in body["errors"].values())


def test_nested_validation_errors_carry_the_path(client, areas):
    admin = factories.user("admin", areas.county)
    response = client.post(
        "/api/v1/areas",
        json={
            "code": "440229999",
            "name": "x",
            "level": "town",
            "parent_id": areas.county.id,
            "boundary": {"type": "Polygon"},
        },
        headers=factories.headers_for(admin),
    )
    body = assert_problem(response, 422)
    assert "boundary.coordinates" in body["errors"]


def test_query_string_errors_are_422(client, areas, worker_headers):
    response = client.get("/api/v1/areas?page_size=100000", headers=worker_headers)
    body = assert_problem(response, 422)
    assert "page_size" in body["errors"]


def test_missing_token_is_401_problem(client):
    assert_problem(client.get("/api/v1/areas"), 401)


def test_role_refusal_is_403_problem(client, worker_headers):
    assert_problem(client.get("/api/v1/users", headers=worker_headers), 403)


def test_unexpected_errors_say_nothing_of_their_cause(app: Flask):
    with app.test_request_context("/"):
        response = _handle_unexpected(RuntimeError("secret connection string"))
    assert response.status_code == 500
    assert "secret" not in response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"


def test_request_id_comes_back_and_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "phone-abc-123"})
    assert response.headers["X-Request-ID"] == "phone-abc-123"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["X-Request-ID"] != "bad id with spaces"
    assert len(generated.headers["X-Request-ID"]) == 32
