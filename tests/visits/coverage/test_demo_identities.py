"""The coverage figures add up, on the demo county (``flask demo seed``'s seeder):

- each report's total is the sum of its child rows and its own row (what lies in the area
  itself: tasks placed at the county), for every figure, in the API and the export;
- a child's row in its parent's report is that child's own total;
- focus households = visited + overdue + never visited + not yet due (``up_to_date``),
  in a short period and in one longer than the revisit cadences;
- the open tasks are every active task of the area's subtree;
- no household has two open tasks of a rule that keeps one per household.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from api.areas.models import Area
from api.auth.models import User
from api.casework.tasks.models import ACTIVE_STATUSES, ONE_OPEN_PER_HOUSEHOLD_RULES, Task
from api.common.county_time import local_today
from api.demo.areas import COUNTY
from api.demo.cli import seed_demo
from api.visits.coverage.services import HOUSEHOLD_KEYS, TASK_KEYS, VISIT_KEYS
from tests import factories

FIGURES = (*HOUSEHOLD_KEYS, *VISIT_KEYS, *TASK_KEYS)
STATUSES = ("visited", "overdue", "never_visited", "up_to_date")


@pytest.fixture
def demo(db):
    assert seed_demo() is True
    db.flush()
    county = db.scalar(select(Area).where(Area.code == COUNTY[0]))
    supervisor = db.scalar(select(User).where(User.username == "demo-supervisor"))
    return county, factories.headers_for(supervisor)


def report(client, headers, area_id, first, last):
    response = client.get(
        f"/api/v1/coverage?area_id={area_id}&from={first}&to={last}", headers=headers
    )
    assert response.status_code == 200, response.json
    return response.json


def periods():
    today = local_today()
    # The default month, and half a year (longer than every cadence: a household visited
    # early in it may be due again by its end, and still counts once).
    return [(today - timedelta(days=29), today), (today - timedelta(days=182), today)]


def assert_adds_up(body):
    for key in FIGURES:
        rows = sum(row[key] for row in body["areas"]) + body["own"][key]
        assert rows == body["total"][key], key
    for row in [*body["areas"], body["own"], body["total"]]:
        assert sum(row[s] for s in STATUSES) == row["focus_households"], row["name"]


def test_county_figures_add_up(client, db, demo):
    county, headers = demo
    month = report(client, headers, county.id, *periods()[0])
    assert all(month["total"][s] > 0 for s in STATUSES)  # every group is tested
    assert month["own"]["open_tasks"] > 0  # tasks placed at the county itself
    for first, last in periods():
        body = report(client, headers, county.id, first, last)
        assert body["total"]["focus_households"] > 0 and body["total"]["open_tasks"] > 0
        assert_adds_up(body)
        for town in body["areas"]:
            town_body = report(client, headers, town["area_id"], first, last)
            assert_adds_up(town_body)
            assert {k: town_body["total"][k] for k in FIGURES} == {k: town[k] for k in FIGURES}


def test_open_tasks_are_every_active_task_including_the_countys_own(client, db, demo):
    county, headers = demo
    first, last = periods()[0]
    body = report(client, headers, county.id, first, last)
    active = db.scalar(
        select(func.count())
        .select_from(Task)
        .join(Area, Area.id == Task.area_id)
        .where(Task.status.in_(ACTIVE_STATUSES), Area.path.startswith(county.path))
    )
    at_county = db.scalar(
        select(func.count()).where(Task.status.in_(ACTIVE_STATUSES), Task.area_id == county.id)
    )
    assert body["total"]["open_tasks"] == active
    assert body["own"]["open_tasks"] == at_county


def test_coverage_export_adds_up(client, db, demo):
    county, headers = demo
    first, last = periods()[0]
    response = client.get(
        f"/api/v1/exports/coverage?area_id={county.id}&from={first}&to={last}&format=csv",
        headers=headers,
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    *parts, total = rows
    assert total["区域名称"].endswith("（合计）")
    for label in ("重点户数", "期内已走访户数", "未到回访期户数", "未办结任务", "逾期任务"):
        assert sum(int(row[label]) for row in parts) == int(total[label]), label
    assert int(total["重点户数"]) == sum(
        int(total[label])
        for label in ("期内已走访户数", "超期未回访户数", "从未走访户数", "未到回访期户数")
    )


def test_demo_has_one_open_task_per_household_for_the_visit_rules(db, demo):
    repeated = db.execute(
        select(Task.kind, Task.household_id)
        .where(Task.rule.in_(ONE_OPEN_PER_HOUSEHOLD_RULES), Task.status.in_(ACTIVE_STATUSES))
        .group_by(Task.kind, Task.household_id)
        .having(func.count() > 1)
    ).all()
    assert repeated == []
    details = db.scalars(select(Task.details).where(Task.rule == "visit_screening")).all()
    assert any(
        len(d["visit_ids"]) > 1 for d in details
    )  # households screened on several visits: one task, the visits noted
