"""Residents: admission (also from a patrol encounter), offline resends, discharge, long
stay on a date, and who may see them."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from api.casework.tracing import services as tracing
from api.common.county_time import local_today
from api.rescue.centre.models import Resident
from api.rescue.patrols.models import Encounter
from tests import factories
from tests.rescue.centre import factories as centre

URL = "/api/v1/residents"


@pytest.fixture
def staff(areas):
    return factories.headers_for(factories.user("rescue_staff", areas.county))


def test_admission_records_what_the_person_said(client, areas, staff):
    body = {
        "admitted_at": "2026-03-01T09:30:00+08:00",
        "admission_route": "police",
        "stated_name": "阿明",
        "stated_home_place": "广西某县",
        "dialect": "桂柳话",
        "sex": "male",
        "estimated_birth_year": 1970,
        "physical_marks": "左手背有烫伤疤",
        "health": "轻度认知障碍",
        "belongings": ["旧棉袄", "塑料袋一个"],
        "bed": "2-3",
    }
    response = client.post(URL, json=body, headers=staff)
    assert response.status_code == 201, response.json
    got = response.json
    assert got["area_id"] == areas.county.id
    assert got["stated_name"] == "阿明" and got["belongings"] == ["旧棉袄", "塑料袋一个"]
    assert datetime.fromisoformat(got["admitted_at"]) == centre.at("2026-03-01", 9) + timedelta(
        minutes=30
    )
    assert got["discharged_at"] is None


def test_admission_from_a_patrol_encounter_copies_links_and_marks_it(client, areas, staff, db):
    met = centre.encounter(
        areas.town_a,
        name="老李",
        sex="male",
        approximate_age=60,
        language="客家话",
        clothing="灰色外套",
        condition="发烧",
        outcome="accepted_aid",
    )
    response = client.post(URL, json={"encounter_id": met.id, "bed": "1-1"}, headers=staff)
    assert response.status_code == 201, response.json
    got = response.json
    assert got["encounter_id"] == met.id
    assert got["admission_route"] == "patrol_escort"
    assert (got["stated_name"], got["dialect"], got["sex"]) == ("老李", "客家话", "male")
    assert got["description"] == "灰色外套" and got["health"] == "发烧"
    assert got["estimated_birth_year"] == 2026 - 60
    db.expire_all()
    assert db.get(Encounter, met.id).outcome == "escorted_to_centre"


def test_second_admission_from_one_encounter_is_409(client, areas, staff):
    met = centre.encounter(areas.town_a)
    assert client.post(URL, json={"encounter_id": met.id}, headers=staff).status_code == 201
    assert client.post(URL, json={"encounter_id": met.id}, headers=staff).status_code == 409


def test_admissible_encounters_leave_out_those_already_admitted(client, areas, staff):
    waiting = centre.encounter(areas.town_a, outcome="escorted_to_centre")
    admitted = centre.encounter(areas.town_a, outcome="escorted_to_centre")
    earlier = centre.encounter(
        areas.town_a, occurred_at=datetime(2025, 12, 1, 12, 0, tzinfo=UTC), outcome="refused_aid"
    )
    assert client.post(URL, json={"encounter_id": admitted.id}, headers=staff).status_code == 201

    query = {"from": "2026-01-01", "to": "2026-01-31"}
    response = client.get(URL + "/admissible-encounters", query_string=query, headers=staff)
    assert response.status_code == 200, response.json
    assert [e["id"] for e in response.json] == [waiting.id]
    query = {"from": "2025-12-01", "to": "2026-01-31"}
    response = client.get(URL + "/admissible-encounters", query_string=query, headers=staff)
    assert [e["id"] for e in response.json] == [waiting.id, earlier.id]


def test_admissible_encounters_refuse_a_period_that_ends_before_it_starts(client, staff):
    query = {"from": "2026-02-01", "to": "2026-01-01"}
    response = client.get(URL + "/admissible-encounters", query_string=query, headers=staff)
    assert response.status_code == 422
    assert "to" in response.json["errors"]


def test_outreach_workers_get_no_admissible_encounters(client, areas):
    centre.encounter(areas.town_a, outcome="escorted_to_centre")
    worker = factories.headers_for(factories.user("outreach_worker", areas.town_a))
    response = client.get(URL + "/admissible-encounters", headers=worker)
    assert response.status_code == 403


def test_admission_from_unknown_encounter_is_422(client, staff):
    response = client.post(URL, json={"encounter_id": 987654}, headers=staff)
    assert response.status_code == 422
    assert "encounter_id" in response.json["errors"]


def test_resend_with_same_client_uuid_replays(client, staff, db):
    body = {"client_uuid": str(uuid.uuid4()), "stated_name": "阿芳", "sex": "female"}
    first = client.post(URL, json=body, headers=staff)
    again = client.post(URL, json=body, headers=staff)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["id"] == again.json["id"]
    count = db.scalar(select(Resident.id).where(Resident.client_uuid == body["client_uuid"]))
    assert count == first.json["id"]


def test_resend_with_other_content_is_409(client, staff):
    body = {"client_uuid": str(uuid.uuid4()), "stated_name": "阿芳"}
    assert client.post(URL, json=body, headers=staff).status_code == 201
    changed = {**body, "stated_name": "阿芬"}
    assert client.post(URL, json=changed, headers=staff).status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"admission_route": "teleported"}, "admission_route"),
        ({"sex": "x"}, "sex"),
        ({"admitted_at": "2026-03-01T09:30:00"}, "admitted_at"),
        ({"admitted_at": "2999-01-01T00:00:00+08:00"}, "admitted_at"),
        ({"estimated_birth_year": 10**12}, "estimated_birth_year"),
        ({"estimated_birth_year": local_today().year + 1}, "estimated_birth_year"),
        ({"estimated_birth_year": 1899}, "estimated_birth_year"),
        ({"estimated_birth_year": "1970s"}, "estimated_birth_year"),
        ({"stated_name": "名" * 101}, "stated_name"),
        ({"belongings": "a string"}, "belongings"),
        ({"belongings": ["x"] * 101}, "belongings"),
        ({"id_number": "440229199001011234"}, "id_number"),
        ({"encounter_id": "one"}, "encounter_id"),
        ({"client_uuid": "not-a-uuid"}, "client_uuid"),
    ],
)
def test_bad_admission_is_422_naming_the_field(client, staff, body, field):
    response = client.post(URL, json=body, headers=staff)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_admission_in_an_area_outside_ones_own_is_422(client, areas):
    town_staff = factories.headers_for(factories.user("rescue_staff", areas.town_a))
    response = client.post(URL, json={"area_id": areas.town_b.id}, headers=town_staff)
    assert response.status_code == 422
    assert "area_id" in response.json["errors"]


def test_id_number_is_masked(client, staff):
    response = client.post(URL, json={"id_number": "11010519491231002X"}, headers=staff)
    assert response.status_code == 201
    assert response.json["id_number"] == "1101**********002X"


def test_patch_sets_bed_and_keeps_the_rest(client, areas, staff):
    person = centre.resident(areas.county, stated_name="阿强")
    response = client.patch(f"{URL}/{person.id}", json={"bed": "3-2"}, headers=staff)
    assert response.status_code == 200
    assert response.json["bed"] == "3-2" and response.json["stated_name"] == "阿强"


def test_discharge_records_how_and_when(client, areas, staff):
    person = centre.resident(areas.county, admitted_at=centre.at("2026-01-05"))
    response = client.post(
        f"{URL}/{person.id}/discharge",
        json={
            "reason": "transferred",
            "discharged_at": "2026-02-01T10:00:00+08:00",
            "destination": "市救助站",
        },
        headers=staff,
    )
    assert response.status_code == 200, response.json
    assert response.json["discharge_reason"] == "transferred"
    assert response.json["days_stayed"] == 27


def test_discharge_twice_is_409(client, areas, staff):
    person = centre.resident(areas.county)
    url = f"{URL}/{person.id}/discharge"
    assert client.post(url, json={"reason": "left"}, headers=staff).status_code == 200
    assert client.post(url, json={"reason": "left"}, headers=staff).status_code == 409


def test_discharge_before_admission_is_422(client, areas, staff):
    person = centre.resident(areas.county, admitted_at=centre.at("2026-01-05"))
    response = client.post(
        f"{URL}/{person.id}/discharge",
        json={"reason": "left", "discharged_at": "2026-01-04T10:00:00+08:00"},
        headers=staff,
    )
    assert response.status_code == 422


def test_discharge_with_unknown_reason_is_422(client, areas, staff):
    person = centre.resident(areas.county)
    response = client.post(f"{URL}/{person.id}/discharge", json={"reason": "x"}, headers=staff)
    assert response.status_code == 422


def test_discharge_closes_an_open_case_as_closed_other(client, areas, staff, db):
    person = centre.resident(areas.county)
    case, _ = tracing.ensure_open_case(person.id)
    response = client.post(f"{URL}/{person.id}/discharge", json={"reason": "died"}, headers=staff)
    assert response.status_code == 200
    db.expire_all()
    assert tracing.get_case(case.id).status == "closed_other"


def test_reunion_discharge_with_open_case_must_go_through_the_outcome(client, areas, staff):
    person = centre.resident(areas.county)
    case, _ = tracing.ensure_open_case(person.id)
    response = client.post(
        f"{URL}/{person.id}/discharge", json={"reason": "family_collected"}, headers=staff
    )
    assert response.status_code == 409
    assert response.json["case_id"] == case.id


# --- long stay ---------------------------------------------------------------------------


@pytest.fixture
def stays(areas):
    """Admissions around 1 Jan 2026, checked as of 1 Apr 2026 (90 days after 1 Jan)."""
    return {
        "jan1": centre.resident(areas.county, centre.at("2026-01-01", 23)),
        "jan2": centre.resident(areas.county, centre.at("2026-01-02", 1)),
        "dec": centre.resident(areas.county, centre.at("2025-12-01")),
        "left_mar": centre.discharged(
            areas.county, centre.at("2025-11-01"), centre.at("2026-03-31")
        ),
        "left_apr1": centre.discharged(
            areas.county, centre.at("2025-11-01"), centre.at("2026-04-01", 18)
        ),
        "left_apr2": centre.discharged(
            areas.county, centre.at("2025-11-01"), centre.at("2026-04-02", 8)
        ),
    }


def test_long_stay_list_as_of_a_date(db, stays):
    rows = tracing.long_stay_residents(date(2026, 4, 1), 90)
    got = {row.resident_id: row.days_stayed for row in rows}
    assert got == {stays["dec"].id: 121, stays["jan1"].id: 90, stays["left_apr2"].id: 151}


def test_long_stay_list_on_an_earlier_date(db, stays):
    rows = tracing.long_stay_residents(date(2026, 3, 1), 90)
    assert {row.resident_id for row in rows} == {
        stays["dec"].id,  # 1 Dec to 1 Mar: exactly 90 days
        stays["left_mar"].id,
        stays["left_apr1"].id,
        stays["left_apr2"].id,
    }


def test_long_stay_endpoint_takes_as_of(client, staff, stays):
    response = client.get(f"{URL}/long-stay?as_of=2026-04-01", headers=staff)
    assert response.status_code == 200
    body = response.json
    assert body["threshold_days"] == 90 and body["count"] == 3
    assert [r["days_stayed"] for r in body["residents"]] == [151, 121, 90]
    assert body["residents"][0]["resident"]["id"] == stays["left_apr2"].id


def test_long_stay_entry_names_the_open_case(client, staff, stays):
    case, _ = tracing.ensure_open_case(stays["dec"].id)
    response = client.get(f"{URL}/long-stay?as_of=2026-04-01", headers=staff)
    by_id = {r["resident_id"]: r["open_case_id"] for r in response.json["residents"]}
    assert by_id[stays["dec"].id] == case.id and by_id[stays["jan1"].id] is None


@pytest.mark.parametrize("query", ["as_of=yesterday", "threshold_days=0", "threshold_days=x"])
def test_long_stay_bad_query_is_422(client, staff, query):
    assert client.get(f"{URL}/long-stay?{query}", headers=staff).status_code == 422


def test_resident_flags_long_stay_today(client, areas, staff):
    old = centre.resident(areas.county, datetime.now(UTC) - timedelta(days=120))
    new = centre.resident(areas.county, datetime.now(UTC) - timedelta(days=5))
    assert client.get(f"{URL}/{old.id}", headers=staff).json["long_stay"] is True
    assert client.get(f"{URL}/{new.id}", headers=staff).json["long_stay"] is False


def test_list_filters_present_residents(client, areas, staff):
    here = centre.resident(areas.county)
    gone = centre.discharged(
        areas.county, datetime.now(UTC) - timedelta(days=9), datetime.now(UTC) - timedelta(days=1)
    )
    ids = [r["id"] for r in client.get(f"{URL}?present=true", headers=staff).json]
    assert here.id in ids and gone.id not in ids
    assert client.get(f"{URL}?present=true", headers=staff).headers["X-Total-Count"] == "1"
