"""Who may do what (role x own area / other town), supervisor review, programme standards."""

import pytest

from tests import factories
from tests.visits import factories as vf

# (role, area attribute) -> where the user sits; the records are in town A.
ACTORS = {
    "worker_a": ("outreach_worker", "town_a"),
    "worker_b": ("outreach_worker", "town_b"),
    "supervisor_county": ("supervisor", "county"),
    "supervisor_b": ("supervisor", "town_b"),
    "admin": ("admin", "county"),
    "rescue": ("rescue_staff", "county"),
}


@pytest.fixture
def setting(client, areas):
    home = vf.household(areas.village_a1)
    worker = factories.user("outreach_worker", areas.town_a)
    visit = client.post(
        "/api/v1/visits", json=vf.visit_payload(home.id), headers=factories.headers_for(worker)
    ).json
    return {"home": home.id, "visit": visit["id"]}


def headers(areas, who):
    role, area = ACTORS[who]
    return factories.headers_for(factories.user(role, getattr(areas, area)))


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("worker_a", 200),
        ("worker_b", 404),
        ("supervisor_county", 200),
        ("supervisor_b", 404),
        ("admin", 200),
        ("rescue", 403),
    ],
)
@pytest.mark.parametrize(
    "path",
    [
        "/households/{home}",
        "/visits/{visit}",
        "/households/{home}/visits",
        "/visits/{visit}/photos",
    ],
)
def test_reading_one_record(client, areas, setting, who, expected, path):
    url = "/api/v1" + path.format(**setting)
    assert client.get(url, headers=headers(areas, who)).status_code == expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("worker_a", 200),
        ("worker_b", 404),
        ("supervisor_county", 200),
        ("admin", 200),
        ("rescue", 403),
    ],
)
def test_changing_a_household(client, areas, setting, who, expected):
    response = client.patch(
        f"/api/v1/households/{setting['home']}", json={"notes": "x"}, headers=headers(areas, who)
    )
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("worker_a", 403),
        ("worker_b", 403),
        ("supervisor_county", 200),
        ("supervisor_b", 404),
        ("admin", 200),
        ("rescue", 403),
    ],
)
def test_reviewing_a_visit(client, areas, setting, who, expected):
    response = client.patch(
        f"/api/v1/visits/{setting['visit']}/review",
        json={"state": "approved", "comment": None},
        headers=headers(areas, who),
    )
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [("worker_a", 201), ("worker_b", 422), ("admin", 201), ("rescue", 403)],
)
def test_recording_a_visit(client, areas, setting, who, expected):
    response = client.post(
        "/api/v1/visits", json=vf.visit_payload(setting["home"]), headers=headers(areas, who)
    )
    assert response.status_code == expected


@pytest.mark.parametrize("path", ["/households", "/visits", "/households/duplicates"])
def test_lists_need_a_field_role(client, areas, path):
    assert client.get("/api/v1" + path, headers=headers(areas, "rescue")).status_code == 403
    assert client.get("/api/v1" + path).status_code == 401


def test_lists_show_only_own_town(client, areas, setting):
    visits_b = client.get("/api/v1/visits", headers=headers(areas, "worker_b"))
    visits_a = client.get("/api/v1/visits", headers=headers(areas, "worker_a"))
    assert visits_b.json == [] and [v["id"] for v in visits_a.json] == [setting["visit"]]


# --- review -----------------------------------------------------------------------------


def test_review_keeps_history(client, areas, setting):
    supervisor = headers(areas, "supervisor_county")
    url = f"/api/v1/visits/{setting['visit']}/review"
    client.patch(
        url, json={"state": "has_issues", "comment": "位置偏远，请补充照片"}, headers=supervisor
    )
    response = client.patch(url, json={"state": "approved"}, headers=supervisor)
    assert response.status_code == 200
    body = response.json
    assert body["review_state"] == "approved"
    assert [r["state"] for r in body["reviews"]] == ["has_issues", "approved"]
    assert body["reviews"][0]["comment"] == "位置偏远，请补充照片"


@pytest.mark.parametrize(
    "body",
    [
        {"state": "rejected"},
        {"state": "pending"},
        {"state": "maybe"},
        {},
        {"state": "has_issues", "comment": "  "},
    ],
)
def test_bad_reviews_are_422(client, areas, setting, body):
    response = client.patch(
        f"/api/v1/visits/{setting['visit']}/review",
        json=body,
        headers=headers(areas, "supervisor_county"),
    )
    assert response.status_code == 422


def test_review_of_unknown_visit_is_404(client, areas):
    response = client.patch(
        "/api/v1/visits/999999/review", json={"state": "approved"}, headers=headers(areas, "admin")
    )
    assert response.status_code == 404


# --- standards --------------------------------------------------------------------------


def standard_body(areas, **extra):
    body = {
        "area_id": areas.county.id,
        "programme": "dibao",
        "urban_rural": "urban",
        "monthly_amount": 828,
        "valid_from": "2022-01-01",
    }
    body.update(extra)
    return body


def test_admin_adds_and_lists_standards(client, areas):
    admin = headers(areas, "admin")
    created = client.post("/api/v1/programme-standards", json=standard_body(areas), headers=admin)
    assert created.status_code == 201, created.json
    listed = client.get(
        "/api/v1/programme-standards", query_string={"on": "2022-06-01"}, headers=admin
    )
    assert [s["monthly_amount"] for s in listed.json] == [828]


def test_overlapping_standard_is_refused_until_the_old_one_is_closed(client, areas):
    admin = headers(areas, "admin")
    first = client.post("/api/v1/programme-standards", json=standard_body(areas), headers=admin)
    newer = standard_body(areas, monthly_amount=860, valid_from="2023-01-01")
    assert client.post("/api/v1/programme-standards", json=newer, headers=admin).status_code == 422
    closed = client.patch(
        f"/api/v1/programme-standards/{first.json['id']}",
        json={"valid_to": "2022-12-31"},
        headers=admin,
    )
    assert closed.status_code == 200
    assert client.post("/api/v1/programme-standards", json=newer, headers=admin).status_code == 201


@pytest.mark.parametrize(
    ("who", "method", "expected"),
    [
        ("supervisor_county", "get", 200),
        ("supervisor_county", "post", 403),
        ("worker_a", "get", 403),
        ("rescue", "get", 403),
    ],
)
def test_standards_permissions(client, areas, who, method, expected):
    call = getattr(client, method)
    kwargs = {"json": standard_body(areas)} if method == "post" else {}
    response = call("/api/v1/programme-standards", headers=headers(areas, who), **kwargs)
    assert response.status_code == expected


@pytest.mark.parametrize(
    "change",
    [
        {"monthly_amount": -1},
        {"valid_to": "2021-01-01"},
        {"programme": "x"},
        {"monthly_amount": "NaN"},
        {"urban_rural": None},
    ],
)
def test_bad_standards_are_422(client, areas, change):
    response = client.post(
        "/api/v1/programme-standards",
        json=standard_body(areas, **change),
        headers=headers(areas, "admin"),
    )
    assert response.status_code == 422


# --- what a review does to tasks ----------------------------------------------------------


def _tasks_about(client, areas, visit_id):
    supervisor = factories.headers_for(factories.user("supervisor", areas.county))
    rows = client.get(
        "/api/v1/tasks",
        query_string={"area_id": areas.county.id, "status": ["open", "done"], "page_size": 500},
        headers=supervisor,
    ).json
    return [row for row in rows if row["subject"] == {"kind": "visit", "id": visit_id}]


@pytest.mark.parametrize(
    ("state", "title"),
    [("has_issues", "走访审核有问题：请补充或更正"), ("rejected", "走访被退回：请重新走访")],
)
def test_a_review_with_issues_sends_a_task_to_the_worker(client, areas, setting, state, title):
    response = client.patch(
        f"/api/v1/visits/{setting['visit']}/review",
        json={"state": state, "comment": "照片与住址不符"},
        headers=headers(areas, "supervisor_county"),
    )
    assert response.status_code == 200, response.json
    tasks = _tasks_about(client, areas, setting["visit"])
    [task] = [t for t in tasks if t["kind"] == "review_followup"]
    assert task["title"] == title and task["status"] == "open"
    assert task["assignee_id"] == response.json["worker_id"]
    assert "照片与住址不符" in task["reason"]


def test_an_approval_sends_no_task(client, areas, setting):
    client.patch(
        f"/api/v1/visits/{setting['visit']}/review",
        json={"state": "approved"},
        headers=headers(areas, "supervisor_county"),
    )
    assert [t["kind"] for t in _tasks_about(client, areas, setting["visit"])] == []


def test_reviewing_closes_the_visits_review_task(client, areas, setting):
    from tests.casework.tasks import factories as tf

    review_task = tf.task(areas.village_a1, kind="presence_review")
    review_task.subject_kind, review_task.subject_id = "visit", setting["visit"]
    from api.db import session

    session.flush()
    response = client.patch(
        f"/api/v1/visits/{setting['visit']}/review",
        json={"state": "approved", "comment": "核实无误"},
        headers=headers(areas, "supervisor_county"),
    )
    assert response.status_code == 200
    [task] = [t for t in _tasks_about(client, areas, setting["visit"]) if t["id"] == review_task.id]
    assert task["status"] == "done"
    assert task["outcome_note"] == "审核：通过。核实无误"
