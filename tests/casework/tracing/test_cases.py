"""Tracing cases on PostGIS: every allowed and refused step, outcomes that discharge the
resident atomically, idempotent opening, stale cases, actions and leads."""

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from api.casework.tracing import rules, services
from api.casework.tracing.models import TracingCase, TracingStatusChange
from api.common.county_time import local_today
from api.errors import Conflict, Invalid
from api.rescue.centre.models import Resident
from tests import factories
from tests.casework.tracing import factories as tracing_factories
from tests.rescue.centre import factories as centre

URL = "/api/v1/tracing-cases"
OUTCOME_BODY = {
    "reunited": {
        "outcome": "reunited",
        "collected_by": "李建国",
        "collector_relationship": "儿子",
        "destination": "湖南省邵阳市某村",
    },
    "settled_locally": {
        "outcome": "settled_locally",
        "settled_place": "县社会福利院",
        "settlement_programme": "特困人员救助供养",
    },
}


@pytest.fixture
def staff(areas):
    account = factories.user("rescue_staff", areas.county)
    return factories.headers_for(account)


def _step(client, headers, case_id, to_status):
    if to_status in rules.OUTCOME_STATUSES:
        return client.post(
            f"{URL}/{case_id}/outcome", json=OUTCOME_BODY[to_status], headers=headers
        )
    return client.post(f"{URL}/{case_id}/status", json={"status": to_status}, headers=headers)


@pytest.mark.parametrize(
    ("from_status", "to_status"), list(itertools.product(rules.STATUSES, rules.STATUSES))
)
def test_every_step_over_http(client, areas, staff, db, from_status, to_status):
    case = tracing_factories.case(centre.resident(areas.county), from_status)
    response = _step(client, staff, case.id, to_status)
    db.expire_all()
    if rules.is_allowed(from_status, to_status):
        assert response.status_code == 200, response.json
        assert response.json["status"] == to_status
        last = response.json["history"][-1]
        assert (last["from_status"], last["to_status"]) == (from_status, to_status)
    else:
        assert response.status_code == 409, response.json
        assert response.json["allowed_steps"] == list(rules.allowed_steps(from_status))
        assert db.get(TracingCase, case.id).status == from_status


def test_status_step_keeps_who_when_and_why(client, areas, db):
    account = factories.user("rescue_staff", areas.county)
    case = tracing_factories.case(centre.resident(areas.county))
    response = client.post(
        f"{URL}/{case.id}/status",
        json={"status": "searching", "reason": "开始比对DNA"},
        headers=factories.headers_for(account),
    )
    assert response.status_code == 200
    change = db.scalar(
        select(TracingStatusChange)
        .where(TracingStatusChange.case_id == case.id)
        .order_by(TracingStatusChange.id.desc())
    )
    assert (change.changed_by_id, change.reason) == (account.id, "开始比对DNA")
    assert datetime.now(UTC) - change.changed_at < timedelta(minutes=1)


def test_status_endpoint_refuses_outcome_statuses(client, areas, staff):
    case = tracing_factories.case(centre.resident(areas.county), "verifying")
    response = client.post(f"{URL}/{case.id}/status", json={"status": "reunited"}, headers=staff)
    assert response.status_code == 422


@pytest.mark.parametrize("status", ["", "found", None, 7])
def test_unknown_status_is_422(client, areas, staff, status):
    case = tracing_factories.case(centre.resident(areas.county))
    response = client.post(f"{URL}/{case.id}/status", json={"status": status}, headers=staff)
    assert response.status_code == 422


# --- outcomes ----------------------------------------------------------------------------


def test_reunion_closes_case_and_discharges_resident(client, areas, staff, db):
    person = centre.resident(areas.county, centre.at("2026-01-05"))
    case = tracing_factories.case(person, "verifying")
    body = {**OUTCOME_BODY["reunited"], "at": "2026-03-02T15:00:00+08:00"}
    response = client.post(f"{URL}/{case.id}/outcome", json=body, headers=staff)
    assert response.status_code == 200, response.json
    db.expire_all()
    stored = db.get(Resident, person.id)
    assert stored.discharge_reason == "family_collected"
    assert stored.discharged_at == centre.at("2026-03-02", 15)
    assert stored.discharge_destination == "湖南省邵阳市某村"
    closed = db.get(TracingCase, case.id)
    assert (closed.status, closed.collected_by) == ("reunited", "李建国")
    assert closed.closed_at == stored.discharged_at


def test_escorted_home_reunion_discharges_as_returned_home(client, areas, staff, db):
    person = centre.resident(areas.county)
    case = tracing_factories.case(person, "verifying")
    body = {"outcome": "reunited", "reunion_kind": "returned_home", "destination": "江西赣州"}
    assert client.post(f"{URL}/{case.id}/outcome", json=body, headers=staff).status_code == 200
    db.expire_all()
    assert db.get(Resident, person.id).discharge_reason == "returned_home"


def test_local_settlement_discharges_as_settled_locally(client, areas, staff, db):
    person = centre.resident(areas.county)
    case = tracing_factories.case(person, "searching")
    response = client.post(
        f"{URL}/{case.id}/outcome", json=OUTCOME_BODY["settled_locally"], headers=staff
    )
    assert response.status_code == 200
    db.expire_all()
    stored = db.get(Resident, person.id)
    assert (stored.discharge_reason, stored.discharge_destination) == (
        "settled_locally",
        "县社会福利院",
    )


@pytest.mark.parametrize(
    "body",
    [
        {"outcome": "reunited", "destination": "某地"},  # who collected?
        {"outcome": "reunited", "collected_by": "某人"},  # to where?
        {"outcome": "settled_locally"},  # where?
        {"outcome": "closed_other"},
        {"outcome": "reunited", "collected_by": "x" * 201, "destination": "d"},
        {"outcome": "reunited", "collected_by": "c", "destination": "d", "at": "yesterday"},
    ],
)
def test_incomplete_outcome_is_422_and_changes_nothing(client, areas, staff, db, body):
    person = centre.resident(areas.county)
    case = tracing_factories.case(person, "verifying")
    assert client.post(f"{URL}/{case.id}/outcome", json=body, headers=staff).status_code == 422
    db.expire_all()
    assert db.get(TracingCase, case.id).status == "verifying"
    assert db.get(Resident, person.id).discharged_at is None


def _unchanged(db, case_id, resident_id, status):
    db.expire_all()
    assert db.get(TracingCase, case_id).status == status
    assert db.get(TracingCase, case_id).closed_at is None
    assert db.get(Resident, resident_id).discharged_at is None
    changes = db.scalar(
        select(func.count())
        .select_from(TracingStatusChange)
        .where(TracingStatusChange.case_id == case_id)
    )
    assert changes == 2  # opened, then placed in verifying by the factory


def test_outcome_failing_at_the_discharge_leaves_both_unchanged(client, areas, staff, db):
    """The case is written and flushed first; the discharge then fails (the outcome date
    precedes the admission): the request's one transaction undoes the case's change too."""
    person = centre.resident(areas.county, centre.at("2026-02-01"))
    case = tracing_factories.case(person, "verifying")
    body = {**OUTCOME_BODY["reunited"], "at": "2026-01-15T10:00:00+08:00"}
    response = client.post(f"{URL}/{case.id}/outcome", json=body, headers=staff)
    assert response.status_code == 422
    assert "discharged_at" in response.json["errors"]
    _unchanged(db, case.id, person.id, "verifying")


def test_outcome_hitting_a_database_constraint_leaves_both_unchanged(
    client, areas, staff, db, monkeypatch
):
    """A real constraint violation in the second write (an unknown discharge reason,
    refused by ck_residents_discharge_reason) after the case was flushed."""
    monkeypatch.setitem(services.DISCHARGE_REASON_FOR, ("reunited", "family_collected"), "vanished")
    person = centre.resident(areas.county)
    case = tracing_factories.case(person, "verifying")
    response = client.post(f"{URL}/{case.id}/outcome", json=OUTCOME_BODY["reunited"], headers=staff)
    assert response.status_code == 409
    _unchanged(db, case.id, person.id, "verifying")


def test_outcome_service_raises_after_the_case_write(db, areas):
    """The same at the service level: the exception escapes after the case is flushed, and
    rolling back the transaction (what the request hook does) restores both."""
    person = centre.resident(areas.county, centre.at("2026-02-01"))
    case = tracing_factories.case(person, "verifying")
    savepoint = db.begin_nested()
    with pytest.raises(Invalid):
        services.record_outcome(case, {**OUTCOME_BODY["reunited"], "at": centre.at("2026-01-01")})
    flushed = db.scalar(select(TracingCase.status).where(TracingCase.id == case.id))
    assert flushed == "reunited"  # the first write really happened
    savepoint.rollback()
    _unchanged(db, case.id, person.id, "verifying")


def test_outcome_on_a_closed_case_is_409(client, areas, staff):
    case = tracing_factories.case(centre.resident(areas.county), "closed_other")
    response = client.post(
        f"{URL}/{case.id}/outcome", json=OUTCOME_BODY["settled_locally"], headers=staff
    )
    assert response.status_code == 409
    assert response.json["allowed_steps"] == []


# --- opening -----------------------------------------------------------------------------


def test_open_case_over_http(client, areas, staff):
    person = centre.resident(areas.county)
    response = client.post(
        URL, json={"resident_id": person.id, "summary": "自称湖南口音"}, headers=staff
    )
    assert response.status_code == 201
    assert response.json["status"] == "open"
    assert response.json["allowed_steps"] == ["searching", "closed_other"]
    assert response.json["history"][0]["to_status"] == "open"


def test_second_open_case_is_409(client, areas, staff):
    person = centre.resident(areas.county)
    assert client.post(URL, json={"resident_id": person.id}, headers=staff).status_code == 201
    assert client.post(URL, json={"resident_id": person.id}, headers=staff).status_code == 409


def test_case_for_a_discharged_resident_is_409(client, areas, staff):
    person = centre.discharged(
        areas.county, datetime.now(UTC) - timedelta(days=3), datetime.now(UTC) - timedelta(days=1)
    )
    assert client.post(URL, json={"resident_id": person.id}, headers=staff).status_code == 409


@pytest.mark.parametrize("resident_id", [0, 10**9, "x", None])
def test_case_for_unknown_resident_is_422(client, staff, resident_id):
    assert client.post(URL, json={"resident_id": resident_id}, headers=staff).status_code == 422


def test_ensure_open_case_is_idempotent(db, areas):
    person = centre.resident(areas.county)
    first, created = services.ensure_open_case(person.id)
    again, created_again = services.ensure_open_case(person.id)
    assert (created, created_again) == (True, False)
    assert first.id == again.id and first.opened_reason == "long_stay"


def test_database_allows_one_open_case_per_resident(db, areas):
    person = centre.resident(areas.county)
    services.ensure_open_case(person.id)
    savepoint = db.begin_nested()
    db.add(
        TracingCase(
            area_id=person.area_id,
            resident_id=person.id,
            status="searching",
            last_activity_on=local_today(),
        )
    )
    with pytest.raises(IntegrityError):
        db.flush()
    savepoint.rollback()


def test_a_closed_case_does_not_block_a_new_one(db, areas):
    person = centre.resident(areas.county)
    tracing_factories.case(person, "closed_other")
    case, created = services.ensure_open_case(person.id)
    assert created and case.status == "open"


def test_ensure_open_case_refuses_discharged_resident(db, areas):
    person = centre.discharged(
        areas.county, datetime.now(UTC) - timedelta(days=3), datetime.now(UTC) - timedelta(days=1)
    )
    with pytest.raises(Conflict):
        services.ensure_open_case(person.id)


# --- actions and stale cases -------------------------------------------------------------


def test_action_log_and_last_activity(client, areas, staff, db):
    case = tracing_factories.case(centre.resident(areas.county), "searching")
    body = {
        "kind": "media_appeal",
        "performed_on": local_today().isoformat(),
        "details": "在头条寻亲发布寻亲公告",
        "published_in": "今日头条·头条寻亲",
        "result": "阅读量2万，暂无线索",
    }
    response = client.post(f"{URL}/{case.id}/actions", json=body, headers=staff)
    assert response.status_code == 201, response.json
    listed = client.get(f"{URL}/{case.id}/actions", headers=staff)
    assert [a["kind"] for a in listed.json] == ["media_appeal"]
    db.expire_all()
    assert db.get(TracingCase, case.id).last_activity_on == local_today()


def test_media_appeal_without_where_is_422(client, areas, staff):
    case = tracing_factories.case(centre.resident(areas.county), "searching")
    body = {"kind": "media_appeal", "details": "发布公告"}
    assert client.post(f"{URL}/{case.id}/actions", json=body, headers=staff).status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"details": "no kind"},
        {"kind": "seance", "details": "x"},
        {"kind": "phone_call"},
        {"kind": "phone_call", "details": ""},
        {"kind": "phone_call", "details": "x" * 5001},
        {"kind": "phone_call", "details": "x", "performed_on": "2999-01-01"},
        {"kind": "phone_call", "details": "x", "performed_on": "1900-01-01"},
    ],
)
def test_bad_action_is_422(client, areas, staff, body):
    case = tracing_factories.case(centre.resident(areas.county), "searching")
    assert client.post(f"{URL}/{case.id}/actions", json=body, headers=staff).status_code == 422


def test_action_resend_replays_and_changed_resend_is_409(client, areas, staff):
    case = tracing_factories.case(centre.resident(areas.county), "searching")
    body = {"client_uuid": str(uuid.uuid4()), "kind": "phone_call", "details": "致电派出所"}
    first = client.post(f"{URL}/{case.id}/actions", json=body, headers=staff)
    again = client.post(f"{URL}/{case.id}/actions", json=body, headers=staff)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["id"] == again.json["id"]
    changed = client.post(f"{URL}/{case.id}/actions", json={**body, "details": "x"}, headers=staff)
    assert changed.status_code == 409


def test_action_on_closed_case_is_409(client, areas, staff):
    case = tracing_factories.case(centre.resident(areas.county), "closed_other")
    body = {"kind": "phone_call", "details": "x"}
    assert client.post(f"{URL}/{case.id}/actions", json=body, headers=staff).status_code == 409


def test_stale_cases(db, areas):
    quiet = tracing_factories.case(centre.resident(areas.county), "searching")
    busy = tracing_factories.case(centre.resident(areas.county), "searching")
    closed = tracing_factories.case(centre.resident(areas.county), "closed_other")
    quiet.last_activity_on = date(2026, 1, 1)
    busy.last_activity_on = date(2026, 1, 20)
    closed.last_activity_on = date(2025, 1, 1)
    db.flush()
    assert [c.id for c in services.stale_cases(date(2026, 1, 31), 30)] == [quiet.id]
    assert [c.id for c in services.stale_cases(date(2026, 2, 19), 30)] == [quiet.id, busy.id]


def test_stale_endpoint_uses_setting(client, areas, staff, db):
    quiet = tracing_factories.case(centre.resident(areas.county), "searching")
    quiet.last_activity_on = local_today() - timedelta(days=30)
    db.flush()
    ids = [c["id"] for c in client.get(f"{URL}/stale", headers=staff).json]
    assert ids == [quiet.id]


# --- leads -------------------------------------------------------------------------------


def test_lead_lifecycle(client, areas, staff):
    case = tracing_factories.case(centre.resident(areas.county), "searching")
    created = client.post(
        f"{URL}/{case.id}/leads",
        json={
            "description": "人脸比对疑似湖南邵阳走失人员",
            "place": "湖南省邵阳市",
            "contact_name": "李建国",
            "contact_phone": "13800000000",
            "relation_to_resident": "儿子",
        },
        headers=staff,
    )
    assert created.status_code == 201 and created.json["status"] == "new"
    lead_id = created.json["id"]
    updated = client.patch(
        f"{URL}/{case.id}/leads/{lead_id}", json={"status": "ruled_out"}, headers=staff
    )
    assert updated.status_code == 200 and updated.json["status"] == "ruled_out"
    assert [lead["id"] for lead in client.get(f"{URL}/{case.id}/leads", headers=staff).json] == [
        lead_id
    ]


def test_lead_of_another_case_is_404(client, areas, staff):
    case = tracing_factories.case(centre.resident(areas.county), "searching")
    other = tracing_factories.case(centre.resident(areas.county), "searching")
    lead = services.add_lead(other, {"description": "x"})
    response = client.patch(
        f"{URL}/{case.id}/leads/{lead.id}", json={"status": "checking"}, headers=staff
    )
    assert response.status_code == 404


@pytest.mark.parametrize("body", [{}, {"description": ""}, {"description": "x", "status": "maybe"}])
def test_bad_lead_is_422(client, areas, staff, body):
    case = tracing_factories.case(centre.resident(areas.county), "searching")
    assert client.post(f"{URL}/{case.id}/leads", json=body, headers=staff).status_code == 422
