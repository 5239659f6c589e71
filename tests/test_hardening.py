"""Platform answers to hostile input that fuzzing found turning into 500s (issue #8)."""

from tests import factories
from tests.visits import factories as vf


def test_an_id_past_the_integer_range_in_the_path_is_not_found(client, areas):
    admin = factories.user("admin", areas.county)
    response = client.get("/api/v1/households/99999999999", headers=factories.headers_for(admin))
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_an_id_past_the_integer_range_in_a_query_is_invalid(client, areas):
    admin = factories.user("admin", areas.county)
    response = client.get(
        "/api/v1/tasks?assignee_id=99999999999", headers=factories.headers_for(admin)
    )
    assert response.status_code in (404, 422)


def test_an_empty_geometry_in_a_partial_update_is_invalid(client, areas):
    admin = factories.user("admin", areas.county)
    home = vf.household(areas.village_a1)
    response = client.patch(
        f"/api/v1/households/{home.id}",
        json={"location": {}},
        headers=factories.headers_for(admin),
    )
    assert response.status_code == 422
    assert any(key.startswith("location") for key in response.json["errors"])
