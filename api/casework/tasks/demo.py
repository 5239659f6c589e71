"""Demo tasks: the follow-up rules run over the demo records the other seeders made.

Nothing here writes a task by hand: each per-record job runs over every demo visit,
flagged photo and encounter, then the recurring rules (revisit cadence, long stays,
stale tracing cases, overdue escalation) run once. The demo records lie in the past, so
some tasks are overdue and some of those escalate. Runs as SYSTEM inside the seed's
transaction and only flushes; the outbox jobs the other seeders scheduled find the same
dedup keys later and add nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from api.db import session
from api.jobs.runner import resolve


def seed(context: dict[str, Any]) -> None:
    from api.photos.models import Photo
    from api.rescue.patrols.models import Encounter
    from api.visits.models import Visit

    def followup(name: str) -> Callable[..., int]:
        # The job functions, by name as the outbox names them (workers imports the API).
        return resolve(f"workers.followup.{name}")

    made = 0
    for visit_id in session.scalars(select(Visit.id).order_by(Visit.visited_at, Visit.id)):
        made += followup("visit_recorded")(visit_id)
    for photo_id in session.scalars(select(Photo.id).where(Photo.flagged.is_(True))):
        made += followup("photo_flagged")(photo_id)
    for encounter_id in session.scalars(select(Encounter.id).order_by(Encounter.id)):
        made += followup("encounter_recorded")(encounter_id)
    for name in (
        "revisit_cadence",
        "long_stay_without_case",
        "stale_tracing_cases",
        "escalate_overdue",
    ):
        made += followup(name)()
    session.flush()
    context["tasks_created"] = made
