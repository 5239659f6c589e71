"""Every list that takes ``?area_id=`` narrows through ``scope.in_area``: the caller's own
area or one below it is a filter; another town's area, or none, is a 422 on area_id that
reads the same either way."""

import pytest

from tests import factories

LISTS = [
    ("/api/v1/households", "supervisor"),
    ("/api/v1/households/duplicates", "supervisor"),
    ("/api/v1/visits", "supervisor"),
    ("/api/v1/tasks", "supervisor"),
    ("/api/v1/patrols", "rescue_staff"),
    ("/api/v1/street-people", "rescue_staff"),
]


@pytest.mark.parametrize(("path", "role"), LISTS)
def test_area_filter_of_a_list(client, areas, path, role):
    headers = factories.headers_for(factories.user(role, areas.town_a))
    for own in (areas.town_a.id, areas.village_a1.id):
        response = client.get(path, query_string={"area_id": own}, headers=headers)
        assert response.status_code == 200, (own, response.json)
    answers = []
    for foreign in (areas.town_b.id, areas.village_b1.id, areas.county.id, 2**31 - 1):
        response = client.get(path, query_string={"area_id": foreign}, headers=headers)
        assert response.status_code == 422, (foreign, response.json)
        answers.append(response.json["errors"])
    # Another town's area and one that does not exist get the same answer.
    assert all(answer == answers[0] and "area_id" in answer for answer in answers)
