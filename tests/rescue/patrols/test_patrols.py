"""Patrols: idempotent creation from the phone, campaign date rules, ending, the map."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from tests import factories
from tests.rescue.patrols import factories as pf

START = datetime(2026, 7, 6, 20, 0, tzinfo=UTC)


def patrol_body(**overrides):
    body = {
        "client_uuid": str(uuid.uuid4()),
        "mode": "on_foot",
        "started_at": "2026-07-07T04:00:00+08:00",
    }
    body.update(overrides)
    return body


@pytest.fixture
def rescue(areas):
    return factories.user("rescue_staff", areas.county)


def test_create_patrol_is_idempotent_on_client_uuid(client, areas, rescue):
    headers = factories.headers_for(rescue)
    body = patrol_body(area_id=areas.town_a.id)
    first = client.post("/api/v1/patrols", json=body, headers=headers)
    assert first.status_code == 201
    again = client.post("/api/v1/patrols", json=body, headers=headers)
    assert again.status_code == 200
    assert again.json["id"] == first.json["id"]
    listed = client.get("/api/v1/patrols", headers=headers)
    assert listed.headers["X-Total-Count"] == "1"


def test_same_client_uuid_with_other_content_is_409(client, areas, rescue):
    headers = factories.headers_for(rescue)
    body = patrol_body(area_id=areas.town_a.id)
    assert client.post("/api/v1/patrols", json=body, headers=headers).status_code == 201
    changed = {**body, "mode": "vehicle"}
    assert client.post("/api/v1/patrols", json=changed, headers=headers).status_code == 409


def test_team_defaults_to_the_caller_and_lists_members(client, areas, rescue):
    response = client.post(
        "/api/v1/patrols",
        json=patrol_body(area_id=areas.town_a.id),
        headers=factories.headers_for(rescue),
    )
    assert response.json["team"] == [rescue.id]
    assert response.json["team_members"][0]["username"] == rescue.username


def test_team_with_unknown_user_is_422(client, areas, rescue):
    response = client.post(
        "/api/v1/patrols",
        json=patrol_body(area_id=areas.town_a.id, team=[rescue.id, 999999]),
        headers=factories.headers_for(rescue),
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"team.1": ["No such user: 999999."]}


def test_patrol_inside_campaign_takes_its_area(client, areas, rescue):
    campaign = pf.campaign(areas.county)
    response = client.post(
        "/api/v1/patrols",
        json=patrol_body(campaign_id=campaign.id),
        headers=factories.headers_for(rescue),
    )
    assert response.status_code == 201
    assert response.json["area_id"] == areas.county.id
    assert response.json["campaign_id"] == campaign.id


@pytest.mark.parametrize(
    ("started_at", "status"),
    [
        ("2026-07-01T00:00:00+08:00", 201),  # first local day
        ("2026-08-31T23:59:00+08:00", 201),  # last local day
        ("2026-06-30T23:59:00+08:00", 422),  # the day before
        ("2026-08-31T16:30:00+00:00", 422),  # 2026-09-01 00:30 in Shanghai
    ],
)
def test_patrol_date_must_fall_inside_its_campaign(client, areas, rescue, started_at, status):
    campaign = pf.campaign(areas.county, starts_on=date(2026, 7, 1), ends_on=date(2026, 8, 31))
    response = client.post(
        "/api/v1/patrols",
        json=patrol_body(campaign_id=campaign.id, started_at=started_at),
        headers=factories.headers_for(rescue),
    )
    assert response.status_code == status
    if status == 422:
        assert "started_at" in response.json["errors"]


def test_patrol_area_outside_campaign_area_is_422(client, areas, rescue):
    campaign = pf.campaign(areas.town_a)
    response = client.post(
        "/api/v1/patrols",
        json=patrol_body(campaign_id=campaign.id, area_id=areas.town_b.id),
        headers=factories.headers_for(rescue),
    )
    assert response.status_code == 422
    assert "area_id" in response.json["errors"]


def test_campaign_ending_before_it_starts_is_422(client, areas, rescue):
    response = client.post(
        "/api/v1/campaigns",
        json={
            "kind": "winter_warmth",
            "name": "寒冬送温暖",
            "starts_on": "2026-02-01",
            "ends_on": "2026-01-01",
        },
        headers=factories.headers_for(rescue),
    )
    assert response.status_code == 422
    assert "ends_on" in response.json["errors"]


def test_campaign_with_unknown_supply_kind_is_422(client, areas, rescue):
    response = client.post(
        "/api/v1/campaigns",
        json={
            "kind": "winter_warmth",
            "name": "寒冬送温暖",
            "starts_on": "2026-01-01",
            "ends_on": "2026-02-01",
            "supplies_planned": {"quilt": 300, "gold": 1},
        },
        headers=factories.headers_for(rescue),
    )
    assert response.status_code == 422
    assert "supplies_planned" in response.json["errors"]


def test_campaign_dates_cannot_move_away_from_its_patrols(client, areas, rescue):
    campaign = pf.campaign(areas.county)
    pf.patrol(areas.town_a, started_at=START, campaign=campaign)
    response = client.patch(
        f"/api/v1/campaigns/{campaign.id}",
        json={"starts_on": "2026-07-10"},
        headers=factories.headers_for(rescue),
    )
    assert response.status_code == 409
    assert response.json["patrols_outside"] == 1


def test_campaign_dates_may_change_around_its_patrols(client, areas, rescue):
    campaign = pf.campaign(areas.county)
    pf.patrol(areas.town_a, started_at=START, campaign=campaign)
    response = client.patch(
        f"/api/v1/campaigns/{campaign.id}",
        json={"ends_on": "2026-07-31", "supplies_planned": {"water": 500}},
        headers=factories.headers_for(rescue),
    )
    assert response.status_code == 200
    assert response.json["ends_on"] == "2026-07-31"


def test_end_patrol_with_summary(client, areas, rescue):
    patrol = pf.patrol(areas.town_a, started_at=START)
    response = client.patch(
        f"/api/v1/patrols/{patrol.id}",
        json={"ended_at": "2026-07-07T07:30:00+08:00", "summary": "城区巡查，遇到三人"},
        headers=factories.headers_for(rescue),
    )
    assert response.status_code == 200
    ended = datetime.fromisoformat(response.json["ended_at"])
    assert ended == datetime(2026, 7, 6, 23, 30, tzinfo=UTC)
    assert response.json["summary"] == "城区巡查，遇到三人"


def test_end_before_start_is_422(client, areas, rescue):
    patrol = pf.patrol(areas.town_a, started_at=START)
    response = client.patch(
        f"/api/v1/patrols/{patrol.id}",
        json={"ended_at": "2026-07-06T19:00:00+00:00"},
        headers=factories.headers_for(rescue),
    )
    assert response.status_code == 422


def test_patrol_starting_in_the_future_is_422(client, areas, rescue):
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    response = client.post(
        "/api/v1/patrols",
        json=patrol_body(area_id=areas.town_a.id, started_at=future),
        headers=factories.headers_for(rescue),
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"client_uuid": "not-a-uuid", "mode": "on_foot", "started_at": "2026-07-07T04:00:00+08:00"},
        {
            "client_uuid": str(uuid.uuid4()),
            "mode": "bicycle",
            "started_at": "2026-07-07T04:00:00+08:00",
        },
        {"client_uuid": str(uuid.uuid4()), "mode": "on_foot", "started_at": "2026-07-07T04:00:00"},
        {"client_uuid": str(uuid.uuid4()), "mode": "on_foot", "started_at": 12},
        {
            "client_uuid": str(uuid.uuid4()),
            "mode": "on_foot",
            "started_at": "2026-07-07T04:00:00+08:00",
            "team": ["x"],
        },
        {
            "client_uuid": str(uuid.uuid4()),
            "mode": "on_foot",
            "started_at": "2026-07-07T04:00:00+08:00",
            "team": list(range(1, 200)),
        },
        {
            "client_uuid": str(uuid.uuid4()),
            "mode": "on_foot",
            "started_at": "2026-07-07T04:00:00+08:00",
            "campaign_id": 2**40,
        },
    ],
)
def test_bad_patrol_bodies_are_422(client, areas, rescue, body):
    response = client.post("/api/v1/patrols", json=body, headers=factories.headers_for(rescue))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_other_towns_area_is_422_for_town_staff(client, areas):
    town_rescue = factories.user("rescue_staff", areas.town_a)
    response = client.post(
        "/api/v1/patrols",
        json=patrol_body(area_id=areas.town_b.id),
        headers=factories.headers_for(town_rescue),
    )
    assert response.status_code == 422
    assert "area_id" in response.json["errors"]


def test_other_towns_patrol_is_404(client, areas):
    town_rescue = factories.user("rescue_staff", areas.town_a)
    patrol = pf.patrol(areas.town_b, started_at=START)
    response = client.get(
        f"/api/v1/patrols/{patrol.id}", headers=factories.headers_for(town_rescue)
    )
    assert response.status_code == 404


def test_list_filters_by_campaign_and_local_dates(client, areas, rescue):
    campaign = pf.campaign(areas.county)
    inside = pf.patrol(areas.town_a, started_at=START, campaign=campaign)
    pf.patrol(areas.town_a, started_at=START + timedelta(days=3))
    headers = factories.headers_for(rescue)
    by_campaign = client.get(f"/api/v1/patrols?campaign_id={campaign.id}", headers=headers)
    assert [p["id"] for p in by_campaign.json] == [inside.id]
    # START is 2026-07-07 04:00 in Shanghai
    by_date = client.get("/api/v1/patrols?from=2026-07-07&to=2026-07-07", headers=headers)
    assert [p["id"] for p in by_date.json] == [inside.id]


@pytest.mark.parametrize("path", ["/api/v1/patrols/99999999999", "/api/v1/campaigns/0"])
def test_huge_or_zero_ids_in_the_path_are_404(client, areas, rescue, path):
    assert client.get(path, headers=factories.headers_for(rescue)).status_code == 404
