"""Open-day logs: the 6·19 default, the record's parts, offline resends, bad input."""

import uuid
from datetime import date

import pytest

from api.common import county_time
from tests import factories
from tests.rescue.centre import factories as centre

URL = "/api/v1/open-day-events"


@pytest.fixture
def staff(areas):
    return factories.headers_for(factories.user("rescue_staff", areas.county))


def test_default_date_is_19_june_of_this_year(client, staff):
    response = client.post(URL, json={"theme": "救助有温度"}, headers=staff)
    assert response.status_code == 201, response.json
    assert response.json["held_on"] == date(county_time.local_today().year, 6, 19).isoformat()
    assert "6·19" in response.json["title"]


def test_full_open_day_log(client, staff):
    body = {
        "held_on": "2026-06-19",
        "title": "第十四个“6·19”救助管理机构开放日",
        "theme": "大爱寻亲，温暖回家",
        "visitor_count": 120,
        "groups": [{"name": "县一中志愿者", "size": 30}, {"name": "人大代表"}],
        "activities": ["参观生活区", "寻亲成果展"],
        "media_coverage": [
            {"outlet": "翁源电视台", "title": "开放日新闻", "published_on": "2026-06-20"}
        ],
        "notes": "天气晴",
    }
    response = client.post(URL, json=body, headers=staff)
    assert response.status_code == 201, response.json
    got = client.get(f"{URL}/{response.json['id']}", headers=staff).json
    assert got["groups"][0] == {"name": "县一中志愿者", "size": 30}
    assert got["media_coverage"][0]["published_on"] == "2026-06-20"
    assert got["visitor_count"] == 120


def test_another_date_is_allowed(client, staff):
    response = client.post(URL, json={"held_on": "2026-05-15", "title": "社区开放"}, headers=staff)
    assert response.status_code == 201
    assert response.json["held_on"] == "2026-05-15"


def test_list_by_year(client, areas, staff):
    centre.open_day_event(areas.county, held_on=date(2025, 6, 19))
    this = centre.open_day_event(areas.county, held_on=date(2026, 6, 19))
    got = client.get(f"{URL}?year=2026", headers=staff).json
    assert [e["id"] for e in got] == [this.id]


def test_patch_updates_visitors(client, areas, staff):
    event = centre.open_day_event(areas.county)
    response = client.patch(f"{URL}/{event.id}", json={"visitor_count": 80}, headers=staff)
    assert response.status_code == 200 and response.json["visitor_count"] == 80


def test_resend_replays(client, staff):
    body = {"client_uuid": str(uuid.uuid4()), "title": "开放日"}
    first = client.post(URL, json=body, headers=staff)
    again = client.post(URL, json=body, headers=staff)
    assert (first.status_code, again.status_code) == (201, 200)
    assert client.post(URL, json={**body, "title": "别的"}, headers=staff).status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"visitor_count": -1},
        {"visitor_count": 10**12},
        {"held_on": "19 June"},
        {"title": ""},
        {"groups": [{"size": 3}]},
        {"media_coverage": [{"outlet": "x", "url": "not a url"}]},
        {"activities": ["x"] * 201},
    ],
)
def test_bad_open_day_is_422(client, staff, body):
    assert client.post(URL, json=body, headers=staff).status_code == 422


def test_other_towns_event_is_404(client, areas):
    event = centre.open_day_event(areas.town_a)
    other = factories.headers_for(factories.user("rescue_staff", areas.town_b))
    assert client.get(f"{URL}/{event.id}", headers=other).status_code == 404


def test_patch_validates_each_media_item_whole(client, areas, staff):
    # A PATCH may leave out top-level fields, not the required parts of an item it sends.
    event = centre.open_day_event(areas.county)
    response = client.patch(
        f"{URL}/{event.id}", json={"media_coverage": [{"title": "无媒体名"}]}, headers=staff
    )
    assert response.status_code == 422
    assert "media_coverage.0.outlet" in response.json["errors"]
