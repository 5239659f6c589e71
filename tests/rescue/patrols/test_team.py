"""Who may be on a patrol team: a visible, active user of a patrolling role (rescue staff,
supervisors) whose area contains the patrol's area or lies inside it. A bad member is a
422 on ``team.<index>``, on create and on PATCH; an invisible user reads as a missing one."""

import uuid

import pytest

from tests import factories
from tests.rescue.patrols import factories as pf


def _body(area, team):
    return {
        "client_uuid": str(uuid.uuid4()),
        "mode": "on_foot",
        "started_at": "2026-07-07T04:00:00+08:00",
        "area_id": area.id,
        "team": team,
    }


@pytest.fixture
def staff(areas):
    return factories.user("rescue_staff", areas.county)


@pytest.mark.parametrize(
    ("role", "area_name", "ok"),
    [
        ("rescue_staff", "county", True),  # the county contains town A
        ("rescue_staff", "town_a", True),
        ("rescue_staff", "village_a1", True),  # inside the patrol's area
        ("supervisor", "town_a", True),
        ("outreach_worker", "town_a", False),
        ("admin", "county", False),
        ("rescue_staff", "town_b", False),  # another town: neither contains the other
    ],
)
def test_team_member_rules_on_create(client, areas, staff, role, area_name, ok):
    member = factories.user(role, getattr(areas, area_name))
    response = client.post(
        "/api/v1/patrols",
        json=_body(areas.town_a, [staff.id, member.id]),
        headers=factories.headers_for(staff),
    )
    if ok:
        assert response.status_code == 201, response.json
        assert response.json["team"] == [staff.id, member.id]
    else:
        assert response.status_code == 422
        assert list(response.json["errors"]) == ["team.1"]


def test_team_member_rules_on_patch(client, areas, staff):
    patrol = pf.patrol(areas.town_a, team=[staff.id])
    worker = factories.user("outreach_worker", areas.town_a)
    headers = factories.headers_for(staff)
    response = client.patch(
        f"/api/v1/patrols/{patrol.id}", json={"team": [staff.id, worker.id]}, headers=headers
    )
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["team.1"]
    colleague = factories.user("rescue_staff", areas.town_a)
    response = client.patch(
        f"/api/v1/patrols/{patrol.id}", json={"team": [colleague.id]}, headers=headers
    )
    assert response.status_code == 200
    assert response.json["team"] == [colleague.id]


def test_invisible_user_answers_like_a_missing_one(client, areas):
    town_staff = factories.user("rescue_staff", areas.town_a)
    hidden = factories.user("rescue_staff", areas.town_b)
    headers = factories.headers_for(town_staff)
    missing_id = hidden.id + 1000
    answers = [
        client.post("/api/v1/patrols", json=_body(areas.town_a, [user_id]), headers=headers).json[
            "errors"
        ]
        for user_id in (hidden.id, missing_id)
    ]
    assert answers[0] == {"team.0": [f"No such user: {hidden.id}."]}
    assert answers[1] == {"team.0": [f"No such user: {missing_id}."]}


def test_inactive_user_may_not_join(client, areas, staff):
    gone = factories.user("rescue_staff", areas.town_a, active=False)
    response = client.post(
        "/api/v1/patrols",
        json=_body(areas.town_a, [gone.id]),
        headers=factories.headers_for(staff),
    )
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["team.0"]


def test_each_bad_member_is_named_by_its_index(client, areas, staff):
    worker = factories.user("outreach_worker", areas.town_a)
    other_town = factories.user("rescue_staff", areas.town_b)
    response = client.post(
        "/api/v1/patrols",
        json=_body(areas.town_a, [staff.id, worker.id, staff.id, other_town.id]),
        headers=factories.headers_for(staff),
    )
    assert response.status_code == 422
    assert sorted(response.json["errors"]) == ["team.1", "team.3"]


def test_admin_recording_a_patrol_is_not_put_on_its_team(client, areas):
    admin = factories.user("admin", areas.county)
    response = client.post(
        "/api/v1/patrols",
        json={k: v for k, v in _body(areas.town_a, []).items() if k != "team"},
        headers=factories.headers_for(admin),
    )
    assert response.status_code == 201
    assert response.json["team"] == []


# Whom the field app offers to pick: GET /patrols/team-candidates.


def _candidates(client, caller):
    response = client.get(
        "/api/v1/patrols/team-candidates",
        query_string={"page_size": 500},
        headers=factories.headers_for(caller),
    )
    assert response.status_code == 200, response.json
    return response.json


def test_candidates_are_the_active_rescue_staff_of_the_callers_subtree(client, areas):
    town_staff = factories.user("rescue_staff", areas.town_a)
    village_staff = factories.user("rescue_staff", areas.village_a1)
    county_staff = factories.user("rescue_staff", areas.county)
    other_town = factories.user("rescue_staff", areas.town_b)
    factories.user("rescue_staff", areas.town_a, active=False)
    factories.user("supervisor", areas.town_a)
    factories.user("outreach_worker", areas.town_a)
    rows = _candidates(client, town_staff)
    # Only a name: no username, role, area or other account data.
    assert all(set(row) == {"id", "display_name"} for row in rows)
    assert sorted(row["id"] for row in rows) == sorted([town_staff.id, village_staff.id])
    assert other_town.id not in {row["id"] for row in _candidates(client, village_staff)}
    admin = factories.user("admin", areas.county)
    assert {row["id"] for row in _candidates(client, admin)} == {
        town_staff.id,
        village_staff.id,
        county_staff.id,
        other_town.id,
    }


@pytest.mark.parametrize("role", ["outreach_worker", "supervisor"])
def test_candidates_are_403_to_roles_that_do_not_start_patrols(client, areas, role):
    response = client.get(
        "/api/v1/patrols/team-candidates",
        headers=factories.headers_for(factories.user(role, areas.town_a)),
    )
    assert response.status_code == 403


def test_a_candidate_picked_is_accepted_on_the_team(client, areas):
    town_staff = factories.user("rescue_staff", areas.town_a)
    village_staff = factories.user("rescue_staff", areas.village_a1)
    picked = [row["id"] for row in _candidates(client, town_staff)]
    assert village_staff.id in picked
    response = client.post(
        "/api/v1/patrols",
        json=_body(areas.town_a, [town_staff.id, village_staff.id]),
        headers=factories.headers_for(town_staff),
    )
    assert response.status_code == 201, response.json
    assert response.json["team"] == [town_staff.id, village_staff.id]
