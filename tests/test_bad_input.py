"""Bad input never gets a 500 (issue 12), on PostgreSQL and on SQLite.

One table per class of input. The operations and their parameters come from the OpenAPI
spec, so a new endpoint is covered the day it is added: every integer query parameter,
every date and time, every path id, every JSON body, each with the values an outside
review used. Each case must answer the guard's own 4xx naming the field
(``api.common.arguments``; path ids in ``api.__init__``), never a 5xx.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_smorest import Blueprint as PlainBlueprint

from api.common.arguments import (
    DATE_RANGE_MESSAGE,
    FRACTION_MESSAGE,
    INT_RANGE_MESSAGE,
    UNSTORABLE_MESSAGE,
)
from api.db import session
from tests import factories
from tests.visits import factories as vf

BAD_INTS = ["99999999999999999999", "2147483648", "-2147483649"]
BAD_DATES = ["0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31"]
# Out of range as given, or only once converted to UTC (the last two).
BAD_TIMES = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00Z",
    "2100-12-31T20:00:00-12:00",
    "1900-01-01T03:00:00+08:00",
]
UNSTORABLE = ["\ud800", "a\x00b"]
ROLES = (("admin", "county"), ("supervisor", "county"), ("rescue_staff", "county"))
ROLES += (("outreach_worker", "town_a"),)

BACKENDS = ["postgresql", pytest.param("sqlite", marks=pytest.mark.spatialite)]


@dataclass
class Caller:
    """A client, one signed-in account per role, and the API's spec."""

    client: FlaskClient
    headers: list[dict[str, str]]
    spec: dict[str, Any]

    def call(self, method: str, url: str, **kwargs: Any):
        """The answer for the first role the operation lets in (roles are checked first)."""
        response = None
        for headers in self.headers:
            response = self.client.open(url, method=method, headers=headers, **kwargs)
            if response.status_code not in (401, 403):
                break
        return response

    def operations(self, *methods: str):
        """(method, url with path ids filled in, operation, its parameters)."""
        for path, item in self.spec["paths"].items():
            for method, op in item.items():
                if method.upper() not in methods:
                    continue
                params = [*item.get("parameters", []), *op.get("parameters", [])]
                url = re.sub(r"\{\w+\}", "1", path)
                yield method.upper(), url, op, params

    def body_schema(self, op: dict[str, Any]) -> dict[str, Any] | None:
        content = op.get("requestBody", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if schema and "$ref" in schema:
            schema = self.spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        return schema


@pytest.fixture(params=BACKENDS)
def caller(request) -> Caller:
    if request.param == "postgresql":
        client = request.getfixturevalue("client")
        areas = request.getfixturevalue("areas")
    else:
        client = request.getfixturevalue("sqlite_app").test_client()
        areas = factories.area_tree()
    headers = [
        factories.headers_for(factories.user(role, getattr(areas, area))) for role, area in ROLES
    ]
    session.commit()
    return Caller(client, headers, client.get("/api/v1/openapi.json").json)


def _kind(schema: dict[str, Any]) -> str | None:
    if schema.get("type") == "array":
        schema = schema.get("items", {})
    if schema.get("type") == "integer":
        return "int"
    if schema.get("type") == "string":
        return {"date": "date", "date-time": "time", None: "string"}.get(schema.get("format"))
    return None


# A URL cannot carry a lone surrogate (Werkzeug decodes its bytes with replacement), a NUL
# it can.
BAD_VALUES = {"int": BAD_INTS, "date": BAD_DATES, "time": BAD_TIMES, "string": ["a\x00b"]}


def _refused(response, field: str) -> str | None:
    """Why the answer is not the guard's 422 naming ``field`` (None when it is)."""
    if response.status_code != 422 or response.mimetype != "application/problem+json":
        return f"{response.status_code} {response.get_data(as_text=True)[:200]}"
    errors = response.json.get("errors")
    # The field itself, or a part of it (``team.0``); a field with checks of its own (an
    # enum, a maximum) may name it with its own message.
    if not any(key == field or key.startswith(f"{field}.") for key in errors):
        return f"422 without {field}: {errors}"
    return None


def test_every_query_parameter_refuses_values_out_of_range(caller):
    failures, tried = [], 0
    for method, url, _op, params in caller.operations("GET"):
        for param in params:
            kind = _kind(param.get("schema", {}))
            if param["in"] != "query" or kind is None:
                continue
            for value in BAD_VALUES[kind]:
                tried += 1
                response = caller.call(method, url, query_string={param["name"]: value})
                problem = _refused(response, param["name"])
                if problem:
                    failures.append(f"{method} {url}?{param['name']}={value!r}: {problem}")
    assert tried > 300  # the spec was read: dates, ids and pages of every list
    assert not failures, "\n".join(failures)


def test_every_path_id_out_of_range_is_not_found(caller):
    failures, tried = [], 0
    for method, _url, op, params in caller.operations("GET", "POST", "PATCH", "PUT", "DELETE"):
        path_ids = [p["name"] for p in params if p["in"] == "path"]
        if not path_ids:
            continue
        path = next(p for p, item in caller.spec["paths"].items() if op in item.values())
        for value in BAD_INTS:
            tried += 1
            url = re.sub(r"\{\w+\}", value, path)
            response = caller.call(method, url, json={})
            if response.status_code != 404 or response.mimetype != "application/problem+json":
                failures.append(f"{method} {url}: {response.status_code}")
    assert tried > 100
    assert not failures, "\n".join(failures)


def test_every_json_body_refuses_deep_nesting_and_unstorable_strings(caller):
    failures, tried = [], 0
    # Deep enough to break a recursive decoder's habits, small enough for every body
    # limit (the public help form takes 16 KB): the depth check must answer, not the size.
    deep = "[" * 8_000 + "]" * 8_000
    for method, url, op, _params in caller.operations("POST", "PUT", "PATCH"):
        if caller.body_schema(op) is None:
            continue
        tried += 1
        response = caller.call(method, url, data=deep, content_type="application/json")
        if response.status_code != 400 or response.json.get("title") != "JSON nested too deep":
            failures.append(f"{method} {url} (deep): {response.status_code}")
        for value in UNSTORABLE:
            cases = [({"note": value}, "note"), ({"note": {"in": [value]}}, "note.in.0")]
            cases.append(({value: 1}, "_schema"))  # a key: named by where it is
            for body, field in cases:
                response = caller.call(
                    method, url, data=json.dumps(body), content_type="application/json"
                )
                problem = _refused(response, field)
                if problem:
                    failures.append(f"{method} {url} {body!r}: {problem}")
    assert tried > 25
    assert not failures, "\n".join(failures)


def test_a_body_nested_a_hundred_thousand_deep_is_refused(caller):
    """The review's own body: 100,000 levels, on an endpoint whose limit lets it in."""
    deep = "[" * 100_000 + "]" * 100_000
    response = caller.call("POST", "/api/v1/visits", data=deep, content_type="application/json")
    assert response.status_code == 400
    assert response.json["title"] == "JSON nested too deep"


# In JSON an integer field may also be sent a number with a fraction, which marshmallow
# would truncate (task 1.5 would be task 1).
BAD_JSON_VALUES = {**BAD_VALUES, "int": [int(value) for value in BAD_INTS] + [1.5, -0.5]}


def test_every_json_body_refuses_ids_and_dates_out_of_range(caller):
    failures, tried = [], 0
    for method, url, op, _params in caller.operations("POST", "PUT", "PATCH"):
        schema = caller.body_schema(op) or {}
        for name, prop in schema.get("properties", {}).items():
            kind = _kind(prop)
            if kind is None or kind == "string" or prop.get("readOnly"):
                continue
            for value in BAD_JSON_VALUES[kind]:
                tried += 1
                body = {name: [value]}
                if prop.get("type") != "array":
                    body = {name: body[name][0]}
                response = caller.call(method, url, json=body)
                problem = _refused(response, name)
                if problem:
                    failures.append(f"{method} {url} {body}: {problem}")
    assert tried > 50
    assert not failures, "\n".join(failures)


# -- representative answers, named ----------------------------------------------------------


def test_a_list_a_report_a_map_and_an_export_name_the_field(caller):
    cases = [
        ("/api/v1/households?page=99999999999999999999", "page", INT_RANGE_MESSAGE),
        ("/api/v1/tasks?assignee_id=99999999999999999999", "assignee_id", INT_RANGE_MESSAGE),
        ("/api/v1/coverage?from=0001-01-01", "from", DATE_RANGE_MESSAGE),
        ("/api/v1/maps/visits?to=9999-12-31", "to", DATE_RANGE_MESSAGE),
        ("/api/v1/exports/visits?format=xlsx&from=9999-12-31", "from", DATE_RANGE_MESSAGE),
        ("/api/v1/visits?visited_to=9999-12-31T23:59:59-12:00", "visited_to", DATE_RANGE_MESSAGE),
        ("/api/v1/households?q=a%00b", "q", UNSTORABLE_MESSAGE),
    ]
    for url, field, message in cases:
        response = caller.call("GET", url)
        assert response.status_code == 422, (url, response.get_data(as_text=True))
        assert response.mimetype == "application/problem+json"
        assert response.json["errors"][field] == [message], url


def test_a_batch_item_is_held_to_the_same_ranges(caller):
    response = caller.call(
        "POST",
        "/api/v1/visits/batch",
        json={"visits": [{"household_id": 1, "visited_at": "9999-12-31T23:59:59-12:00"}]},
    )
    assert response.status_code == 200
    item = response.json["results"][0]
    assert item["status"] == 422


def test_a_fraction_for_an_id_is_refused_not_truncated(caller):
    response = caller.call(
        "POST", "/api/v1/tasks/reassign", json={"task_ids": [1.5], "assignee_id": None}
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"task_ids.0": [FRACTION_MESSAGE]}
    response = caller.call(
        "POST",
        "/api/v1/visits/batch",
        json={"visits": [{"household_id": 1.5, "visited_at": "2026-11-01T09:00:00+08:00"}]},
    )
    assert response.status_code == 200
    assert response.json["results"][0]["status"] == 422
    assert response.json["results"][0]["errors"] == {"household_id": [FRACTION_MESSAGE]}


def test_a_chunked_json_body_over_the_limit_is_refused(caller):
    limit = caller.client.application.config["JSON_MAX_BYTES"]
    big = b'{"username": "' + b"x" * limit + b'", "password": "p", "device_id": "d"}'
    small = b'{"username": "nobody", "password": "wrong password", "device_id": "d"}'
    answers = [
        caller.client.post(
            "/api/v1/auth/login",
            input_stream=io.BytesIO(body),
            content_type="application/json",
            headers={"Transfer-Encoding": "chunked"},
            environ_overrides={"wsgi.input_terminated": True},
        )
        for body in (big, small)
    ]
    assert answers[0].status_code == 413
    assert answers[0].mimetype == "application/problem+json"
    assert answers[1].status_code == 401  # a chunked body within the limit is read


def test_a_chunked_upload_over_the_limit_is_refused(caller):
    limit = caller.client.application.config["MAX_CONTENT_LENGTH"]
    body = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'
    response = caller.call(
        "POST",
        "/api/v1/visits/1/photos",
        input_stream=io.BytesIO(body + b"x" * limit),
        content_type="multipart/form-data; boundary=b",
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


# -- where the guards live ------------------------------------------------------------------


def test_a_blueprint_without_the_guarded_parser_cannot_be_registered():
    from api import DoudiApi

    plain = PlainBlueprint("plain", __name__)
    with pytest.raises(TypeError, match=r"api\.common\.arguments\.Blueprint"):
        DoudiApi.register_blueprint(None, plain)  # refused before the Api is looked at


def test_a_multipart_form_field_is_checked_like_any_other(client, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    headers = factories.headers_for(worker)
    home = vf.household(areas.village_a1)
    visit = client.post("/api/v1/visits", json=vf.visit_payload(home.id), headers=headers)
    response = client.post(
        f"/api/v1/visits/{visit.json['id']}/photos",
        data={"client_uuid": f"{uuid.uuid4()}\x00", "file": (io.BytesIO(b"x"), "a.jpg")},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"client_uuid": [UNSTORABLE_MESSAGE]}


def test_an_export_whose_first_query_fails_answers_a_problem_not_a_broken_file(
    client, areas, monkeypatch
):
    from api.visits.coverage import services

    def failing(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "worker_names", failing)
    supervisor = factories.user("supervisor", areas.county)
    response = client.get("/api/v1/exports/visits", headers=factories.headers_for(supervisor))
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
