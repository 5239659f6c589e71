"""Seeds a live-test database (run in a child process by tests/live.py).

Migrates DATABASE_URL to all heads, then, as SYSTEM, makes the miniature county of
``tests.factories.area_tree`` with one user of every role in each town (and an admin for
the county), and in town B one record of every kind the domains' own test factories know
how to make. A kind whose factory is missing or fails is skipped and named in
``skipped``: the cross-area matrix then has nothing to try for it. Prints one JSON line:
tokens by ``<role>@<town>``, and what was made.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from api import create_app
from api.areas.scope import SYSTEM, set_actor
from api.db import session
from api.migrate import upgrade
from tests import factories

ROLES = ("admin", "supervisor", "outreach_worker", "rescue_staff")


def main() -> None:
    app = create_app({"TESTING": True})
    engine = app.extensions["doudi.engine"]
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    with engine.begin() as conn:
        upgrade(conn)
    made: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    with app.app_context():
        set_actor(None, SYSTEM)
        tree = factories.area_tree()
        users = {"admin@county": factories.user("admin", tree.county)}
        for town_key, town in (("a", tree.town_a), ("b", tree.town_b)):
            for role in ROLES:
                users[f"{role}@{town_key}"] = factories.user(role, town)
        session.commit()

        def make(kind: str, build: Callable[[], Any]) -> Any:
            set_actor(None, SYSTEM)
            try:
                with session.begin_nested():
                    row = build()
                    session.flush()
                made[kind] = row.id
                return row
            except Exception as exc:  # a factory that changed: skip the kind, say why
                skipped[kind] = f"{type(exc).__name__}: {exc}"[:300]
                traceback.print_exc(file=sys.stderr)
                return None

        worker_b = users["outreach_worker@b"]
        village = tree.village_b1
        from tests.casework.tasks import factories as task_factories

        household = make("household", lambda: task_factories.household(village, ("unemployed",)))
        visit = None
        if household is not None:
            visit = make("visit", lambda: task_factories.visit(household, worker_b))
        if visit is not None:
            make("photo", lambda: task_factories.photo(visit))
        make("task", lambda: task_factories.task(village, worker_b))
        resident = make("resident", lambda: task_factories.resident(tree.town_b, 10))
        if resident is not None:
            from tests.casework.tracing import factories as tracing_factories

            make("tracing_case", lambda: tracing_factories.case(resident))
        from tests.rescue.patrols import factories as patrol_factories

        campaign = make("campaign", lambda: patrol_factories.campaign(tree.town_b))
        patrol = make("patrol", lambda: patrol_factories.patrol(tree.town_b, campaign=campaign))
        person = make("street_person", lambda: patrol_factories.street_person(tree.town_b))
        if patrol is not None:
            make(
                "encounter",
                lambda: patrol_factories.encounter(patrol, location=(114.2, 24.2), person=person),
            )
        from tests.rescue.centre import factories as centre_factories

        make("open_day_event", lambda: centre_factories.open_day_event(tree.town_b))
        from tests.visits import factories as visit_factories

        make("programme_standard", lambda: visit_factories.standard(tree.town_b, 600.0))
        session.commit()
        tokens = {key: factories.token_for(user, f"live-{key}") for key, user in users.items()}
        session.commit()
        areas = {
            "county": tree.county.id,
            "town_a": tree.town_a.id,
            "town_b": tree.town_b.id,
            "village_b1": tree.village_b1.id,
        }
        user_ids = {key: user.id for key, user in users.items()}
    engine.dispose()
    print(
        json.dumps(
            {
                "tokens": tokens,
                "users": user_ids,
                "areas": areas,
                "made": made,
                "skipped": skipped,
                "database": os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1],
            }
        )
    )


if __name__ == "__main__":
    main()
