"""Platform answers to hostile input that fuzzing found turning into 500s (issue #8)."""

from sqlalchemy.exc import IntegrityError, OperationalError

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


def _login_whose_flush_fails(raise_as=None):
    """services.login as it fails when its login_attempts row cannot be written."""
    from api.auth.models import LoginAttempt
    from api.db import session

    def login(*_args, **_kwargs):
        session.add(LoginAttempt(username=None, address="127.0.0.1", succeeded=False))
        try:
            session.flush()
        except IntegrityError as exc:
            if raise_as is None:
                raise
            raise raise_as("INSERT INTO login_attempts ...", {}, exc.orig) from exc

    return login


def test_a_login_whose_attempt_cannot_be_stored_answers_its_error_not_500(
    client, areas, monkeypatch
):
    # Login commits even when it answers an error (the failed attempt is kept); when the
    # attempt's own flush failed there is nothing to commit, and the answer stands.
    from api.auth import routes

    monkeypatch.setattr(routes.services, "login", _login_whose_flush_fails())
    response = client.post("/api/v1/auth/login", json={"username": "u", "password": "p"})
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"


def test_a_login_while_the_database_goes_away_answers_503(client, areas, monkeypatch):
    # Seen in the fault run (PostgreSQL stopped): the flush fails with OperationalError.
    from api.auth import routes

    monkeypatch.setattr(routes.services, "login", _login_whose_flush_fails(OperationalError))
    response = client.post("/api/v1/auth/login", json={"username": "u", "password": "p"})
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
