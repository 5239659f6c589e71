"""Tracing reports against a small hand-computed fixture (dates in the county's zone, +08).

| case | resident admitted | opened     | steps                                              |
| A    | 2026-01-05        | 2026-01-10 | searching 01-15, lead_found 02-01                 |
| B    | 2025-11-20        | 2025-12-01 | searching 12-05                                   |
| C    | 2026-02-18        | 2026-02-20 | -                                                  |
| D    | 2025-01-20        | 2025-02-01 | … verifying 2025-05-10, reunited 2025-06-18       |
| E    | 2025-02-20        | 2025-03-01 | searching 03-05, settled_locally 2026-01-20 23:30 |
| F    | 2024-11-25        | 2024-12-01 | … verifying 2025-06-10, reunited 2026-03-01 07:00 |

F's reunion is 2026-02-28 23:00 UTC: it belongs to March and to 1 March in the county.
"""

from datetime import date

import pytest

from api.casework.tracing import reports
from tests import factories
from tests.casework.tracing import factories as tracing_factories
from tests.rescue.centre import factories as centre

at = centre.at


@pytest.fixture
def fixture(areas):
    county = areas.county

    def person(admitted, left=None):
        if left is None:
            return centre.resident(county, at(admitted))
        return centre.discharged(county, at(admitted), left)

    cases = {
        "A": tracing_factories.case_with_history(
            person("2026-01-05"),
            at("2026-01-10"),
            [("searching", at("2026-01-15")), ("lead_found", at("2026-02-01"))],
        ),
        "B": tracing_factories.case_with_history(
            person("2025-11-20"), at("2025-12-01"), [("searching", at("2025-12-05"))]
        ),
        "C": tracing_factories.case_with_history(person("2026-02-18"), at("2026-02-20"), []),
        "D": tracing_factories.case_with_history(
            person("2025-01-20", at("2025-06-18")),
            at("2025-02-01"),
            [
                ("searching", at("2025-02-10")),
                ("lead_found", at("2025-05-01")),
                ("verifying", at("2025-05-10")),
                ("reunited", at("2025-06-18")),
            ],
        ),
        "E": tracing_factories.case_with_history(
            person("2025-02-20", at("2026-01-20", 23)),
            at("2025-03-01"),
            [("searching", at("2025-03-05")), ("settled_locally", at("2026-01-20", 23))],
        ),
        "F": tracing_factories.case_with_history(
            person("2024-11-25", at("2026-03-01", 7)),
            at("2024-12-01"),
            [
                ("searching", at("2024-12-02")),
                ("lead_found", at("2025-06-01")),
                ("verifying", at("2025-06-10")),
                ("reunited", at("2026-03-01", 7)),
            ],
        ),
    }
    return cases


def _buckets(report):
    return {row["days_open"]: row["count"] for row in report["by_days_open"]}


def test_open_cases_on_1_march(db, fixture):

    report = reports.open_cases_report(date(2026, 3, 1))
    assert report["total"] == 3
    assert report["by_status"] == {"open": 1, "searching": 1, "lead_found": 1, "verifying": 0}
    # A 50 days, B 90, C 9
    assert _buckets(report) == {"0-29": 1, "30-89": 1, "90-179": 1, "180-364": 0, "365+": 0}


def test_open_cases_on_28_february_reads_history(db, fixture):

    report = reports.open_cases_report(date(2026, 2, 28))
    assert report["total"] == 4
    assert report["by_status"] == {"open": 1, "searching": 1, "lead_found": 1, "verifying": 1}
    # A 49 days, B 89, C 8, F 454
    assert _buckets(report) == {"0-29": 1, "30-89": 2, "90-179": 0, "180-364": 0, "365+": 1}


def test_open_cases_in_may_2025(db, fixture):

    report = reports.open_cases_report(date(2025, 5, 5))
    # D lead_found (93 days), E searching (65), F searching (155); A, B, C not yet opened
    assert report["by_status"] == {"open": 0, "searching": 2, "lead_found": 1, "verifying": 0}
    assert _buckets(report) == {"0-29": 0, "30-89": 1, "90-179": 2, "180-364": 0, "365+": 0}


def test_outcomes_by_month_and_calendar_year(db, fixture):

    report = reports.outcomes_report(date(2025, 1, 1), date(2026, 3, 31))
    assert report["totals"] == {"reunited": 2, "settled_locally": 1}
    months = {row["month"]: (row["reunited"], row["settled_locally"]) for row in report["by_month"]}
    assert len(months) == 15
    assert months["2025-06"] == (1, 0)
    assert months["2026-01"] == (0, 1)
    assert months["2026-02"] == (0, 0)  # F's reunion is 1 March in the county
    assert months["2026-03"] == (1, 0)
    assert sum(r + s for r, s in months.values()) == 3
    years = [
        (y["campaign_year"], y["reunited"], y["settled_locally"])
        for y in report["by_campaign_year"]
    ]
    assert years == [(2025, 1, 0), (2026, 1, 1)]


def test_outcomes_by_campaign_year_starting_on_the_open_day(db, fixture):

    report = reports.outcomes_report(date(2025, 1, 1), date(2026, 3, 31), (6, 19))
    years = [
        (y["campaign_year"], y["starts_on"], y["reunited"], y["settled_locally"])
        for y in report["by_campaign_year"]
    ]
    # D on 2025-06-18 is the last day of the year that began 2024-06-19.
    assert years == [(2024, "2024-06-19", 1, 0), (2025, "2025-06-19", 1, 1)]


def test_outcomes_range_excludes_outside_dates(db, fixture):

    report = reports.outcomes_report(date(2026, 1, 21), date(2026, 2, 28))
    assert report["totals"] == {"reunited": 0, "settled_locally": 0}


def test_long_stay_count_at_dates(db, fixture):

    assert reports.long_stay_count(date(2026, 3, 1), 90) == 1  # B (101 days)
    assert reports.long_stay_count(date(2026, 1, 1), 90) == 2  # E (315), F (402)


def test_report_endpoints(client, areas, fixture):
    headers = factories.headers_for(factories.user("supervisor", areas.county))
    opened = client.get("/api/v1/tracing-cases/reports/open?as_of=2026-02-28", headers=headers)
    assert opened.status_code == 200 and opened.json["total"] == 4
    outcomes = client.get(
        "/api/v1/tracing-cases/reports/outcomes?from=2025-01-01&to=2026-03-31"
        "&campaign_year_start=06-19",
        headers=headers,
    )
    assert outcomes.status_code == 200
    assert [y["campaign_year"] for y in outcomes.json["by_campaign_year"]] == [2024, 2025]
    long_stay = client.get(
        "/api/v1/tracing-cases/reports/long-stay?as_of=2026-01-01", headers=headers
    )
    assert long_stay.json == {"as_of": "2026-01-01", "threshold_days": 90, "count": 2}


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-03-01&to=2026-01-01",
        "from=1900-01-01&to=2026-01-01",
        "campaign_year_start=02-30",
        "campaign_year_start=13-01",
        "from=notadate",
    ],
)
def test_bad_outcome_report_query_is_422(client, areas, query):
    headers = factories.headers_for(factories.user("supervisor", areas.county))
    response = client.get(f"/api/v1/tracing-cases/reports/outcomes?{query}", headers=headers)
    assert response.status_code == 422
