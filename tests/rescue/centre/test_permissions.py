"""Who may call the resident and case endpoints: table-driven.

Outreach workers get 403 on every resident and tracing-case endpoint, even at county level
(so the refusal is the role's, not the area's); out-of-area staff get 404; no token, 401.
"""

import pytest

from tests import factories
from tests.casework.tracing import factories as tracing_factories
from tests.rescue.centre import factories as centre

# (method, url template, body): every resident and tracing endpoint.
ENDPOINTS = [
    ("get", "/api/v1/residents", None),
    ("post", "/api/v1/residents", {"stated_name": "x"}),
    ("get", "/api/v1/residents/{resident}", None),
    ("patch", "/api/v1/residents/{resident}", {"bed": "1-1"}),
    ("post", "/api/v1/residents/{resident}/discharge", {"reason": "transferred"}),
    ("get", "/api/v1/residents/long-stay", None),
    ("get", "/api/v1/residents/{resident}/photos", None),
    ("get", "/api/v1/tracing-cases", None),
    ("post", "/api/v1/tracing-cases", {"resident_id": "{other_resident}"}),
    ("get", "/api/v1/tracing-cases/{case}", None),
    ("patch", "/api/v1/tracing-cases/{case}", {"summary": "s"}),
    ("post", "/api/v1/tracing-cases/{case}/status", {"status": "lead_found"}),
    (
        "post",
        "/api/v1/tracing-cases/{case}/outcome",
        {"outcome": "settled_locally", "settled_place": "县福利院"},
    ),
    ("get", "/api/v1/tracing-cases/{case}/actions", None),
    ("post", "/api/v1/tracing-cases/{case}/actions", {"kind": "phone_call", "details": "d"}),
    ("get", "/api/v1/tracing-cases/{case}/leads", None),
    ("post", "/api/v1/tracing-cases/{case}/leads", {"description": "d"}),
    ("patch", "/api/v1/tracing-cases/{case}/leads/{lead}", {"status": "checking"}),
    ("get", "/api/v1/tracing-cases/stale", None),
    ("get", "/api/v1/tracing-cases/reports/open", None),
    ("get", "/api/v1/tracing-cases/reports/outcomes", None),
    ("get", "/api/v1/tracing-cases/reports/long-stay", None),
]
# Endpoints that name one record: out-of-area callers must not find it.
RECORD_ENDPOINTS = [e for e in ENDPOINTS if "{resident}" in e[1] or "{case}" in e[1]]


@pytest.fixture
def records(areas):
    """A resident admitted by town A's staff, with a case in searching and a lead."""
    from api.casework.tracing import services

    person = centre.resident(areas.town_a)
    other = centre.resident(areas.town_a)
    case = tracing_factories.case(person, "searching")
    lead = services.add_lead(case, {"description": "可能是湖南人"})
    return {"resident": person.id, "other_resident": other.id, "case": case.id, "lead": lead.id}


def _call(client, endpoint, records, headers):
    method, template, body = endpoint
    url = template.format(**records)
    if body is not None:
        body = {
            k: (records[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v)
            for k, v in body.items()
        }
    return getattr(client, method)(url, json=body, headers=headers)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e[0]} {e[1]}")
@pytest.mark.parametrize("area_name", ["county", "town_a"])
def test_outreach_worker_gets_403_everywhere(client, areas, records, endpoint, area_name):
    worker = factories.user("outreach_worker", getattr(areas, area_name))
    response = _call(client, endpoint, records, factories.headers_for(worker))
    assert response.status_code == 403


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e[0]} {e[1]}")
def test_no_token_is_401(client, records, endpoint):
    assert _call(client, endpoint, records, {}).status_code == 401


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e[0]} {e[1]}")
@pytest.mark.parametrize(
    ("role", "area_name"),
    [
        ("rescue_staff", "county"),
        ("rescue_staff", "town_a"),
        ("supervisor", "county"),
        ("admin", "county"),
    ],
)
def test_allowed_roles_in_area_succeed(client, areas, records, endpoint, role, area_name):
    account = factories.user(role, getattr(areas, area_name))
    response = _call(client, endpoint, records, factories.headers_for(account))
    assert response.status_code in (200, 201), response.json


@pytest.mark.parametrize("endpoint", RECORD_ENDPOINTS, ids=lambda e: f"{e[0]} {e[1]}")
@pytest.mark.parametrize("role", ["rescue_staff", "supervisor", "admin"])
def test_other_towns_staff_get_404(client, areas, records, endpoint, role):
    account = factories.user(role, areas.town_b)
    response = _call(client, endpoint, records, factories.headers_for(account))
    assert response.status_code == 404


def test_other_towns_staff_do_not_see_residents_in_lists(client, areas, records):
    account = factories.user("rescue_staff", areas.town_b)
    response = client.get("/api/v1/residents", headers=factories.headers_for(account))
    assert response.status_code == 200 and response.json == []


def test_open_case_for_other_towns_resident_is_422(client, areas, records):
    account = factories.user("rescue_staff", areas.town_b)
    response = client.post(
        "/api/v1/tracing-cases",
        json={"resident_id": records["other_resident"]},
        headers=factories.headers_for(account),
    )
    assert response.status_code == 422


def test_outreach_worker_reads_open_day_events_but_cannot_write(client, areas):
    event = centre.open_day_event(areas.county, title="开放日")
    worker = factories.headers_for(factories.user("outreach_worker", areas.county))
    assert client.get(f"/api/v1/open-day-events/{event.id}", headers=worker).status_code == 200
    assert client.post("/api/v1/open-day-events", json={}, headers=worker).status_code == 403
    response = client.patch(
        f"/api/v1/open-day-events/{event.id}", json={"notes": "x"}, headers=worker
    )
    assert response.status_code == 403


def test_role_restriction_hides_residents_from_outreach_workers_in_any_query(db, areas, records):
    """The table itself is closed to them: a select run as an outreach worker finds none."""
    from sqlalchemy import func, select

    from api.areas.scope import Actor, set_actor
    from api.casework.tracing.models import TracingCase
    from api.rescue.centre.models import Resident

    worker = factories.user("outreach_worker", areas.county)
    set_actor(None, Actor(worker.id, "outreach_worker", areas.county.id, areas.county.path))
    assert db.scalar(select(func.count()).select_from(Resident)) == 0
    assert db.scalars(select(Resident)).all() == []
    assert db.scalars(select(TracingCase)).all() == []
