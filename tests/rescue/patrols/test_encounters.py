"""Encounters: idempotent creation, the follow-up job, people linked across sightings."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from api.jobs.models import OutboxJob
from api.rescue.patrols.models import StreetPerson
from tests import factories
from tests.rescue.patrols import factories as pf

START = datetime(2026, 7, 6, 20, 0, tzinfo=UTC)


def encounter_body(**overrides):
    body = {
        "client_uuid": str(uuid.uuid4()),
        "occurred_at": "2026-07-07T04:30:00+08:00",
        "location": {"type": "Point", "coordinates": [114.131, 24.351]},
        "sex": "male",
        "approximate_age": 60,
        "clothing": "灰色外套",
        "language": "客家话",
        "condition": "消瘦，腿有伤",
        "vulnerable": True,
        "vulnerability_kinds": ["elderly", "heat_danger"],
        "aid": [{"kind": "water", "quantity": 2}, {"kind": "heat_relief", "quantity": 1}],
        "outcome": "refused_aid",
    }
    body.update(overrides)
    return body


@pytest.fixture
def rescue(areas):
    return factories.user("rescue_staff", areas.county)


@pytest.fixture
def patrol(areas):
    return pf.patrol(areas.town_a, started_at=START)


def post(client, patrol, body, user):
    return client.post(
        f"/api/v1/patrols/{patrol.id}/encounters", json=body, headers=factories.headers_for(user)
    )


def followup_jobs(db, encounter_id):
    jobs = db.scalars(
        select(OutboxJob).where(OutboxJob.func == "workers.followup.encounter_recorded")
    )
    return [job for job in jobs if job.args == [encounter_id]]


def test_create_encounter_then_replay_returns_the_same(client, patrol, rescue):
    body = encounter_body()
    first = post(client, patrol, body, rescue)
    assert first.status_code == 201
    assert first.json["vulnerability_kinds"] == ["elderly", "heat_danger"]
    assert first.json["aid"] == body["aid"]
    assert first.json["location"] == body["location"]
    again = post(client, patrol, body, rescue)
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    listed = client.get(
        f"/api/v1/patrols/{patrol.id}/encounters", headers=factories.headers_for(rescue)
    )
    assert listed.headers["X-Total-Count"] == "1"


def test_same_uuid_other_content_is_409(client, patrol, rescue):
    body = encounter_body()
    post(client, patrol, body, rescue)
    assert post(client, patrol, {**body, "outcome": "accepted_aid"}, rescue).status_code == 409


def test_same_uuid_on_another_patrol_is_409(client, areas, patrol, rescue):
    other = pf.patrol(areas.town_a, started_at=START)
    body = encounter_body()
    post(client, patrol, body, rescue)
    assert post(client, other, body, rescue).status_code == 409


def test_stored_encounter_schedules_followup_once(client, db, patrol, rescue):
    body = encounter_body()
    created = post(client, patrol, body, rescue).json
    post(client, patrol, body, rescue)
    assert len(followup_jobs(db, created["id"])) == 1


def test_outcome_change_schedules_followup_again(client, db, patrol, rescue):
    created = post(client, patrol, encounter_body(), rescue).json
    response = client.patch(
        f"/api/v1/encounters/{created['id']}",
        json={"outcome": "sent_to_hospital"},
        headers=factories.headers_for(rescue),
    )
    assert response.status_code == 200 and response.json["outcome"] == "sent_to_hospital"
    assert len(followup_jobs(db, created["id"])) == 2


def test_edit_without_outcome_change_schedules_nothing(client, db, patrol, rescue):
    created = post(client, patrol, encounter_body(), rescue).json
    client.patch(
        f"/api/v1/encounters/{created['id']}",
        json={"notes": "补记"},
        headers=factories.headers_for(rescue),
    )
    assert len(followup_jobs(db, created["id"])) == 1


def test_encounter_area_is_the_village_where_it_happened(client, areas, rescue):
    county_patrol = pf.patrol(areas.county, started_at=START)
    response = post(
        client,
        county_patrol,
        encounter_body(location={"type": "Point", "coordinates": [114.15, 24.35]}),
        rescue,
    )
    assert response.json["area_id"] == areas.village_a2.id


def test_encounter_outside_every_village_keeps_the_patrols_area(client, areas, rescue):
    county_patrol = pf.patrol(areas.county, started_at=START)
    response = post(
        client,
        county_patrol,
        encounter_body(location={"type": "Point", "coordinates": [113.95, 24.5]}),
        rescue,
    )
    assert response.json["area_id"] == areas.county.id


def test_vulnerability_kinds_make_the_encounter_vulnerable(client, patrol, rescue):
    body = encounter_body(vulnerable=False, vulnerability_kinds=["minor"])
    assert post(client, patrol, body, rescue).json["vulnerable"] is True


def test_new_street_person_is_created_and_linked(client, db, patrol, rescue):
    body = encounter_body(new_street_person={"alias": "桥下老伯", "sex": "male"})
    response = post(client, patrol, body, rescue)
    assert response.status_code == 201
    person = db.get(StreetPerson, response.json["street_person_id"])
    assert person.alias == "桥下老伯"
    assert person.first_seen_at == datetime(2026, 7, 6, 20, 30, tzinfo=UTC)


def test_linking_a_later_sighting_moves_last_seen(client, db, areas, patrol, rescue):
    person = pf.street_person(areas.town_a, alias="车站阿姨")
    pf.encounter(patrol, occurred_at=START + timedelta(minutes=10), person=person)
    later = pf.encounter(patrol, occurred_at=START + timedelta(minutes=50))
    response = client.patch(
        f"/api/v1/encounters/{later.id}",
        json={"street_person_id": person.id},
        headers=factories.headers_for(rescue),
    )
    assert response.status_code == 200
    db.refresh(person)
    assert person.first_seen_at == START + timedelta(minutes=10)
    assert person.last_seen_at == START + timedelta(minutes=50)


def test_unlinking_recomputes_the_person(client, db, areas, patrol, rescue):
    person = pf.street_person(areas.town_a)
    only = pf.encounter(patrol, person=person)
    client.patch(
        f"/api/v1/encounters/{only.id}",
        json={"street_person_id": None},
        headers=factories.headers_for(rescue),
    )
    db.refresh(person)
    assert person.first_seen_at is None


def test_other_towns_street_person_cannot_be_linked(client, areas):
    town_rescue = factories.user("rescue_staff", areas.town_a)
    patrol = pf.patrol(areas.town_a, started_at=START)
    stranger = pf.street_person(areas.town_b)
    response = post(client, patrol, encounter_body(street_person_id=stranger.id), town_rescue)
    assert response.status_code == 422
    assert "street_person_id" in response.json["errors"]


def test_name_without_gave_name_is_422(client, patrol, rescue):
    response = post(client, patrol, encounter_body(name="张三"), rescue)
    assert response.status_code == 422 and "name" in response.json["errors"]


def test_gave_name_with_name_is_kept(client, patrol, rescue):
    response = post(client, patrol, encounter_body(gave_name=True, name="张三"), rescue)
    assert response.json["name"] == "张三"


def test_encounter_before_the_patrol_is_422(client, patrol, rescue):
    response = post(client, patrol, encounter_body(occurred_at="2026-07-06T10:00:00+08:00"), rescue)
    assert response.status_code == 422 and "occurred_at" in response.json["errors"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"outcome": "vanished"},
        {"outcome": None},
        {"aid": [{"kind": "water", "quantity": 0}]},
        {"aid": [{"kind": "water", "quantity": 10**9}]},
        {"aid": [{"kind": "water", "quantity": "2"}]},
        {"aid": [{"kind": "gold", "quantity": 1}]},
        {"aid": [{"kind": "water", "quantity": 1}, {"kind": "water", "quantity": 2}]},
        {"vulnerability_kinds": ["rich"]},
        {"approximate_age": 300},
        {"location": {"type": "Point", "coordinates": [24.35, 114.13]}},
        {"location": None},
        {"occurred_at": "yesterday"},
        {"client_uuid": "1"},
        {"clothing": "x" * 5000},
        {"street_person_id": 1, "new_street_person": {"alias": "x"}},
    ],
)
def test_bad_encounter_bodies_are_422(client, patrol, rescue, overrides):
    assert post(client, patrol, encounter_body(**overrides), rescue).status_code == 422


def test_list_encounters_by_campaign_and_vulnerable(client, areas, rescue):
    campaign = pf.campaign(areas.county)
    patrol = pf.patrol(areas.town_a, started_at=START, campaign=campaign)
    vulnerable = pf.encounter(patrol, vulnerability_kinds=["elderly"])
    pf.encounter(patrol)
    pf.encounter(pf.patrol(areas.town_a, started_at=START), vulnerability_kinds=["minor"])
    response = client.get(
        f"/api/v1/encounters?campaign_id={campaign.id}&vulnerable=true",
        headers=factories.headers_for(rescue),
    )
    assert [e["id"] for e in response.json] == [vulnerable.id]


def test_street_person_search(client, areas, rescue):
    pf.street_person(areas.town_a, alias="桥下老伯")
    pf.street_person(areas.town_a, alias="车站阿姨")
    response = client.get("/api/v1/street-people?q=老伯", headers=factories.headers_for(rescue))
    assert [p["alias"] for p in response.json] == ["桥下老伯"]


def test_bd09_location_is_stored_as_wgs84(client, patrol, rescue):
    from api.visits.crs import bd09_to_wgs84

    response = post(
        client,
        patrol,
        encounter_body(crs="bd09", location={"type": "Point", "coordinates": [114.14, 24.356]}),
        rescue,
    )
    assert response.status_code == 201
    expected = bd09_to_wgs84(114.14, 24.356)
    assert response.json["location"]["coordinates"] == pytest.approx(list(expected), abs=1e-9)
