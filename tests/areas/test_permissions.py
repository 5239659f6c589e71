"""The permission table: each role at each area level, reading and writing records in its
own subtree and in another town. Roles answer 403; jurisdiction answers 404."""

import itertools

import pytest

from api.auth.models import ROLES
from tests import factories

LEVELS = ("county", "town", "village")


def _home(areas, level):
    return {"county": areas.county, "town": areas.town_a, "village": areas.village_a1}[level]


def _expect_read_area(role, level, target):
    # Any role reads areas; only its own subtree.
    visible = {
        "county": {"own_village", "sibling_village", "other_town_village"},
        "town": {"own_village", "sibling_village"},
        "village": {"own_village"},
    }[level]
    return 200 if target in visible else 404


def _expect_read_user(role, level, target):
    if role not in ("admin", "supervisor"):
        return 403
    return _expect_read_area(role, level, target)


def _expect_write_user(role, level, target):
    if role != "admin":
        return 403
    return _expect_read_area(role, level, target)


CASES = list(
    itertools.product(ROLES, LEVELS, ("own_village", "sibling_village", "other_town_village"))
)


@pytest.mark.parametrize(("role", "level", "target"), CASES)
def test_permission_table(client, areas, role, level, target):
    caller = factories.user(role, _home(areas, level))
    target_area = {
        "own_village": areas.village_a1,
        "sibling_village": areas.village_a2,
        "other_town_village": areas.village_b1,
    }[target]
    someone = factories.user("outreach_worker", target_area)
    headers = factories.headers_for(caller)

    read_area = client.get(f"/api/v1/areas/{target_area.id}", headers=headers)
    assert read_area.status_code == _expect_read_area(role, level, target)

    read_user = client.get(f"/api/v1/users/{someone.id}", headers=headers)
    assert read_user.status_code == _expect_read_user(role, level, target)

    write_user = client.patch(
        f"/api/v1/users/{someone.id}", json={"display_name": "改名"}, headers=headers
    )
    assert write_user.status_code == _expect_write_user(role, level, target)


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_create_accounts(client, areas, role):
    caller = factories.user(role, areas.county)
    response = client.post(
        "/api/v1/users",
        json={
            "username": f"new-{role}",
            "display_name": "新人",
            "role": "outreach_worker",
            "area_id": areas.town_a.id,
            "password": "long enough",
        },
        headers=factories.headers_for(caller),
    )
    assert response.status_code == (201 if role == "admin" else 403)


def test_town_admin_cannot_place_accounts_in_another_town(client, areas):
    admin = factories.user("admin", areas.town_a)
    response = client.post(
        "/api/v1/users",
        json={
            "username": "elsewhere",
            "display_name": "x",
            "role": "outreach_worker",
            "area_id": areas.town_b.id,
            "password": "long enough",
        },
        headers=factories.headers_for(admin),
    )
    assert response.status_code == 422
    assert "area_id" in response.json["errors"]


def test_duplicate_username_is_409(client, areas):
    admin = factories.user("admin", areas.county)
    factories.user("outreach_worker", areas.town_b, username="taken")
    response = client.post(
        "/api/v1/users",
        json={
            "username": "taken",
            "display_name": "x",
            "role": "outreach_worker",
            "area_id": areas.town_a.id,
            "password": "long enough",
        },
        headers=factories.headers_for(admin),
    )
    assert response.status_code == 409


@pytest.mark.parametrize(("level", "expected"), [("county", 201), ("town", 201), ("village", 404)])
def test_admins_create_areas_under_visible_parents(client, areas, level, expected):
    admin = factories.user("admin", _home(areas, level))
    response = client.post(
        "/api/v1/areas",
        json={
            "code": "440229100099",
            "name": "新村",
            "level": "village",
            "parent_id": areas.town_a.id,
        },
        headers=factories.headers_for(admin),
    )
    assert response.status_code == expected


def test_area_list_shows_only_the_subtree(client, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    response = client.get("/api/v1/areas", headers=factories.headers_for(worker))
    assert response.status_code == 200
    ids = {area["id"] for area in response.json}
    assert ids == {areas.town_a.id, areas.village_a1.id, areas.village_a2.id}
    assert response.headers["X-Total-Count"] == "3"


def test_user_list_is_scoped_and_paginated(client, areas):
    supervisor = factories.user("supervisor", areas.town_b)
    for _ in range(3):
        factories.user("outreach_worker", areas.village_b1)
    factories.user("outreach_worker", areas.town_a)
    response = client.get("/api/v1/users?page_size=2", headers=factories.headers_for(supervisor))
    assert response.status_code == 200
    assert len(response.json) == 2
    assert response.headers["X-Total-Count"] == "4"  # three workers and the supervisor
