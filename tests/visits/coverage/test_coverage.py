"""Coverage and per-worker figures against the hand-computed fixture (see conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.db import session, utcnow
from tests import factories
from tests.visits import factories as visit_factories
from tests.visits.coverage import factories as coverage_factories
from tests.visits.coverage.conftest import PERIOD, get, local

# (focus, visited, in person, overdue, never, visits, visits in person, flagged,
#  flagged pending, open tasks, overdue tasks)
KEYS = (
    "focus_households",
    "visited",
    "visited_in_person",
    "overdue",
    "never_visited",
    "visits",
    "visits_in_person",
    "flagged_visits",
    "flagged_pending_review",
    "open_tasks",
    "overdue_tasks",
)
COUNTY_ROWS = {
    "town_a": (6, 4, 3, 1, 1, 4, 3, 1, 1, 2, 1),
    "town_b": (4, 2, 1, 1, 1, 5, 2, 1, 0, 1, 1),
}
COUNTY_TOTAL = (10, 6, 4, 2, 2, 9, 5, 2, 1, 3, 2)
TOWN_A_ROWS = {
    "a1": (3, 2, 1, 1, 0, 4, 3, 1, 1, 1, 1),
    "a2": (3, 2, 2, 0, 1, 0, 0, 0, 0, 1, 0),
}


def figures(row):
    return tuple(row[key] for key in KEYS)


def coverage(client, headers, area, **params):
    response = get(client, "/api/v1/coverage", headers, area_id=area.id, **{**PERIOD, **params})
    assert response.status_code == 200, response.json
    return response.json


def test_county_coverage_per_town(client, scenario, supervisor_headers):
    body = coverage(client, supervisor_headers, scenario.county)
    rows = {row["area_id"]: figures(row) for row in body["areas"]}
    assert rows == {
        scenario.town_a.id: COUNTY_ROWS["town_a"],
        scenario.town_b.id: COUNTY_ROWS["town_b"],
    }


def test_county_total(client, scenario, supervisor_headers):
    body = coverage(client, supervisor_headers, scenario.county)
    assert figures(body["total"]) == COUNTY_TOTAL
    assert body["total"]["coverage_rate"] == 0.6
    assert body["total"]["area_id"] == scenario.county.id


def test_coverage_rate_is_visited_over_focus(client, scenario, supervisor_headers):
    body = coverage(client, supervisor_headers, scenario.county)
    rates = {row["area_id"]: row["coverage_rate"] for row in body["areas"]}
    assert rates == {scenario.town_a.id: 0.6667, scenario.town_b.id: 0.5}


def test_town_coverage_per_village(client, scenario, supervisor_headers):
    body = coverage(client, supervisor_headers, scenario.town_a)
    rows = {row["area_id"]: figures(row) for row in body["areas"]}
    assert rows == {scenario.a1.id: TOWN_A_ROWS["a1"], scenario.a2.id: TOWN_A_ROWS["a2"]}


def test_period_is_reported_in_local_days_with_its_end(client, scenario, supervisor_headers):
    body = coverage(client, supervisor_headers, scenario.county)
    assert (body["from"], body["to"], body["timezone"]) == (
        "2026-03-01",
        "2026-03-31",
        "Asia/Shanghai",
    )
    assert body["as_of"] == "2026-03-31T16:00:00+00:00"


def test_period_ending_a_day_early_drops_the_last_evening(client, scenario, supervisor_headers):
    # H2's only visit was at 23:30 on 31 March (local): in a period ending on the 30th
    # it does not count, although it is 15:30 UTC on the 31st.
    body = coverage(client, supervisor_headers, scenario.a1, **{"to": "2026-03-30"})
    assert body["total"]["visited"] == 1  # H1 only


def test_visit_just_after_local_midnight_belongs_to_the_next_day(
    client, scenario, supervisor_headers
):
    # H3's visit at 00:10 on 1 April local is 16:10 UTC on 31 March.
    body = coverage(
        client, supervisor_headers, scenario.a1, **{"from": "2026-04-01"}, to="2026-04-01"
    )
    assert body["total"]["visited"] == 1
    assert body["total"]["visits"] == 1


def test_moved_household_counts_where_it_lives_now(client, scenario, supervisor_headers):
    # H5 was visited in a1 and now lives in a2: a2 counts it visited, a1 counts the visit.
    body = coverage(client, supervisor_headers, scenario.town_a)
    rows = {row["area_id"]: row for row in body["areas"]}
    assert rows[scenario.a2.id]["visited_in_person"] == 2  # H5 and H9
    assert rows[scenario.a1.id]["flagged_visits"] == 1  # V5, made in a1


def test_town_supervisor_sees_households_moved_in_as_visited(client, scenario):
    # H9 moved from town B to town A after a visit in town B: a town-A supervisor sees
    # the same figures as the county does for town A.
    town_supervisor = factories.headers_for(factories.user("supervisor", scenario.town_a))
    body = coverage(client, town_supervisor, scenario.town_a)
    assert figures(body["total"]) == COUNTY_ROWS["town_a"]


def test_town_supervisor_defaults_to_own_area(client, scenario):
    town_supervisor = factories.headers_for(factories.user("supervisor", scenario.town_b))
    response = get(client, "/api/v1/coverage", town_supervisor, **PERIOD)
    assert response.status_code == 200
    assert response.json["area"]["id"] == scenario.town_b.id
    assert figures(response.json["total"]) == COUNTY_ROWS["town_b"]


def test_village_has_totals_and_no_children(client, scenario, supervisor_headers):
    body = coverage(client, supervisor_headers, scenario.a1)
    assert body["areas"] == []
    assert figures(body["total"]) == TOWN_A_ROWS["a1"]


def test_empty_area_has_no_rate(client, areas, db):
    headers = factories.headers_for(factories.user("supervisor", areas.county))
    body = coverage(client, headers, areas.county)
    assert body["total"]["focus_households"] == 0
    assert body["total"]["coverage_rate"] is None


def test_cadence_comes_from_settings(client, scenario, supervisor_headers, app):
    # With a 100-day cadence for monitored households, H3 (last visit 20 January) is no
    # longer overdue.
    app.config["REVISIT_DAYS_POVERTY_RETURN_MONITORING"] = 100
    try:
        body = coverage(client, supervisor_headers, scenario.a1)
    finally:
        app.config["REVISIT_DAYS_POVERTY_RETURN_MONITORING"] = 30
    assert body["total"]["overdue"] == 0


# --- the household's stored last visit (households.last_visited_at) -------------------------
# Each household keeps its latest visit time; coverage reads it, and looks up the visits
# only of a household visited after the period's end.

LAST_VISIT_CASES = {
    # visits (local time, channel): (visited, in person, overdue, never visited) in March
    "only after the period: never visited": (
        [("2026-04-02T10:00", "in_person")],
        (0, 0, 0, 1),
    ),
    "in the period and after it: visited": (
        [("2026-03-20T10:00", "in_person"), ("2026-04-03T10:00", "phone")],
        (1, 1, 0, 0),
    ),
    "long before and after the period: overdue": (
        [("2025-11-01T10:00", "phone"), ("2026-04-03T10:00", "in_person")],
        (0, 0, 1, 0),
    ),
    "before the period, within the cadence, and after it: up to date": (
        [("2026-02-10T10:00", "phone"), ("2026-04-03T10:00", "in_person")],
        (0, 0, 0, 0),
    ),
}


@pytest.mark.parametrize("case", LAST_VISIT_CASES)
def test_a_visit_after_the_period_does_not_count_in_it(client, areas, case):
    visits, expected = LAST_VISIT_CASES[case]
    home = visit_factories.household(areas.village_a1)
    for at, channel in visits:
        coverage_factories.visit(home, None, local(at), channel)
    headers = factories.headers_for(factories.user("supervisor", areas.county))
    total = coverage(client, headers, areas.village_a1)["total"]
    assert (total["visited"], total["visited_in_person"], total["overdue"]) == expected[:3]
    assert total["never_visited"] == expected[3]


def test_moved_household_visited_after_the_period_keeps_its_visits(client, areas):
    # Visited in a1 in March and again in April, then moved to a2: for March a2 counts
    # it visited (the visit is a1's), as for a household not visited since.
    home = visit_factories.household(areas.village_a1)
    coverage_factories.visit(home, None, local("2026-03-20T10:00"))
    coverage_factories.visit(home, None, local("2026-04-03T10:00"), "phone")
    home.area_id = areas.village_a2.id
    session.flush()
    headers = factories.headers_for(factories.user("supervisor", areas.county))
    rows = {row["area_id"]: row for row in coverage(client, headers, areas.town_a)["areas"]}
    a1, a2 = rows[areas.village_a1.id], rows[areas.village_a2.id]
    assert (a2["focus_households"], a2["visited"], a2["visited_in_person"]) == (1, 1, 1)
    assert (a2["overdue"], a2["never_visited"], a2["visits"]) == (0, 0, 0)
    assert (a1["focus_households"], a1["visits"], a1["visits_in_person"]) == (0, 1, 1)


def test_period_including_today_is_as_of_now(client, areas):
    # The last 30 days up to today (no dates): "as of" is now, not the end of today.
    now = utcnow()
    hh = visit_factories.household
    monitoring = ("poverty_return_monitoring",)
    recent = hh(areas.village_a1)
    monitored_40_days = hh(areas.village_a1, focus_groups=monitoring)
    default_40_days = hh(areas.village_a1)
    never = hh(areas.village_a1)
    coverage_factories.visit(recent, None, now - timedelta(days=10), "phone")
    coverage_factories.visit(recent, None, now - timedelta(hours=1))
    coverage_factories.visit(monitored_40_days, None, now - timedelta(days=40))
    coverage_factories.visit(default_40_days, None, now - timedelta(days=40))
    headers = factories.headers_for(factories.user("supervisor", areas.county))

    response = get(client, "/api/v1/coverage", headers, area_id=areas.village_a1.id)
    assert response.status_code == 200, response.json
    total = response.json["total"]
    assert figures(total)[:5] == (4, 1, 1, 1, 1)
    assert total["visits"] == 2

    layer = get(client, "/api/v1/maps/households", headers, area_id=areas.village_a1.id).json
    statuses = {
        f["properties"]["household_id"]: f["properties"]["status"] for f in layer["features"]
    }
    assert statuses == {
        recent.id: "visited",
        monitored_40_days.id: "overdue",
        default_40_days.id: "up_to_date",
        never.id: "never_visited",
    }


def test_area_total_includes_what_lies_in_no_child(client, areas):
    # A household and a visit registered at the town itself: in the town's total, in no
    # village's row, and in the town's row of the county.
    home = visit_factories.household(areas.town_a)
    coverage_factories.visit(home, None, local("2026-03-10T10:00"))
    headers = factories.headers_for(factories.user("supervisor", areas.county))
    town = coverage(client, headers, areas.town_a)
    assert sum(row["focus_households"] for row in town["areas"]) == 0
    assert sum(row["visits"] for row in town["areas"]) == 0
    assert (town["total"]["focus_households"], town["total"]["visited"]) == (1, 1)
    assert town["total"]["visits"] == 1
    county = coverage(client, headers, areas.county)
    row = next(r for r in county["areas"] if r["area_id"] == areas.town_a.id)
    assert figures(row) == figures(town["total"])


# --- workers ------------------------------------------------------------------------------


def workers(client, headers, area):
    response = get(client, "/api/v1/coverage/workers", headers, area_id=area.id, **PERIOD)
    assert response.status_code == 200, response.json
    return {row["worker_id"]: row for row in response.json["workers"]}


WORKER_KEYS = (
    "visits",
    "households_reached",
    "in_person_share",
    "flagged_share",
    "median_upload_delay_seconds",
    "tasks_done",
    "tasks_overdue",
)


def test_county_per_worker_figures(client, scenario, supervisor_headers):
    rows = workers(client, supervisor_headers, scenario.county)
    got = {wid: tuple(row[k] for k in WORKER_KEYS) for wid, row in rows.items()}
    assert got == {
        # V1 V2 V5 V6 V8: delays 2h 1h 10h 30min 3h -> median 2h; T1 overdue
        scenario.worker_a.id: (5, 5, 0.8, 0.2, 7200, 0, 1),
        # V6b V6c V9 V10: delays 4h 2h 1h 6h -> median 3h; T3 done, T5 overdue
        scenario.worker_b.id: (4, 3, 0.25, 0.25, 10800, 1, 1),
    }


def test_worker_from_another_town_is_listed_with_name(client, scenario):
    town_b = factories.headers_for(factories.user("supervisor", scenario.town_b))
    rows = workers(client, town_b, scenario.town_b)
    visitor = rows[scenario.worker_a.id]
    assert visitor["visits"] == 1  # H6 in b1
    assert visitor["display_name"] == scenario.worker_a.display_name
    assert visitor["home_area_id"] == scenario.town_a.id


def test_town_workers_count_only_visits_made_there(client, scenario, supervisor_headers):
    rows = workers(client, supervisor_headers, scenario.town_a)
    assert set(rows) == {scenario.worker_a.id}
    assert rows[scenario.worker_a.id]["visits"] == 4


@pytest.mark.parametrize("odd", [True, False])
def test_median_of_odd_and_even_counts(client, db, areas, odd):
    worker = factories.user("outreach_worker", areas.town_a)
    home = visit_factories.household(areas.village_a1)
    delays = [1, 5, 100] if odd else [1, 5, 7, 100]
    for i, minutes in enumerate(delays):
        coverage_factories.visit(
            home,
            worker,
            datetime(2026, 3, 10 + i, 2, tzinfo=UTC),
            "phone",
            upload_delay=timedelta(minutes=minutes),
        )
    headers = factories.headers_for(factories.user("supervisor", areas.county))
    rows = workers(client, headers, areas.county)
    assert rows[worker.id]["median_upload_delay_seconds"] == (300 if odd else 360)
