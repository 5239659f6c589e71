"""The register's people through the API: one head member, relation codes with their
labels, sex and birth date from valid ID numbers (a typed value that disagrees is a 422
naming the field)."""

import pytest
from sqlalchemy import select

from api.visits.models import Household
from tests import factories
from tests.visits import factories as vf
from tests.visits.test_households import new_household

MAN = vf.valid_id_number("440229197003031231")  # male, born 1970-03-03
WOMAN = vf.valid_id_number("440229199512240242")  # female, born 1995-12-24


def _post(client, user, body):
    return client.post("/api/v1/households", json=body, headers=factories.headers_for(user))


def _patch(client, user, household_id, body):
    return client.patch(
        f"/api/v1/households/{household_id}", json=body, headers=factories.headers_for(user)
    )


def _body(areas, members, **extra):
    return new_household(areas, head_name="周强", head_id_number=None, members=members, **extra)


def test_relations_are_codes_with_labels_whatever_word_was_typed(client, worker, areas):
    members = [
        {"name": "周强", "relation": "户主"},
        {"name": "吴敏", "relation": "妻子"},
        {"name": "周小宝", "relation": "grandchild"},
        {"name": "周老汉", "relation": "父亲"},
    ]
    response = _post(client, worker, _body(areas, members))
    assert response.status_code == 201, response.json
    got = [(m["relation"], m["relation_label"]) for m in response.json["members"]]
    assert got == [
        ("head", "户主"),
        ("spouse", "配偶"),
        ("grandchild", "孙子女"),
        ("parent", "父母"),
    ]


def test_an_unknown_relation_is_refused_naming_the_member(client, worker, areas):
    members = [{"name": "周强", "relation": "户主"}, {"name": "某", "relation": "邻居"}]
    response = _post(client, worker, _body(areas, members))
    assert response.status_code == 422
    assert "members.1.relation" in response.json["errors"], response.json


def test_sex_and_birth_date_come_from_a_valid_id_number(client, worker, areas):
    members = [{"name": "周强", "relation": "户主", "id_number": MAN}]
    response = _post(client, worker, _body(areas, members))
    assert response.status_code == 201, response.json
    [head] = response.json["members"]
    assert (head["sex"], head["birth_date"], head["birth_year"]) == ("male", "1970-03-03", 1970)


@pytest.mark.parametrize(
    ("typed", "field"),
    [
        ({"sex": "female"}, "sex"),
        ({"birth_date": "1970-03-04"}, "birth_date"),
        ({"birth_year": 1971}, "birth_year"),
    ],
)
def test_a_typed_value_that_disagrees_with_the_id_number_is_a_422(
    client, worker, areas, typed, field
):
    members = [
        {"name": "周强", "relation": "户主"},
        {"name": "吴敏", "relation": "配偶", "id_number": MAN, **typed},
    ]
    response = _post(client, worker, _body(areas, members))
    assert response.status_code == 422
    assert list(response.json["errors"]) == [f"members.1.{field}"], response.json
    agreeing = {"sex": "male", "birth_date": "1970-03-03", "birth_year": 1970}
    members[1] = {**members[1], **agreeing}
    assert _post(client, worker, _body(areas, members)).status_code == 201


def test_without_an_id_number_the_birth_date_sets_the_birth_year(client, worker, areas):
    members = [{"name": "周强", "relation": "户主", "birth_date": "1980-06-01"}]
    response = _post(client, worker, _body(areas, members))
    assert response.json["members"][0]["birth_year"] == 1980
    members[0]["birth_year"] = 1981
    response = _post(client, worker, _body(areas, members, address="甲一村9号"))
    assert response.status_code == 422 and "members.0.birth_year" in response.json["errors"]


def test_head_fields_alone_make_the_head_member(client, worker, areas, db):
    body = new_household(
        areas, head_name="周强", head_id_number=MAN, members=[{"name": "吴敏", "relation": "配偶"}]
    )
    response = _post(client, worker, body)
    assert response.status_code == 201, response.json
    head, spouse = response.json["members"]
    assert (head["name"], head["relation"], head["sex"]) == ("周强", "head", "male")
    assert spouse["relation"] == "spouse"
    household = db.scalar(select(Household).where(Household.id == response.json["id"]))
    assert household.head.id_number == household.head_id_number == MAN


def test_the_head_is_named_once_and_agrees_with_the_head_fields(client, worker, areas):
    two_heads = [{"name": "周强", "relation": "户主"}, {"name": "周刚", "relation": "head"}]
    response = _post(client, worker, _body(areas, two_heads))
    assert response.status_code == 422 and "members" in response.json["errors"]
    other_name = [{"name": "周刚", "relation": "户主"}]
    response = _post(client, worker, _body(areas, other_name))
    assert response.status_code == 422 and "head_name" in response.json["errors"]
    body = _body(areas, [{"name": "周强", "relation": "户主", "id_number": MAN}])
    response = _post(client, worker, {**body, "head_id_number": WOMAN})
    assert response.status_code == 422 and "head_id_number" in response.json["errors"]
    no_head = new_household(areas, members=[])
    del no_head["head_name"]
    response = _post(client, worker, no_head)
    assert response.status_code == 422 and "head_name" in response.json["errors"]


def test_a_new_household_in_a_visit_names_its_head_as_a_household_does(client, worker, areas):
    visit = {
        "client_uuid": "0b7e2a4c-3c1d-4f7e-9c2a-1d2e3f4a5b6c",
        "channel": "phone",
        "visited_at": "2026-01-05T10:00:00+08:00",
        "new_household": _body(areas, [{"name": "周刚", "relation": "户主"}]),
    }
    response = client.post("/api/v1/visits", json=visit, headers=factories.headers_for(worker))
    assert response.status_code == 422
    assert "new_household.head_name" in response.json["errors"], response.json


def test_patching_the_head_fields_changes_the_head_member(client, worker, areas):
    home = vf.household(areas.village_a1, head_name="周强", members=2)
    response = _patch(client, worker, home.id, {"head_name": "周强国", "head_id_number": MAN})
    assert response.status_code == 200, response.json
    head = response.json["members"][0]
    assert (head["name"], head["relation"], head["sex"]) == ("周强国", "head", "male")
    assert response.json["head_name"] == "周强国" and len(response.json["members"]) == 2


def test_patching_members_without_a_head_keeps_the_head(client, worker, areas):
    home = vf.household(areas.village_a1, head_name="周强", members=1)
    response = _patch(client, worker, home.id, {"members": [{"name": "吴敏", "relation": "配偶"}]})
    assert response.status_code == 200, response.json
    assert [(m["name"], m["relation"]) for m in response.json["members"]] == [
        ("周强", "head"),
        ("吴敏", "spouse"),
    ]


def test_the_head_can_pass_to_another_member(client, worker, areas):
    home = vf.household(areas.village_a1, head_name="周强", members=1)
    members = [{"name": "周强", "relation": "父亲"}, {"name": "周刚", "relation": "户主"}]
    response = _patch(client, worker, home.id, {"members": members})
    assert response.status_code == 200, response.json
    assert response.json["head_name"] == "周刚"
    assert [(m["name"], m["relation"]) for m in response.json["members"]] == [
        ("周刚", "head"),
        ("周强", "parent"),
    ]


def test_the_phone_form_lists_the_relations_with_their_labels(client, worker):
    response = client.get("/api/v1/forms/household", headers=factories.headers_for(worker))
    [members] = [f for f in response.json["fields"] if f["name"] == "members"]
    [relation] = [f for f in members["items"]["fields"] if f["name"] == "relation"]
    assert {"value": "head", "label": "户主"} in relation["choices"]
    assert {"value": "spouse", "label": "配偶"} in relation["choices"]
