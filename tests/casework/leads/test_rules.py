"""Routing and response status as plain functions."""

from datetime import UTC, datetime, timedelta

import pytest

from api.casework.leads import rules

COUNTY = rules.AreaFacts(1, "county", "测试县", None)
TOWN = rules.AreaFacts(2, "town", "龙仙镇", 1)
VILLAGE = rules.AreaFacts(3, "village", "龙仙村", 2)
OTHER_TOWN = rules.AreaFacts(4, "town", "江尾镇", 1)
PLACES = [TOWN, VILLAGE, OTHER_TOWN]


@pytest.mark.parametrize(
    ("reported", "address", "street", "expected"),
    [
        (VILLAGE, None, False, rules.Route(2, "town")),
        (TOWN, "江尾镇", False, rules.Route(2, "town")),  # a named town beats the address
        (COUNTY, "江尾镇新街3号", False, rules.Route(4, "town")),
        (COUNTY, "龙仙镇龙仙村", False, rules.Route(2, "town")),  # the village, longest name
        (None, "江尾镇", False, rules.Route(4, "town")),
        (COUNTY, "火车站", False, rules.Route(1, "county")),
        (None, None, False, rules.Route(1, "county")),
        (VILLAGE, None, True, rules.Route(1, "rescue_centre")),
    ],
)
def test_route(reported, address, street, expected):
    assert rules.route(1, reported, address, PLACES, street) == expected


T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
DUE = T0 + timedelta(hours=24)


@pytest.mark.parametrize(
    ("contact", "now", "expected"),
    [
        (None, T0 + timedelta(hours=17, minutes=59), "on_track"),
        (None, T0 + timedelta(hours=18), "at_risk"),
        (None, DUE - timedelta(seconds=1), "at_risk"),
        (None, DUE, "breached"),
        (T0 + timedelta(hours=23), DUE + timedelta(days=9), "on_track"),
        (DUE + timedelta(minutes=1), DUE + timedelta(days=9), "breached"),
    ],
)
def test_response_status_thresholds(contact, now, expected):
    assert rules.response_status(T0, DUE, contact, now) == expected
