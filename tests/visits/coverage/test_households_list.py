"""GET /coverage/households and its export: the focus households behind the figures, each
with the status the coverage columns count it under, its focus groups and last visitor."""

from __future__ import annotations

import csv
import io

import pytest

from tests.visits.coverage.conftest import PERIOD, get
from tests.visits.coverage.test_coverage import COUNTY_TOTAL, KEYS


def households(client, headers, area, **params):
    response = get(
        client, "/api/v1/coverage/households", headers, area_id=area.id, **PERIOD, **params
    )
    assert response.status_code == 200, response.json
    return response


@pytest.mark.parametrize("status", ["visited", "overdue", "never_visited"])
def test_a_status_lists_as_many_households_as_its_column(
    client, scenario, supervisor_headers, status
):
    response = households(client, supervisor_headers, scenario.county, status=status)
    assert len(response.json) == COUNTY_TOTAL[KEYS.index(status)]
    assert response.headers["X-Total-Count"] == str(len(response.json))
    assert {row["status"] for row in response.json} == {status}


def test_all_focus_households_with_their_groups_and_last_visitor(
    client, scenario, supervisor_headers
):
    rows = households(client, supervisor_headers, scenario.county, page_size=500).json
    assert len(rows) == COUNTY_TOTAL[KEYS.index("focus_households")]
    by_id = {row["id"]: row for row in rows}
    h3 = by_id[scenario.households["H3"].id]
    assert h3["focus_groups"] == ["poverty_return_monitoring", "unemployed"]
    assert h3["status"] == "overdue"
    # H6: visited by town A's worker, then twice by town B's: the last one is named.
    h6 = by_id[scenario.households["H6"].id]
    assert h6["last_worker_name"] == scenario.worker_b.display_name
    assert (h6["town_name"], h6["village_name"]) == ("乙镇", "乙一村")
    assert by_id[scenario.households["H4"].id]["last_worker_name"] is None
    assert scenario.households["H8"].id not in by_id  # no focus group: not listed


def test_drilling_into_a_village_lists_its_households_only(client, scenario, supervisor_headers):
    rows = households(client, supervisor_headers, scenario.a2).json
    assert {row["village_name"] for row in rows} == {"甲二村"}
    assert len(rows) == 3


def test_the_export_has_labels_and_the_same_rows(client, scenario, supervisor_headers):
    response = get(
        client,
        "/api/v1/exports/households",
        supervisor_headers,
        area_id=scenario.county.id,
        format="csv",
        status="overdue",
        **PERIOD,
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == COUNTY_TOTAL[KEYS.index("overdue")]
    assert {row["状态"] for row in rows} == {"超期未回访"}
    h3 = next(row for row in rows if row["户编号"] == str(scenario.households["H3"].id))
    assert h3["重点人群"] == "防止返贫监测对象、失业人员"


def test_a_town_supervisor_cannot_list_another_town(client, scenario):
    from tests import factories

    town_b = factories.headers_for(factories.user("supervisor", scenario.town_b))
    response = get(client, "/api/v1/coverage/households", town_b, area_id=scenario.town_a.id)
    assert response.status_code == 404
