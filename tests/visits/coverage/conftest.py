"""The hand-computed fixture every coverage test reads from.

Period: 2026-03-01 .. 2026-03-31 in Asia/Shanghai, i.e. [2026-02-28T16:00Z,
2026-03-31T16:00Z). It has ended, so "as of" is its end; cadences are 30 days (poverty-
return monitoring) and 90 days (other focus groups). Towns A (a1, a2) and B (b1, b2).

| household | lives in | focus | visits (local time, place at the time, worker) |
| --- | --- | --- | --- |
| H1 | a1 | unemployed | 03-10 10:00 in person, a1, wA (upload +2h) |
| H2 | a1 | monitoring | 03-31 23:30 phone, a1, wA (+1h): last half hour of the period |
| H3 | a1 | monitoring | 04-01 00:10 (just after the period), 01-20 10:00: overdue |
| H4 | a2 | unemployed | none: never visited |
| H5 | a2 (moved from a1) | unemployed | 03-05 in person in a1, wA (+10h), flagged, pending |
| H6 | b1 | unemployed | 03-15 in person by wA of town A (+30min); 03-16, 03-28 phone wB (+4h, 2h) |
| H7 | b2 | unemployed | 2025-11-01 only: overdue |
| H8 | a1 | none (dibao) | 03-20 in person, wA (+3h): a visit, not a focus household |
| H9 | a2 (moved from town B) | unemployed | 03-25 in person in b1, wB (+1h), flagged, approved |
| H10 | b2 | unemployed | 03-01 00:00 phone wB (+6h): the period's first instant; 02-28 23:59 |
| H11 | b2 | unemployed | none: never visited |

Tasks (relative to the real today, as tasks are current): T1 a1 open due yesterday (wA),
T2 a2 in progress due tomorrow (wA), T3 b1 done 03-20 (wB), T4 b2 cancelled long ago,
T5 b1 open due 2026-03-10 (wB).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from api.areas.models import Area
from api.auth.models import User
from api.db import session, utcnow
from api.visits.models import Household
from tests import factories
from tests.visits import factories as visit_factories
from tests.visits.coverage import factories as coverage_factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
PERIOD = {"from": "2026-03-01", "to": "2026-03-31"}


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@dataclass
class Scenario:
    county: Area
    town_a: Area
    town_b: Area
    a1: Area
    a2: Area
    b1: Area
    b2: Area
    worker_a: User
    worker_b: User
    households: dict[str, Household]


@pytest.fixture
def scenario(db, areas) -> Scenario:
    worker_a = factories.user("outreach_worker", areas.town_a)
    worker_b = factories.user("outreach_worker", areas.town_b)
    a1, a2, b1, b2 = areas.village_a1, areas.village_a2, areas.village_b1, areas.village_b2
    hh = visit_factories.household
    monitoring = ("poverty_return_monitoring",)
    h = {
        "H1": hh(a1, 114.10, 24.35),
        "H2": hh(a1, 114.11, 24.36, focus_groups=monitoring),
        "H3": hh(a1, 114.12, 24.37, focus_groups=("unemployed", *monitoring)),
        "H4": hh(a2, 114.15, 24.35),
        "H5": hh(a2, 114.16, 24.36),
        "H6": hh(b1, 114.20, 24.20),
        "H7": hh(b2, 114.24, 24.20),
        "H8": hh(a1, 114.10, 24.38, focus_groups=(), programmes=("dibao",)),
        "H9": hh(a2, 114.17, 24.37),
        "H10": hh(b2, 114.25, 24.21),
        "H11": hh(b2, 114.26, 24.22),
    }
    v = coverage_factories.visit
    hours = lambda n: timedelta(hours=n)  # noqa: E731
    v(h["H1"], worker_a, local("2026-03-10T10:00"), upload_delay=hours(2))
    v(h["H2"], worker_a, local("2026-03-31T23:30"), "phone", upload_delay=hours(1))
    v(h["H3"], worker_a, local("2026-04-01T00:10"), "phone")
    v(h["H3"], worker_a, local("2026-01-20T10:00"), "phone")
    v(h["H5"], worker_a, local("2026-03-05T09:00"), area=a1, upload_delay=hours(10), flagged=True)
    v(h["H6"], worker_a, local("2026-03-15T09:00"), upload_delay=timedelta(minutes=30))
    v(h["H6"], worker_b, local("2026-03-16T09:00"), "phone", upload_delay=hours(4))
    v(h["H6"], worker_b, local("2026-03-28T09:00"), "phone", upload_delay=hours(2))
    v(h["H7"], worker_b, local("2025-11-01T09:00"))
    v(h["H8"], worker_a, local("2026-03-20T15:00"), upload_delay=hours(3))
    v(
        h["H9"],
        worker_b,
        local("2026-03-25T11:00"),
        area=b1,
        lon=114.19,
        lat=24.21,
        upload_delay=hours(1),
        flagged=True,
        review_state="approved",
    )
    v(h["H10"], worker_b, local("2026-03-01T00:00"), "phone", upload_delay=hours(6))
    v(h["H10"], worker_b, local("2026-02-28T23:59"), "phone")

    today = utcnow().astimezone(SHANGHAI).date()
    t = coverage_factories.task
    t(a1, today - timedelta(days=1), "open", worker_a)
    t(a2, today + timedelta(days=1), "in_progress", worker_a)
    t(b1, date(2026, 3, 22), "done", worker_b, closed_at=local("2026-03-20T10:00"))
    t(b2, date(2025, 1, 1), "cancelled")
    t(b1, date(2026, 3, 10), "open", worker_b)
    session.flush()
    return Scenario(areas.county, areas.town_a, areas.town_b, a1, a2, b1, b2, worker_a, worker_b, h)


@pytest.fixture
def supervisor_headers(scenario):
    return factories.headers_for(factories.user("supervisor", scenario.county))


def get(client, path, headers, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.get(f"{path}?{query}" if query else path, headers=headers)
