"""Recording visits: idempotency, batches, channel rules, time rules, presence, screening."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from api.db import utcnow
from api.jobs.models import OutboxJob
from api.visits.models import Household, Visit
from tests import factories
from tests.visits import factories as vf


def post_visit(client, user, payload):
    return client.post("/api/v1/visits", json=payload, headers=factories.headers_for(user))


def count_visits(db):
    return db.scalar(select(func.count(Visit.id)))


def test_visit_is_stored_with_server_received_time(client, worker, home, db):
    payload = vf.visit_payload(home.id)
    response = post_visit(client, worker, payload)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["household_id"] == home.id
    assert body["area_id"] == home.area_id
    assert body["worker_id"] == worker.id
    assert body["review_state"] == "pending"
    assert body["received_at"] >= body["visited_at"][:10]


def test_visit_schedules_the_follow_up_job(client, worker, home, db):
    response = post_visit(client, worker, vf.visit_payload(home.id))
    job = db.scalar(select(OutboxJob).where(OutboxJob.func == "workers.followup.visit_recorded"))
    assert job is not None and job.args == [response.json["id"]]


def test_same_uuid_same_content_is_200_with_the_stored_visit(client, worker, home, db):
    payload = vf.visit_payload(home.id)
    first = post_visit(client, worker, payload)
    again = post_visit(client, worker, payload)
    assert again.status_code == 200
    assert again.json["id"] == first.json["id"]
    assert count_visits(db) == 1


def test_same_uuid_different_content_is_409(client, worker, home, db):
    payload = vf.visit_payload(home.id)
    post_visit(client, worker, payload)
    response = post_visit(client, worker, {**payload, "notes": "changed"})
    assert response.status_code == 409
    assert count_visits(db) == 1


@pytest.mark.parametrize(
    ("channel", "extra", "field"),
    [
        ("in_person", {"location": None}, "location"),
        ("in_person", {"accuracy_m": None}, "accuracy_m"),
        ("phone", {"location": {"type": "Point", "coordinates": [114.1, 24.35]}}, "location"),
        ("video", {"accuracy_m": 5}, "accuracy_m"),
    ],
)
def test_channel_rules(client, worker, home, channel, extra, field):
    payload = vf.visit_payload(home.id, channel=channel)
    payload.update(extra)
    response = post_visit(client, worker, payload)
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_phone_visit_without_location_is_fine(client, worker, home):
    response = post_visit(client, worker, vf.visit_payload(home.id, channel="phone"))
    assert response.status_code == 201
    assert response.json["location"] is None
    assert response.json["presence"]["flagged"] is False


@pytest.mark.parametrize("delta", [timedelta(hours=1), timedelta(days=-800)])
def test_visit_in_future_or_years_back_is_refused(client, worker, home, delta):
    payload = vf.visit_payload(home.id, visited_at=utcnow() + delta)
    response = post_visit(client, worker, payload)
    assert response.status_code == 422
    assert "visited_at" in response.json["errors"]


def test_small_clock_skew_is_accepted(client, worker, home):
    payload = vf.visit_payload(home.id, visited_at=utcnow() + timedelta(minutes=3))
    assert post_visit(client, worker, payload).status_code == 201


@pytest.mark.parametrize(
    "payload_change",
    [
        {"client_uuid": "not-a-uuid"},
        {"channel": "carrier_pigeon"},
        {"visited_at": "2026-03-14 10:21"},
        {"findings": {"household_size": "four"}},
        {"findings": {"monthly_income_total": 1e12}},
        {"accuracy_m": -1},
        {"needs": "medical"},
        {"household_id": "1; drop table visits"},
        {"unexpected": True},
    ],
)
def test_bad_inputs_are_422(client, worker, home, payload_change):
    payload = vf.visit_payload(home.id)
    payload.update(payload_change)
    response = post_visit(client, worker, payload)
    assert response.status_code == 422


def test_missing_household_is_422(client, worker):
    payload = vf.visit_payload(None)
    assert post_visit(client, worker, payload).status_code == 422


def test_other_towns_household_is_refused(client, worker, areas):
    elsewhere = vf.household(areas.village_b1, lon=114.2, lat=24.2)
    response = post_visit(client, worker, vf.visit_payload(elsewhere.id, lon=114.2, lat=24.2))
    assert response.status_code == 422
    assert "household_id" in response.json["errors"]


def test_visit_with_new_household_creates_both(client, worker, areas, db):
    payload = vf.visit_payload(
        None,
        new_household={
            "area_id": areas.village_a2.id,
            "address": "甲二村5号",
            "location": {"type": "Point", "coordinates": [114.15, 24.35]},
            "urban_rural": "rural",
            "head_name": "李四",
            "focus_groups": ["flexible_employment"],
        },
        lon=114.15,
    )
    response = post_visit(client, worker, payload)
    assert response.status_code == 201, response.json
    assert response.json["created_household"] is True
    household = db.get(Household, response.json["household_id"])
    assert household.head_name == "李四" and household.area_id == areas.village_a2.id
    assert list(household.focus_groups) == ["flexible_employment"]
    again = post_visit(client, worker, payload)
    assert again.status_code == 200
    assert db.scalar(select(func.count(Household.id)).where(Household.head_name == "李四")) == 1


def test_new_household_in_other_town_is_refused(client, worker, areas, db):
    payload = vf.visit_payload(
        None,
        new_household={
            "area_id": areas.village_b1.id,
            "address": "x",
            "urban_rural": "rural",
            "head_name": "王五",
        },
    )
    response = post_visit(client, worker, payload)
    assert response.status_code == 422
    assert "new_household.area_id" in response.json["errors"]
    assert db.scalar(select(func.count(Household.id)).where(Household.head_name == "王五")) == 0


# --- presence ---------------------------------------------------------------------------


def test_visit_near_household_is_not_flagged(client, worker, home):
    response = post_visit(client, worker, vf.visit_payload(home.id, lon=114.1005, lat=24.35))
    presence = response.json["presence"]
    assert presence["flagged"] is False
    assert 40 < presence["distance_m"] < 60


def test_visit_far_from_household_is_flagged_with_distance(client, worker, home):
    response = post_visit(client, worker, vf.visit_payload(home.id, lon=114.11, lat=24.35))
    presence = response.json["presence"]
    assert presence["flagged"] is True
    assert presence["reasons"] == ["far_from_household"]
    assert 1000 < presence["distance_m"] < 1020


def test_visit_with_poor_accuracy_is_flagged(client, worker, home):
    response = post_visit(client, worker, vf.visit_payload(home.id, accuracy_m=250))
    assert response.json["presence"]["reasons"] == ["poor_accuracy"]


def test_presence_limits_come_from_settings(client, worker, home, app):
    app.config["PRESENCE_MAX_DISTANCE_M"] = 20.0
    try:
        response = post_visit(client, worker, vf.visit_payload(home.id, lon=114.1005, lat=24.35))
    finally:
        app.config["PRESENCE_MAX_DISTANCE_M"] = 500.0
    assert response.json["presence"]["flagged"] is True


# --- coordinate systems -----------------------------------------------------------------


def test_gcj02_location_is_stored_as_wgs84(client, worker, home):
    # Reference pair (eviltransform's test data): WGS-84 121.5272106, 31.1774276.
    payload = vf.visit_payload(home.id, crs="gcj02")
    payload["location"]["coordinates"] = [121.531541859215, 31.17530398364597]
    response = post_visit(client, worker, payload)
    lon, lat = response.json["location"]["coordinates"]
    assert lon == pytest.approx(121.5272106, abs=1e-6)
    assert lat == pytest.approx(31.1774276, abs=1e-6)
    assert response.json["source_crs"] == "gcj02"


def test_bd09_location_is_stored_as_wgs84(client, worker, home):
    # Baidu 116.41036949371029, 39.92133699351021 is GCJ-02 116.404, 39.915, which is
    # WGS-84 about 116.39776, 39.91360 (coordtransform's reference figures).
    payload = vf.visit_payload(home.id, crs="bd09")
    payload["location"]["coordinates"] = [116.41036949371029, 39.92133699351021]
    response = post_visit(client, worker, payload)
    lon, lat = response.json["location"]["coordinates"]
    assert lon == pytest.approx(116.3977555, abs=2e-5)
    assert lat == pytest.approx(39.9135957, abs=2e-5)


def test_unknown_crs_is_422(client, worker, home):
    response = post_visit(client, worker, vf.visit_payload(home.id, crs="epsg3857"))
    assert response.status_code == 422


# --- screening --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("income", "rigid", "expected"),
    [
        (1500, 0, "likely_dibao"),  # 500 per person < 603
        (2400, 900, "likely_expenditure_hardship"),  # 800, but 500 after rigid expenses
        (2400, 0, "likely_marginal"),  # 800 < 1.5 x 603
        (3000, 0, "none"),  # 1000 >= 904.5
    ],
)
def test_screening(client, worker, home, areas, income, rigid, expected):
    vf.standard(areas.county, 603, "rural")
    payload = vf.visit_payload(home.id)
    payload["findings"] = {
        "household_size": 3,
        "monthly_income_total": income,
        "rigid_expenses_monthly": rigid,
    }
    response = post_visit(client, worker, payload)
    assert response.json["screening_result"] == expected
    assert response.json["screening"]["dibao_standard"] == 603


def test_screening_uses_the_standard_in_force_on_the_visit_date(client, worker, home, areas):
    today = utcnow().date()
    vf.standard(
        areas.county,
        500,
        valid_from=today - timedelta(days=400),
        valid_to=today - timedelta(days=31),
    )
    vf.standard(areas.county, 700, valid_from=today - timedelta(days=30))
    old = vf.visit_payload(home.id, visited_at=utcnow() - timedelta(days=60))
    new = vf.visit_payload(home.id)
    for payload in (old, new):
        payload["findings"] = {"household_size": 1, "monthly_income_total": 600}
    assert post_visit(client, worker, old).json["screening_result"] == "likely_marginal"
    assert post_visit(client, worker, new).json["screening_result"] == "likely_dibao"


def test_screening_prefers_the_nearest_area_and_urban_rural(client, worker, areas):
    urban_home = vf.household(areas.village_a1, urban_rural="urban")
    vf.standard(areas.county, 828, "urban")
    vf.standard(areas.town_a, 900, "urban")
    vf.standard(areas.town_a, 603, "rural")
    payload = vf.visit_payload(urban_home.id)
    response = post_visit(client, worker, payload)
    assert response.json["screening"]["dibao_standard"] == 900
    assert response.json["screening"]["standard_area_id"] == areas.town_a.id


def test_visit_without_income_is_not_screened(client, worker, home, areas):
    vf.standard(areas.county, 603)
    payload = vf.visit_payload(home.id)
    payload["findings"] = {"circumstances": ["unemployed"]}
    response = post_visit(client, worker, payload)
    assert response.json["screening_result"] is None


# --- batch ------------------------------------------------------------------------------


def post_batch(client, user, items):
    return client.post(
        "/api/v1/visits/batch", json={"visits": items}, headers=factories.headers_for(user)
    )


def test_batch_mixed_good_and_bad_items(client, worker, home, db):
    good = vf.visit_payload(home.id)
    bad = vf.visit_payload(home.id, channel="phone", accuracy_m=None)
    bad["location"] = {"type": "Point", "coordinates": [114.1, 24.35]}
    future = vf.visit_payload(home.id, visited_at=utcnow() + timedelta(days=1))
    good2 = vf.visit_payload(home.id, channel="video")
    response = post_batch(client, worker, [good, bad, "junk", future, good2])
    assert response.status_code == 200
    results = response.json["results"]
    assert [r["result"] for r in results] == ["created", "error", "error", "error", "created"]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4]
    assert "location" in results[1]["errors"]
    assert "visited_at" in results[3]["errors"]
    assert count_visits(db) == 2


def test_retried_batch_creates_nothing_twice(client, worker, home, db):
    items = [vf.visit_payload(home.id) for _ in range(3)]
    first = post_batch(client, worker, items)
    again = post_batch(client, worker, items)
    assert [r["result"] for r in first.json["results"]] == ["created"] * 3
    assert [r["result"] for r in again.json["results"]] == ["duplicate"] * 3
    assert [r["id"] for r in again.json["results"]] == [r["id"] for r in first.json["results"]]
    assert count_visits(db) == 3


def test_conflicting_resend_in_batch_is_an_error_item(client, worker, home, db):
    item = vf.visit_payload(home.id)
    post_batch(client, worker, [item])
    changed = {**item, "notes": "different"}
    response = post_batch(client, worker, [changed, vf.visit_payload(home.id)])
    results = response.json["results"]
    assert results[0]["result"] == "error" and results[0]["status"] == 409
    assert results[1]["result"] == "created"


def test_same_uuid_twice_in_one_batch_is_created_then_duplicate(client, worker, home, db):
    item = vf.visit_payload(home.id)
    response = post_batch(client, worker, [item, item])
    assert [r["result"] for r in response.json["results"]] == ["created", "duplicate"]


@pytest.mark.parametrize("items", [[], "nope", None])
def test_batch_needs_a_list_of_visits(client, worker, items):
    assert post_batch(client, worker, items).status_code == 422


def test_batch_over_200_is_refused(client, worker, home):
    items = [vf.visit_payload(home.id) for _ in range(201)]
    assert post_batch(client, worker, items).status_code == 422
