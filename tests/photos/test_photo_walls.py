"""A photo is read by whoever reads its owner: an outreach worker never gets an
encounter's, a resident's or an open day's photo, rescue staff never a visit's, by id or in
a list; a hidden photo answers exactly like a missing id."""

import pytest

from api.areas.scope import SYSTEM, Actor, set_actor
from api.photos.services import photos_of
from tests import factories
from tests.casework.tasks import factories as tf

HOMES = {
    "outreach_worker": "town_a",
    "rescue_staff": "county",
    "supervisor": "county",
    "admin": "county",
}
READERS = {
    "visit": {"outreach_worker", "supervisor", "admin"},
    "encounter": {"rescue_staff", "supervisor", "admin"},
    "resident": {"rescue_staff", "supervisor", "admin"},
    "open_day_event": {"rescue_staff", "supervisor", "admin"},
}
CASES = [(kind, role) for kind in READERS for role in HOMES]


def get(client, user, path):
    return client.get(path, headers=factories.headers_for(user))


def problem(response):
    return {key: value for key, value in response.json.items() if key != "request_id"}


@pytest.mark.parametrize(("owner_kind", "role"), CASES)
def test_a_photo_by_id_follows_its_owners_readers(client, areas, owner_kind, role):
    picture = tf.owned_photo(owner_kind, 1, areas.village_a1.id)
    caller = factories.user(role, getattr(areas, HOMES[role]))
    expected = 200 if role in READERS[owner_kind] else 404
    assert get(client, caller, f"/api/v1/photos/{picture.id}/metadata").status_code == expected


@pytest.mark.parametrize("suffix", ["", "/thumbnail", "/metadata"])
@pytest.mark.parametrize(
    ("owner_kind", "role"),
    [("encounter", "outreach_worker"), ("resident", "outreach_worker"), ("visit", "rescue_staff")],
)
def test_a_hidden_photo_answers_like_a_missing_one(client, areas, owner_kind, role, suffix):
    picture = tf.owned_photo(owner_kind, 1, areas.village_a1.id)
    caller = factories.user(role, getattr(areas, HOMES[role]))
    hidden = get(client, caller, f"/api/v1/photos/{picture.id}{suffix}")
    missing = get(client, caller, f"/api/v1/photos/99999999{suffix}")
    assert hidden.status_code == missing.status_code == 404
    assert problem(hidden) == problem(missing)


@pytest.mark.parametrize(("owner_kind", "role"), CASES)
def test_a_list_of_an_owners_photos_follows_its_readers(db, areas, owner_kind, role):
    picture = tf.owned_photo(owner_kind, 7, areas.village_a1.id)
    caller = factories.user(role, getattr(areas, HOMES[role]))
    home = getattr(areas, HOMES[role])
    set_actor(None, Actor(caller.id, role, home.id, home.path))
    try:
        listed = [photo.id for photo in photos_of(owner_kind, 7)]
    finally:
        set_actor(None, SYSTEM)
    assert listed == ([picture.id] if role in READERS[owner_kind] else [])
