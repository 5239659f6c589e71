"""/api/v1/help-requests: staff intake on every channel, routing (village → town,
unknown → county, street → rescue centre), who sees what, linking, contacts, closing,
response status across time on the county's clock, and bad input."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from api.casework.leads.models import Lead
from api.casework.tasks.models import Task
from api.db import utcnow
from tests import factories
from tests.casework.leads import factories as lf
from tests.visits import factories as vf


def post(client, user, path, body):
    # json.dumps escapes lone surrogates (\ud800), as a client sending them would.
    return client.post(
        f"/api/v1{path}",
        data=json.dumps(body),
        content_type="application/json",
        headers=factories.headers_for(user),
    )


def get(client, user, path, **params):
    return client.get(f"/api/v1{path}", headers=factories.headers_for(user), query_string=params)


def intake(client, user, **extra):
    return post(client, user, "/help-requests", lf.payload(**extra))


# -- intake and routing --------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["hotline", "town_office", "village_cadre", "grid_worker"])
def test_each_staff_channel_records_a_request_routed_to_the_villages_town(client, areas, channel):
    worker = factories.user("outreach_worker", areas.town_a)
    response = intake(client, worker, channel=channel, area_id=areas.village_a1.id)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["channel"] == channel and body["origin"] == "help_request"
    assert body["area_id"] == areas.town_a.id and body["reported_area_id"] == areas.village_a1.id
    assert body["queue"] == "town" and body["status"] == "received"
    assert len(body["tracking_code"]) == 12 and body["response_status"] == "on_track"


def test_the_online_form_channel_is_not_for_staff_intake(client, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    response = intake(client, worker, channel="online_form")
    assert response.status_code == 422 and "channel" in response.json["errors"]


def test_no_area_means_the_callers_own(client, areas):
    worker = factories.user("outreach_worker", areas.town_b)
    assert intake(client, worker).json["area_id"] == areas.town_b.id


def test_a_county_address_naming_a_village_goes_to_its_town(client, areas):
    operator = factories.user("supervisor", areas.county)
    body = intake(client, operator, area_id=areas.county.id, address="乙二村村口小卖部旁").json
    assert body["area_id"] == areas.town_b.id and body["queue"] == "town"


def test_an_address_that_resolves_to_no_town_goes_to_the_countys_queue(client, areas):
    operator = factories.user("supervisor", areas.county)
    body = intake(client, operator, area_id=areas.county.id, address="火车站附近").json
    assert body["area_id"] == areas.county.id and body["queue"] == "county"
    assert intake(client, operator).json["queue"] == "county"


def test_a_person_on_the_street_goes_to_the_rescue_centres_queue(client, areas):
    cadre = factories.user("outreach_worker", areas.town_a)
    body = intake(
        client, cadre, area_id=areas.village_a1.id, about="other", about_street_person=True
    ).json
    assert body["area_id"] == areas.county.id and body["queue"] == "rescue_centre"


def test_intake_in_another_towns_village_is_refused(client, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    response = intake(client, worker, area_id=areas.village_b1.id)
    assert response.status_code == 422 and "area_id" in response.json["errors"]


def test_rescue_staff_take_only_street_requests(client, areas):
    staff = factories.user("rescue_staff", areas.county)
    assert intake(client, staff).status_code == 422
    assert intake(client, staff, about_street_person=True).status_code == 201


# -- who sees what -------------------------------------------------------------------------


def test_a_town_sees_its_own_requests_and_another_town_gets_404(client, areas):
    mine = lf.lead(areas.village_a1)
    theirs = lf.lead(areas.village_b1)
    worker_a = factories.user("outreach_worker", areas.town_a)
    listed = [row["id"] for row in get(client, worker_a, "/help-requests").json]
    assert mine.id in listed and theirs.id not in listed
    assert get(client, worker_a, f"/help-requests/{theirs.id}").status_code == 404
    assert (
        post(
            client, worker_a, f"/help-requests/{theirs.id}/contacts", {"kind": "phone"}
        ).status_code
        == 404
    )


def test_rescue_staff_see_only_street_requests_and_workers_never_do(client, areas):
    street = lf.lead(areas.village_a1, about_street_person=True, about="other")
    home = lf.lead(areas.county)
    staff = factories.user("rescue_staff", areas.county)
    assert [row["id"] for row in get(client, staff, "/help-requests").json] == [street.id]
    assert get(client, staff, f"/help-requests/{home.id}").status_code == 404
    county_worker = factories.user("outreach_worker", areas.county)
    listed = [row["id"] for row in get(client, county_worker, "/help-requests").json]
    assert home.id in listed and street.id not in listed
    assert get(client, county_worker, f"/help-requests/{street.id}").status_code == 404
    supervisor = factories.user("supervisor", areas.county)
    listed = [row["id"] for row in get(client, supervisor, "/help-requests").json]
    assert {street.id, home.id} <= set(listed)


def test_lists_mask_the_phone_and_one_request_shows_it(client, areas):
    made = lf.lead(areas.village_a1, requester_phone="138 1234-5678")
    worker = factories.user("outreach_worker", areas.town_a)
    [row] = [r for r in get(client, worker, "/help-requests").json if r["id"] == made.id]
    assert row["requester_phone"] == "138****5678" and "description" not in row
    one = get(client, worker, f"/help-requests/{made.id}").json
    assert one["requester_phone"] == "13812345678" and one["description"]
    assert "tracking_code" not in one and "tracking_code_hash" not in one


def test_list_filters(client, areas):
    urgent = lf.lead(areas.village_a1, urgency="urgent", urgent_reasons=["no_food"])
    normal = lf.lead(areas.village_a2, channel="grid_worker")
    supervisor = factories.user("supervisor", areas.county)

    def listed(**params):
        response = get(client, supervisor, "/help-requests", **params)
        assert response.status_code == 200, response.json
        return [row["id"] for row in response.json]

    assert urgent.id in listed(urgency="urgent") and normal.id not in listed(urgency="urgent")
    assert listed(channel="grid_worker", area_id=areas.town_a.id) == [normal.id]
    assert get(client, supervisor, "/help-requests", area_id=areas.town_b.id).json == []
    worker_b = factories.user("outreach_worker", areas.town_b)
    assert get(client, worker_b, "/help-requests", area_id=areas.town_a.id).status_code == 422


# -- response status on the county's clock ---------------------------------------------------


@pytest.mark.parametrize(
    ("urgency", "age", "expected"),
    [
        ("urgent", timedelta(hours=1), "on_track"),
        ("urgent", timedelta(hours=19), "at_risk"),
        ("urgent", timedelta(hours=25), "breached"),
        ("normal", timedelta(days=3), "on_track"),
        ("normal", timedelta(days=4), "at_risk"),
        ("normal", timedelta(days=5, minutes=1), "breached"),
    ],
)
def test_response_status_across_time(client, areas, urgency, age, expected):
    made = lf.created_ago(lf.lead(areas.village_a1, urgency=urgency), age)
    supervisor = factories.user("supervisor", areas.county)
    assert get(client, supervisor, f"/help-requests/{made.id}").json["response_status"] == expected
    listed = get(client, supervisor, "/help-requests", response_status=expected).json
    assert made.id in [row["id"] for row in listed]
    others = [s for s in ("on_track", "at_risk", "breached") if s != expected]
    for other in others:
        listed = get(client, supervisor, "/help-requests", response_status=other).json
        assert made.id not in [row["id"] for row in listed]


def test_a_contact_in_time_keeps_the_request_on_track_for_good(client, db, areas):
    made = lf.created_ago(lf.lead(areas.village_a1, urgency="urgent"), timedelta(hours=20))
    worker = factories.user("outreach_worker", areas.town_a)
    response = post(client, worker, f"/help-requests/{made.id}/contacts", {"kind": "phone"})
    assert response.status_code == 201, response.json
    lf.passes(made, timedelta(days=3))  # long past the deadline now
    body = get(client, worker, f"/help-requests/{made.id}").json
    assert body["response_status"] == "on_track" and body["first_contact_kind"] == "phone"


def test_a_late_first_contact_stays_breached(client, areas):
    made = lf.created_ago(lf.lead(areas.village_a1, urgency="urgent"), timedelta(hours=30))
    worker = factories.user("outreach_worker", areas.town_a)
    post(client, worker, f"/help-requests/{made.id}/contacts", {"kind": "visit"})
    body = get(client, worker, f"/help-requests/{made.id}").json
    assert body["response_status"] == "breached" and body["status"] == "visited"
    assert body["visited_at"] and body["contacts"][0]["kind"] == "visit"


def test_a_contact_cannot_be_in_the_future_or_before_the_request(client, areas):
    made = lf.lead(areas.village_a1)
    worker = factories.user("outreach_worker", areas.town_a)
    for moment in (utcnow() + timedelta(hours=1), utcnow() - timedelta(days=1)):
        body = {"kind": "phone", "at": moment.isoformat()}
        response = post(client, worker, f"/help-requests/{made.id}/contacts", body)
        assert response.status_code == 422 and "at" in response.json["errors"]


# -- linking and closing --------------------------------------------------------------------


def test_link_a_household_of_the_town_but_not_of_another(client, areas):
    made = lf.lead(areas.village_a1)
    own = vf.household(areas.village_a2)
    other = vf.household(areas.village_b1, lon=114.2, lat=24.2)
    worker = factories.user("outreach_worker", areas.town_a)
    path = f"/help-requests/{made.id}"
    headers = factories.headers_for(worker)
    response = client.patch(f"/api/v1{path}", json={"household_id": own.id}, headers=headers)
    assert response.status_code == 200 and response.json["household_id"] == own.id
    response = client.patch(f"/api/v1{path}", json={"household_id": other.id}, headers=headers)
    assert response.status_code == 422 and "household_id" in response.json["errors"]
    response = client.patch(f"/api/v1{path}", json={"household_id": None}, headers=headers)
    assert response.status_code == 200 and response.json["household_id"] is None


@pytest.mark.parametrize(
    ("outcome", "detail"),
    [
        ("assistance_applied", None),
        ("temporary_assistance_given", None),
        ("referred", "县残联"),
        ("not_eligible", "家庭收入高于低保标准"),
        ("unreachable", None),
    ],
)
def test_close_with_each_outcome(client, areas, outcome, detail):
    made = lf.lead(areas.village_a1)
    worker = factories.user("outreach_worker", areas.town_a)
    body = {"outcome": outcome, "outcome_detail": detail}
    response = post(client, worker, f"/help-requests/{made.id}/close", body)
    assert response.status_code == 200, response.json
    assert response.json["status"] == "closed" and response.json["outcome"] == outcome
    again = post(client, worker, f"/help-requests/{made.id}/close", body)
    assert again.status_code == 409


@pytest.mark.parametrize("outcome", ["referred", "not_eligible"])
def test_referred_names_the_department_and_not_eligible_says_why(client, areas, outcome):
    made = lf.lead(areas.village_a1)
    worker = factories.user("outreach_worker", areas.town_a)
    response = post(client, worker, f"/help-requests/{made.id}/close", {"outcome": outcome})
    assert response.status_code == 422 and "outcome_detail" in response.json["errors"]


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"requester_name": "名" * 51},
        {"subject_name": "名" * 51},
        {"address": "址" * 201},
        {"description": "事" * 2001},
        {"description": ""},
        {"description": "\ud800"},
        {"requester_name": "\udfff"},
        {"address": "a\ud83d"},
        {"requester_phone": "1" * 21},
        {"requester_phone": "call me"},
        {"area_id": 10**20},
        {"area_id": 2**31},
        {"area_id": -1},
        {"household_id": 10**20},
        {"urgency": "very"},
        {"urgent_reasons": ["no_food"]},
        {"urgency": "urgent", "urgent_reasons": ["x"]},
        {"channel": "fax"},
        {"about": "neighbour"},
        {"about_street_person": "maybe"},
        {"area_id": "1"},
    ],
)
def test_every_fields_limits_answer_4xx(client, areas, bad):
    worker = factories.user("outreach_worker", areas.town_a)
    response = intake(client, worker, **bad)
    assert 400 <= response.status_code < 500, response.json
    assert response.headers["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/contacts", {"kind": "phone", "note": "\ud800"}),
        ("/contacts", {"kind": "smoke"}),
        ("/contacts", {"kind": "visit", "visit_id": 10**20}),
        ("/contacts", {"kind": "visit", "at": "9999-12-31T23:59:59+14:00"}),
        ("/close", {"outcome": "referred", "outcome_detail": "部" * 501}),
        ("/close", {"outcome": "gone"}),
    ],
)
def test_bad_handling_input_answers_4xx(client, areas, path, body):
    made = lf.lead(areas.village_a1)
    worker = factories.user("outreach_worker", areas.town_a)
    response = post(client, worker, f"/help-requests/{made.id}{path}", body)
    assert 400 <= response.status_code < 500, response.json


def test_huge_ids_and_filters_answer_4xx(client, areas):
    supervisor = factories.user("supervisor", areas.county)
    assert get(client, supervisor, f"/help-requests/{10**20}").status_code == 404
    assert get(client, supervisor, "/help-requests", area_id=10**20).status_code == 422
    assert get(client, supervisor, "/help-requests", status="lost").status_code == 422
    for moment in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"):
        for name in ("created_from", "created_to"):
            response = get(client, supervisor, "/help-requests", **{name: moment})
            assert response.status_code == 422, response.json


def test_the_follow_up_task_is_stored_only_by_the_job(db, areas):
    made = lf.lead(areas.village_a1)
    assert (
        db.scalar(select(Task).where(Task.subject_kind == "lead", Task.subject_id == made.id))
        is None
    )
    assert db.get(Lead, made.id).task_id is None


def test_a_contact_naming_a_visit_links_the_visits_household(client, areas):
    made = lf.lead(areas.village_a1)
    other_lead = lf.lead(areas.village_a1)
    home = vf.household(areas.village_a1)
    elsewhere = vf.household(areas.village_a2, lon=114.15)
    worker = factories.user("outreach_worker", areas.town_a)
    visit = post(client, worker, "/visits", vf.visit_payload(home.id))
    assert visit.status_code in (200, 201), visit.json
    other_visit = post(client, worker, "/visits", vf.visit_payload(elsewhere.id, lon=114.15))
    body = {"kind": "visit", "visit_id": visit.json["id"]}
    assert post(client, worker, f"/help-requests/{made.id}/contacts", body).status_code == 201
    linked = get(client, worker, f"/help-requests/{made.id}").json
    assert linked["household_id"] == home.id and linked["contacts"][0]["visit_id"]
    # A visit of another household than the one linked; a visit the caller cannot see.
    body = {"kind": "visit", "visit_id": other_visit.json["id"]}
    response = post(client, worker, f"/help-requests/{made.id}/contacts", body)
    assert response.status_code == 422 and "visit_id" in response.json["errors"]
    worker_b = factories.user("outreach_worker", areas.town_b)
    lead_b = lf.lead(areas.village_b1)
    body = {"kind": "visit", "visit_id": visit.json["id"]}
    response = post(client, worker_b, f"/help-requests/{lead_b.id}/contacts", body)
    assert response.status_code == 422 and "visit_id" in response.json["errors"]
    assert other_lead.household_id is None
