"""Outreach workers never see the rescue side's people: street people, encounters,
residents and their tracing cases. The wall is the tables' own (``RoleRestricted`` with
``api.rescue.roles.RESCUE_ROLES``), so it holds through every query, joins included, and
whatever area the record carries: a resident admitted with a town's area stays invisible
to that town's outreach workers, on every path that could lead to it."""

import pytest
from sqlalchemy import func, select

from api.areas.scope import SYSTEM, Actor, _mapped_subclasses, set_actor
from api.casework.tracing import services as tracing
from api.mixins import RoleRestricted
from api.rescue.centre.models import Resident
from api.rescue.patrols.models import Encounter, Patrol, StreetPerson
from api.rescue.roles import RESCUE_ROLES
from tests import factories
from tests.casework.tracing import factories as tracing_factories
from tests.rescue.centre import factories as centre
from tests.rescue.patrols import factories as pf


def _restricted_models():
    # The very list the jurisdiction listener walks, for the rescue side's wall (the
    # supervisors' matching tables have theirs tested in tests/matching/test_lists.py).
    return [
        model
        for model in _mapped_subclasses(RoleRestricted)
        if model.visible_to_roles == RESCUE_ROLES
    ]


@pytest.fixture
def world(areas):
    """A town-A patrol met someone (linked to a street person) who was admitted to the
    centre with the town's area, with a tracing case, an action and a lead."""
    patrol = pf.patrol(areas.town_a)
    person = pf.street_person(areas.town_a, name="张某")
    encounter = pf.encounter(patrol, person=person, name="张某", gave_name=True)
    resident = centre.resident(areas.town_a, encounter_id=encounter.id, stated_name="张某")
    case = tracing_factories.case(resident, "searching")
    tracing.add_lead(case, {"description": "可能是湖南人"})
    tracing.add_action(case, {"kind": "phone_call", "details": "打给派出所"})
    return {
        "patrol": patrol,
        "person": person,
        "encounter": encounter,
        "resident": resident,
        "case": case,
    }


def _act_as(user, area):
    set_actor(None, Actor(user.id, user.role, area.id, area.path))


def test_every_people_table_is_walled_with_the_same_roles():
    models = {model.__tablename__: model for model in _restricted_models()}
    people = {"residents", "street_people", "encounters", "tracing_cases"}
    assert people <= set(models)
    for name in people:
        assert models[name].visible_to_roles == RESCUE_ROLES, name
    assert "outreach_worker" not in RESCUE_ROLES


@pytest.mark.parametrize("area_name", ["county", "town_a", "village_a1"])
def test_no_query_shows_an_outreach_worker_any_of_them(db, areas, world, area_name):
    area = getattr(areas, area_name)
    worker = factories.user("outreach_worker", area)
    models = _restricted_models()
    # Every walled table has rows here: a table this test cannot seed fails it.
    set_actor(None, SYSTEM)
    for model in models:
        assert db.scalar(select(func.count()).select_from(model)) > 0, model.__tablename__
    _act_as(worker, area)
    for model in models:
        assert db.scalars(select(model)).all() == [], model.__tablename__
        assert db.scalar(select(func.count()).select_from(model)) == 0, model.__tablename__
    # Through joins from tables they may see, and by id.
    joined = select(Patrol.id, Encounter.name).join(Encounter, Encounter.patrol_id == Patrol.id)
    assert db.execute(joined).all() == []
    linked = select(Resident.stated_name).join(Encounter, Resident.encounter_id == Encounter.id)
    assert db.execute(linked).all() == []
    by_id = [
        select(Resident).where(Resident.id == world["resident"].id),
        select(StreetPerson).where(StreetPerson.id == world["person"].id),
        select(Encounter).where(Encounter.id == world["encounter"].id),
    ]
    assert [db.scalar(stmt) for stmt in by_id] == [None, None, None]


@pytest.mark.parametrize("role", sorted(RESCUE_ROLES))
def test_the_rescue_roles_of_the_town_see_them(db, areas, world, role):
    account = factories.user(role, areas.town_a)
    _act_as(account, areas.town_a)
    assert db.scalar(select(Resident.id).where(Resident.id == world["resident"].id))
    assert db.scalar(select(Encounter.id).where(Encounter.id == world["encounter"].id))


def test_every_path_to_the_town_resident_is_closed_to_the_towns_worker(client, areas, world):
    worker = factories.headers_for(factories.user("outreach_worker", areas.town_a))
    w = {key: record.id for key, record in world.items()}
    campaign = pf.campaign(areas.town_a)
    paths = [
        f"/api/v1/residents/{w['resident']}",
        "/api/v1/residents",
        "/api/v1/residents/long-stay",
        f"/api/v1/tracing-cases/{w['case']}",
        "/api/v1/tracing-cases",
        f"/api/v1/encounters/{w['encounter']}",
        "/api/v1/encounters",
        f"/api/v1/street-people/{w['person']}",
        "/api/v1/street-people",
        f"/api/v1/patrols/{w['patrol']}",
        f"/api/v1/campaigns/{campaign.id}/stats",
        "/api/v1/maps/patrols",
        "/api/v1/exports/tasks",
        "/api/v1/audit?table_name=residents",
        f"/api/v1/audit?table_name=residents&record_id={w['resident']}",
    ]
    for path in paths:
        response = client.get(path, headers=worker)
        assert response.status_code == 403, (path, response.status_code)
        assert "张某" not in response.get_data(as_text=True)
    # The household register and search know nothing of residents.
    response = client.get("/api/v1/households", query_string={"q": "张某"}, headers=worker)
    assert response.status_code == 200 and response.json == []


def test_the_town_resident_is_gone_for_other_towns_rescue_staff(client, areas, world):
    staff = factories.headers_for(factories.user("rescue_staff", areas.town_b))
    resident_id = world["resident"].id
    assert client.get(f"/api/v1/residents/{resident_id}", headers=staff).status_code == 404
    assert client.get("/api/v1/residents", headers=staff).json == []
