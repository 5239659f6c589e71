"""The coverage summary (``coverage_months``) stays equal to a recomputation from scratch
after random writes through the API, and the month's coverage it answers is the one the
raw tables give."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from api.areas.scope import SYSTEM, set_actor
from api.db import session, utcnow
from api.visits.coverage import summary
from api.visits.coverage.models import CoverageClosedMonth
from api.visits.models import Visit
from tests import factories
from tests.visits import factories as visit_factories

FOCUS = ("unemployed", "poverty_return_monitoring", "low_income_marginal")


def _recomputed() -> dict:
    months = summary._closed_months(session(), summary.settings())
    return {key: v for key, v in summary.contribution(session(), months, None).items() if any(v)}


def _closed() -> list:
    return list(session.scalars(select(CoverageClosedMonth.month).order_by("month")))


def _coverage(client, headers, area_id, month, raw, monkeypatch):
    last = summary.next_month(month) - timedelta(days=1)
    with monkeypatch.context() as patch:
        if raw:
            patch.setattr(summary, "closed_month", lambda *_args: None)
        response = client.get(
            "/api/v1/coverage",
            query_string={"area_id": area_id, "from": month.isoformat(), "to": last.isoformat()},
            headers=headers,
        )
    assert response.status_code == 200, response.json
    return response.json


def _household_body(rng, village, focus_groups):
    return {
        "area_id": village.id,
        "address": f"随机路{rng.randrange(10_000)}号",
        "location": {"type": "Point", "coordinates": [114.10, 24.35]},
        "urban_rural": "rural",
        "members": [
            {
                "name": f"户主{rng.randrange(10_000)}",
                "relation": "户主",
                "sex": "male",
                "birth_year": 1970,
            }
        ],
        "focus_groups": focus_groups,
    }


@pytest.mark.parametrize("seed", [1, 2])
def test_summary_equals_recomputation_after_random_writes(client, areas, monkeypatch, seed):
    rng = random.Random(seed)
    villages = [areas.village_a1, areas.village_a2, areas.village_b1, areas.village_b2]
    worker = factories.headers_for(factories.user("outreach_worker", areas.county))
    supervisor = factories.headers_for(factories.user("supervisor", areas.county))
    now = utcnow()

    def a_time():
        return now - timedelta(days=rng.uniform(0, 300), minutes=rng.randrange(600))

    households = [
        visit_factories.household(
            rng.choice(villages), focus_groups=tuple(rng.sample(FOCUS, rng.randint(0, 2)))
        ).id
        for _ in range(12)
    ]
    for _ in range(30):  # before the summary starts: the first close counts them
        body = visit_factories.visit_payload(rng.choice(households), visited_at=a_time())
        assert client.post("/api/v1/visits", json=body, headers=worker).status_code == 201
    assert summary.close_months() > 0
    session.commit()
    assert summary.stored() == _recomputed()

    visit_ids = list(session.scalars(select(Visit.id)))
    for _ in range(60):
        action = rng.choice(["visit", "visit", "batch", "move", "focus", "new", "review", "new+"])
        if action == "visit":
            channel = rng.choice(["in_person", "phone"])
            far = rng.random() < 0.3  # flagged by the presence check
            body = visit_factories.visit_payload(
                rng.choice(households),
                channel=channel,
                visited_at=a_time(),
                lon=114.30 if far else 114.10,
            )
            response = client.post("/api/v1/visits", json=body, headers=worker)
            assert response.status_code == 201, response.json
            visit_ids.append(response.json["id"])
        elif action == "batch":
            items = [
                visit_factories.visit_payload(rng.choice(households), visited_at=a_time())
                for _ in range(rng.randint(2, 5))
            ]
            response = client.post("/api/v1/visits/batch", json={"visits": items}, headers=worker)
            assert response.status_code == 200, response.json
            visit_ids.extend(r["id"] for r in response.json["results"])
        elif action == "move":
            response = client.patch(
                f"/api/v1/households/{rng.choice(households)}",
                json={"area_id": rng.choice(villages).id},
                headers=supervisor,
            )
            assert response.status_code == 200, response.json
        elif action == "focus":
            response = client.patch(
                f"/api/v1/households/{rng.choice(households)}",
                json={"focus_groups": rng.sample(FOCUS, rng.randint(0, 2))},
                headers=supervisor,
            )
            assert response.status_code == 200, response.json
        elif action == "new":
            body = _household_body(rng, rng.choice(villages), rng.sample(FOCUS, rng.randint(0, 2)))
            response = client.post("/api/v1/households", json=body, headers=supervisor)
            assert response.status_code == 201, response.json
            households.append(response.json["id"])
        elif action == "new+":  # a visit that registers its household
            body = visit_factories.visit_payload(visited_at=a_time())
            body["new_household"] = {
                **_household_body(rng, rng.choice(villages), rng.sample(FOCUS, 1)),
                "client_uuid": str(uuid.uuid4()),
            }
            response = client.post("/api/v1/visits", json=body, headers=worker)
            assert response.status_code == 201, response.json
            households.append(response.json["household_id"])
        else:
            response = client.patch(
                f"/api/v1/visits/{rng.choice(visit_ids)}/review",
                json={"state": rng.choice(["approved", "has_issues"]), "comment": "看过"},
                headers=supervisor,
            )
            assert response.status_code == 200, response.json

    assert summary.stored() == _recomputed()
    flagged = session.scalar(select(Visit.id).where(Visit.presence_flagged.is_(True)).limit(1))
    assert flagged is not None  # the flagged figures were exercised
    for month in _closed():
        for area in (areas.county, areas.town_a):
            kept = _coverage(client, supervisor, area.id, month, False, monkeypatch)
            raw = _coverage(client, supervisor, area.id, month, True, monkeypatch)
            assert kept == raw


def test_rebuild_command_recomputes_the_summary(app, client, areas):
    household = visit_factories.household(areas.village_a1)
    worker = factories.headers_for(factories.user("outreach_worker", areas.county))
    body = visit_factories.visit_payload(household.id, visited_at=utcnow() - timedelta(days=70))
    assert client.post("/api/v1/visits", json=body, headers=worker).status_code == 201
    result = app.test_cli_runner().invoke(args=["coverage", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "months" in result.output
    assert summary.stored() == _recomputed()
    assert summary.stored()  # it holds the visit's months


@pytest.mark.spatialite
def test_summary_on_spatialite(sqlite_app, monkeypatch):
    set_actor(None, SYSTEM)
    areas = factories.area_tree()
    worker = factories.user("outreach_worker", areas.county)
    households = [visit_factories.household(areas.village_a1).id for _ in range(3)]
    households.append(visit_factories.household(areas.village_b1, focus_groups=(FOCUS[1],)).id)
    headers = factories.headers_for(worker)
    supervisor = factories.headers_for(factories.user("supervisor", areas.county))
    session.commit()
    client = sqlite_app.test_client()
    rng = random.Random(3)
    for household_id in households * 3:
        at = utcnow() - timedelta(days=rng.uniform(0, 200))
        body = visit_factories.visit_payload(household_id, visited_at=at)
        assert client.post("/api/v1/visits", json=body, headers=headers).status_code == 201
    assert summary.rebuild() > 0
    session.commit()
    body = visit_factories.visit_payload(households[0], visited_at=utcnow() - timedelta(days=65))
    assert client.post("/api/v1/visits", json=body, headers=headers).status_code == 201
    assert summary.stored() == _recomputed()
    for month in _closed():
        kept = _coverage(client, supervisor, areas.county.id, month, False, monkeypatch)
        assert kept == _coverage(client, supervisor, areas.county.id, month, True, monkeypatch)
