"""The public help form: the only write without sign-in. Its answers, its limits (body
size, per address, per phone, bulk), and a status lookup that tells nothing to a wrong
code or wrong digits."""

import io
import json

import pytest
from sqlalchemy import select

from api.casework.leads.models import Lead
from tests import factories
from tests.casework.leads import factories as lf


def submit(client, body=None, remote="10.1.0.1", **extra):
    payload = body or {
        "requester_phone": "13912345678",
        "description": "邻居老人独居，几天没出门了",
        "urgency": "urgent",
        "urgent_reasons": ["sudden_illness"],
        "about": "other",
    }
    payload.update(extra)
    return client.post(
        "/api/v1/help/requests",
        data=json.dumps(payload),
        content_type="application/json",
        environ_base={"REMOTE_ADDR": remote},
    )


def lookup(client, code, last4, remote="10.2.0.1"):
    return client.post(
        "/api/v1/help/status",
        json={"tracking_code": code, "phone_last4": last4},
        environ_base={"REMOTE_ADDR": remote},
    )


def test_a_request_without_an_account_answers_only_a_tracking_code(client, db, areas):
    response = submit(client, area_id=areas.village_b2.id, requester_name="王五")
    assert response.status_code == 201, response.json
    assert set(response.json) == {"tracking_code", "status", "received_on"}
    assert response.json["status"] == "received"
    code = response.json["tracking_code"]
    assert len(code) == 12 and set(code) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    lead = db.scalar(select(Lead).where(Lead.channel == "online_form"))
    assert lead.area_id == areas.town_b.id and lead.urgency == "urgent"
    assert lead.tracking_code_hash and code not in lead.tracking_code_hash


def test_no_place_named_goes_to_the_countys_queue(client, db, areas):
    assert submit(client).status_code == 201
    lead = db.scalar(select(Lead).where(Lead.channel == "online_form"))
    assert lead.area_id == areas.county.id and lead.queue == "county"


def test_a_phone_is_required_and_the_channel_and_household_cannot_be_chosen(client, db, areas):
    response = submit(client, {"description": "需要帮助"})
    assert response.status_code == 422 and "requester_phone" in response.json["errors"]
    response = submit(client, channel="hotline")
    assert response.status_code == 422 and "channel" in response.json["errors"]
    response = submit(client, household_id=1)
    assert response.status_code == 422 and "household_id" in response.json["errors"]


def test_the_status_lookup_with_code_and_last_four_digits(client, db, areas):
    code = submit(client, area_id=areas.village_a1.id).json["tracking_code"]
    response = lookup(client, code, "5678")
    assert response.status_code == 200, response.json
    assert set(response.json) == {
        "status",
        "received_on",
        "assigned_on",
        "visited_on",
        "closed_on",
    }
    assert response.json["status"] == "received" and response.json["closed_on"] is None
    # As people type it: lower case, with spaces or dashes, O for 0 and I for 1.
    typed = f"{code[:4].lower()}-{code[4:8]} {code[8:]}".replace("0", "O").replace("1", "I")
    assert lookup(client, typed, "5678").status_code == 200


def test_the_lookup_follows_the_requests_handling(client, db, areas):
    code = submit(client, area_id=areas.village_a1.id).json["tracking_code"]
    worker = factories.user("outreach_worker", areas.town_a)
    lead = db.scalar(select(Lead).where(Lead.channel == "online_form"))
    headers = factories.headers_for(worker)
    client.post(
        f"/api/v1/help-requests/{lead.id}/contacts", json={"kind": "visit"}, headers=headers
    )
    assert lookup(client, code, "5678").json["status"] == "visited"
    client.post(
        f"/api/v1/help-requests/{lead.id}/close",
        json={"outcome": "not_eligible", "outcome_detail": "收入超过标准"},
        headers=headers,
    )
    body = lookup(client, code, "5678").json
    assert body["status"] == "closed" and body["visited_on"] and body["closed_on"]
    assert "收入" not in json.dumps(body, ensure_ascii=False)


def _without_request_id(response):
    body = dict(response.json)
    body.pop("request_id", None)
    return response.status_code, body, response.headers["Content-Type"]


def test_a_wrong_code_and_wrong_digits_answer_exactly_the_same(client, db, areas):
    code = submit(client).json["tracking_code"]
    wrong_digits = lookup(client, code, "0000")
    wrong_code = lookup(client, "ABCDEFGHJKMN", "5678")
    both = lookup(client, "ABCDEFGHJKMN", "0000")
    assert wrong_digits.status_code == 404
    assert _without_request_id(wrong_digits) == _without_request_id(wrong_code)
    assert _without_request_id(wrong_code) == _without_request_id(both)


def test_failed_lookups_from_one_address_are_limited(client, db, areas, app):
    code = submit(client).json["tracking_code"]
    limit = app.config["HELP_LOOKUP_MAX_FAILURES"]
    for n in range(limit):
        assert lookup(client, f"WRONGCODE{n:03d}", "1234", remote="10.3.0.1").status_code == 404
    refused = lookup(client, code, "5678", remote="10.3.0.1")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == str(app.config["HELP_LOOKUP_WINDOW_SECONDS"])
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert lookup(client, code, "5678", remote="10.3.0.2").status_code == 200


def test_guessing_one_codes_digits_from_many_addresses_is_limited(client, db, areas, app):
    code = submit(client).json["tracking_code"]
    limit = app.config["HELP_LOOKUP_MAX_FAILURES"]
    for n in range(limit):
        assert lookup(client, code, f"{n:04d}", remote=f"10.4.0.{n + 1}").status_code == 404
    assert lookup(client, code, "5678", remote="10.4.1.1").status_code == 429


def test_one_phone_may_ask_only_so_often(client, db, areas, app):
    limit = app.config["HELP_PUBLIC_MAX_PER_PHONE"]
    for n in range(limit):
        response = submit(client, description=f"第{n}次求助", remote=f"10.5.0.{n + 1}")
        assert response.status_code == 201
    refused = submit(client, description="又一次", remote="10.5.1.1")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == str(app.config["HELP_PUBLIC_WINDOW_SECONDS"])
    assert refused.headers["Content-Type"].startswith("application/problem+json")


def test_one_address_may_send_only_so_many(client, db, areas, app):
    limit = app.config["HELP_PUBLIC_MAX_PER_ADDRESS"]
    for n in range(limit):
        phone = f"1390000{n:04d}"
        response = submit(client, requester_phone=phone, description=f"求助{n}")
        assert response.status_code == 201
    assert submit(client, requester_phone="13800001111", description="再来").status_code == 429
    assert submit(client, requester_phone="13800001111", remote="10.6.0.1").status_code == 201


def test_the_same_text_again_and_again_is_refused_as_bulk(client, db, areas, app):
    limit = app.config["HELP_PUBLIC_MAX_SAME_TEXT"]
    for n in range(limit):
        response = submit(client, requester_phone=f"1370000{n:04d}", remote=f"10.7.0.{n + 1}")
        assert response.status_code == 201
    refused = submit(client, requester_phone="13612340000", remote="10.7.1.1")
    assert refused.status_code == 429


def test_refusals_all_read_alike(client, db, areas, app):
    """Which limit refused is not told: the phone's, the address's and the text's 429s
    are the same answer."""
    for n in range(app.config["HELP_PUBLIC_MAX_PER_PHONE"]):
        submit(client, description=f"求助{n}", remote=f"10.8.0.{n + 1}")
    by_phone = submit(client, description="x", remote="10.8.1.1")
    for n in range(app.config["HELP_PUBLIC_MAX_SAME_TEXT"]):
        submit(
            client,
            description="同样的话",
            requester_phone=f"1350000{n:04d}",
            remote=f"10.9.0.{n + 1}",
        )
    by_text = submit(
        client, description="同样的话", requester_phone="13400000000", remote="10.9.1.1"
    )
    assert _without_request_id(by_phone) == _without_request_id(by_text)


def test_a_body_over_the_forms_limit_is_refused(client, db, areas, app):
    big = "事" * app.config["HELP_PUBLIC_MAX_BYTES"]
    response = submit(client, description=big)
    assert response.status_code == 413, response.json
    assert response.headers["Content-Type"].startswith("application/problem+json")


def test_a_chunked_body_over_the_limit_is_refused(client, db, areas, app):
    body = json.dumps({"requester_phone": "13912345678", "description": "x" * 40000}).encode()
    response = client.post(
        "/api/v1/help/requests",
        input_stream=io.BytesIO(body),
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        # As gunicorn serves a chunked body: decoded, with no length, and terminated.
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413, response.json


@pytest.mark.parametrize(
    "bad",
    [
        {"description": "\ud800"},
        {"description": "事" * 2001},
        {"requester_name": "\udc00"},
        {"address": "址" * 201},
        {"requester_phone": "12"},
        {"area_id": 10**20},
        {"area_id": 2**31 - 1},
        {"urgent_reasons": ["no_food"] * 6},
        {"about_street_person": "yes please"},
    ],
)
def test_bad_form_input_answers_4xx(client, db, areas, bad):
    response = submit(client, **bad)
    assert 400 <= response.status_code < 500, response.json


@pytest.mark.parametrize(
    "body",
    [
        {"tracking_code": "\ud800", "phone_last4": "1234"},
        {"tracking_code": "A" * 41, "phone_last4": "1234"},
        {"tracking_code": "ABCDEFGHJKMN", "phone_last4": "12345"},
        {"tracking_code": "ABCDEFGHJKMN", "phone_last4": "abcd"},
        {"tracking_code": 12, "phone_last4": 1234},
        {},
    ],
)
def test_bad_lookup_input_answers_4xx(client, db, areas, body):
    response = client.post(
        "/api/v1/help/status", data=json.dumps(body), content_type="application/json"
    )
    assert 400 <= response.status_code < 500, response.json


def test_staff_endpoints_still_need_a_sign_in(client, areas):
    made = lf.lead(areas.village_a1)
    assert client.get("/api/v1/help-requests").status_code == 401
    assert client.get(f"/api/v1/help-requests/{made.id}").status_code == 401
    assert client.post("/api/v1/help-requests", json=lf.payload()).status_code == 401


def test_the_form_page_and_its_places(client, areas):
    page = client.get("/help/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "求助" in page.get_data(as_text=True)
    places = client.get("/api/v1/help/areas").json
    assert {areas.county.id, areas.town_a.id, areas.village_b2.id} <= {p["id"] for p in places}
    assert set(places[0]) == {"id", "name", "level", "parent_id"}


def test_old_lookup_attempts_are_purged(client, db, areas, app):
    from datetime import timedelta

    from api.casework.leads.models import LeadLookupAttempt
    from api.casework.leads.services import purge_lookup_attempts
    from api.db import utcnow

    lookup(client, "WRONGCODE000", "1234")
    window = timedelta(seconds=app.config["HELP_LOOKUP_WINDOW_SECONDS"])
    old = LeadLookupAttempt(
        at=utcnow() - window - timedelta(minutes=1), submitter_hash="a" * 64, code_hash="b" * 64
    )
    db.add(old)
    db.flush()
    assert purge_lookup_attempts() == 1
    assert len(db.scalars(select(LeadLookupAttempt)).all()) == 1
