"""Jurisdiction is applied by the session itself, so no query can forget it."""

from sqlalchemy import select

from api.areas.models import Area
from api.areas.scope import SYSTEM, Actor, set_actor
from api.auth.models import User
from tests import factories


def _actor_for(user, area):
    return Actor(user_id=user.id, role=user.role, area_id=area.id, area_path=area.path)


def test_scoped_select_sees_only_the_subtree(db, areas):
    inside = factories.user("outreach_worker", areas.village_a1)
    outside = factories.user("outreach_worker", areas.village_b1)
    set_actor(None, _actor_for(inside, areas.town_a))
    ids = set(db.scalars(select(User.id)).all())
    assert inside.id in ids and outside.id not in ids


def test_session_get_respects_scope(db, areas):
    outside = factories.user("outreach_worker", areas.village_b1)
    outside_id = outside.id
    db.expunge_all()
    worker = db.get(User, outside_id)
    assert worker is not None
    db.expunge_all()
    set_actor(
        None,
        Actor(
            user_id=None,
            role="outreach_worker",
            area_id=areas.town_a.id,
            area_path=areas.town_a.path,
        ),
    )
    assert db.get(User, outside_id) is None


def test_no_actor_sees_nothing(db, areas):
    factories.user("outreach_worker", areas.village_a1)
    db.info.pop("actor")
    assert db.scalars(select(User)).all() == []
    assert db.scalars(select(Area)).all() == []


def test_system_sees_everything(db, areas):
    set_actor(None, SYSTEM)
    codes = set(db.scalars(select(Area.code)).all())
    assert {areas.town_a.code, areas.town_b.code} <= codes


def test_joins_and_subqueries_are_scoped_too(db, areas):
    factories.user("outreach_worker", areas.village_b1)
    set_actor(
        None,
        Actor(
            user_id=None, role="supervisor", area_id=areas.town_a.id, area_path=areas.town_a.path
        ),
    )
    rows = db.execute(select(User.username, Area.name).join(Area, User.area_id == Area.id)).all()
    assert all(name != "乙一村" for _, name in rows)
