"""Seeds a live-test database (run in a child process by tests/live.py).

Migrates DATABASE_URL to all heads, then, as SYSTEM, makes the miniature county of
``tests.factories.area_tree`` and prints one JSON line describing it:

- ``tokens`` by ``<role>@<where>``: every role in town A (``@a``), in village A1 (``@a1``)
  and in town B (``@b``), and the roles that exist at county level (``@county``: admin,
  supervisor, rescue staff; outreach workers work in towns and villages);
- ``records``: the same set of records in town A and in town B, ``{kind: {"a": {"id",
  "area"}, "b": {...}}}`` (``area`` is a key of ``areas``; a tracing lead also names its
  ``case``). Besides the domain records this holds the DERIVED ones, which must inherit
  their parent's walls: tasks about a household, a visit, an encounter, a resident and a
  tracing case, escalations of a household task and of a resident task, photos of a visit,
  an encounter, a resident and an open day, a duplicate flag naming the other town's
  household, and the jobs the records scheduled (failed ones, in the outbox and in RQ's
  registry, when LIVE_SEED_FAILED_JOBS=1: ``live_server(failed_jobs=True)``). Tasks are
  assigned to the role that must NOT see them (a
  resident's task to an outreach worker, a household's to rescue staff), so a wall that
  goes by assignee shows;
- ``made`` (town B's ids by kind) for the older black-box tests.

A record that cannot be made stops the seeding with the factory's error: the cross-area
matrix must not run with a kind missing.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis import Redis
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry
from shapely.geometry import Point
from sqlalchemy import func, select, text, update

from api import create_app
from api.areas.scope import SYSTEM, set_actor
from api.auth.services import actor_for
from api.casework.tasks.models import Task, TaskHistory
from api.casework.tracing import services as tracing_services
from api.common.county_time import local_today
from api.common.fields import to_db_geometry
from api.db import session
from api.jobs.models import OutboxJob
from api.matching.models import EarlyWarning, ListRow, ListUpload, Source
from api.migrate import upgrade
from api.photos import storage
from api.photos.models import Photo
from api.visits import services as visit_services
from api.visits.models import DuplicateFlag, Household
from tests import factories
from tests.casework.leads import factories as lead_factories
from tests.casework.tasks import factories as task_factories
from tests.casework.tracing import factories as tracing_factories
from tests.live import TINY_JPEG
from tests.rescue.centre import factories as centre_factories
from tests.rescue.patrols import factories as patrol_factories
from tests.visits import factories as visit_factories

ROLES = ("admin", "supervisor", "outreach_worker", "rescue_staff")
COUNTY_ROLES = ("admin", "supervisor", "rescue_staff")
# The ID number of a person registered in both towns.
SHARED_ID = visit_factories.valid_id_number("440229198001011230")
VILLAGE_POINT = {"a": (114.10, 24.35), "b": (114.19, 24.21)}
AREA_KEYS = ("county", "town_a", "town_b", "village_a1", "village_a2", "village_b1", "village_b2")
_AREA_IDS: dict[int, str] = {}


def _area_key(area_id: int) -> str:
    return _AREA_IDS[area_id]


def _photo(owner_kind: str, owner_id: int, area_id: int) -> Photo:
    """A cleaned photo with its files on disk, as the cleaning job leaves it."""
    digest = storage.write("originals", TINY_JPEG)
    row = Photo(
        owner_kind=owner_kind,
        owner_id=owner_id,
        area_id=area_id,
        client_uuid=f"seed-{owner_kind}-{owner_id}",
        content_hash="p" * 64,
        media_type="image/jpeg",
        original_bytes=1000,
        original_sha256=digest,
        cleaned_sha256=storage.write("cleaned", TINY_JPEG),
        thumbnail_sha256=storage.write("thumbnails", TINY_JPEG),
        status="ready",
        flags=[],
    )
    session.add(row)
    session.flush()
    return row


def _task(
    area_id: int,
    assignee: Any,
    kind: str,
    rule: str,
    subject: tuple[str, int] | None,
    realm: str,
    household_id: int | None = None,
    parent_id: int | None = None,
) -> Task:
    """A task row as a rule leaves it, assigned as given (even to a role that may not read
    it: rows from before the walls, or a path that forgot them). ``realm`` (who reads it:
    its subject's side of the role wall, ``households`` or ``rescue``) is stored where the
    tasks table has the column (issue 12's task walls add it)."""
    subject_kind, subject_id = subject or (None, None)
    row = Task(
        kind=kind,
        rule=rule,
        title=f"seeded {kind} about {subject_kind}",
        area_id=area_id,
        assignee_id=assignee.id,
        due_on=local_today(),
        subject_kind=subject_kind,
        subject_id=subject_id,
        source_kind=subject_kind,
        source_id=subject_id,
        household_id=household_id,
        parent_id=parent_id,
        details={},
        realm=realm,
    )
    session.add(row)
    session.flush()
    session.add(TaskHistory(task_id=row.id, action="created"))
    session.flush()
    return row


def seed_town(town: str, tree: Any, users: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every kind of record in town ``town`` ("a" or "b"); {kind: {"id", "area"}}."""
    town_area, village = getattr(tree, f"town_{town}"), getattr(tree, f"village_{town}1")
    worker, rescue = users[f"outreach_worker@{town}"], users[f"rescue_staff@{town}"]
    at_town, at_village = f"town_{town}", f"village_{town}1"
    out: dict[str, dict[str, Any]] = {}

    def put(kind: str, row: Any, area: str, **extra: Any) -> Any:
        out[kind] = {"id": row.id, "area": area, **extra}
        return row

    set_actor(None, SYSTEM)
    first_job = session.scalar(select(func.coalesce(func.max(OutboxJob.id), 0)))
    put("area", town_area, at_town)
    put("user", factories.user("outreach_worker", village), at_village)
    put("team_candidate", rescue, at_town)  # the town's rescue staff (users[...@town])

    # Outreach: a household, its visit and photo, tasks about them, a duplicate flag.
    household = put("household", visit_factories.household(village), at_village)
    visit = put("visit", task_factories.visit(household, worker), at_village)
    # Placed inside its village (tests.factories.area_tree's boxes): the map layer shows it.
    visit.location = to_db_geometry(Point(*VILLAGE_POINT[town]))
    put("photo_visit", _photo("visit", visit.id, village.id), at_village)
    household_task = put(
        "task_household",
        _task(
            village.id,
            rescue,
            "revisit",
            "revisit",
            ("household", household.id),
            "households",
            household.id,
        ),
        at_village,
    )
    put(
        "task_visit",
        _task(
            village.id,
            rescue,
            "presence_review",
            "presence",
            ("visit", visit.id),
            "households",
            household.id,
        ),
        at_village,
    )
    put(
        "task_escalation_household",
        _task(village.id, rescue, "escalation", "escalation", ("task", household_task.id),
              "households", household.id, parent_id=household_task.id),
        at_village,
    )  # fmt: skip
    put("task_other", _task(village.id, worker, "other", "manual", None, "households"), at_village)
    put("programme_standard", visit_factories.standard(town_area, 600.0), at_town)
    # The same person on both towns' rolls: flag_twins() flags the pair once both exist.
    put(
        "household_shared",
        visit_factories.household(village, head_id_number=SHARED_ID),
        at_village,
        id_number=SHARED_ID,
    )
    # Patrols: a campaign, a patrol, a street person, an encounter, its photo and task.
    campaign = put("campaign", patrol_factories.campaign(town_area), at_town)
    patrol = put("patrol", patrol_factories.patrol(town_area, campaign=campaign), at_town)
    person = put("street_person", patrol_factories.street_person(town_area), at_town)
    encounter = put(
        "encounter",
        patrol_factories.encounter(patrol, location=(114.2, 24.2), person=person),
        at_town,
    )
    put("photo_encounter", _photo("encounter", encounter.id, town_area.id), at_town)
    put(
        "task_encounter",
        _task(
            town_area.id, worker, "return_visit", "encounter", ("encounter", encounter.id), "rescue"
        ),
        at_town,
    )

    # Rescue centre: a resident admitted with the town's area, tracing, open day.
    # Admitted a month ago: a long stay past a threshold of a few days.
    admitted = datetime.now(UTC) - timedelta(days=30)
    resident = put("resident", centre_factories.resident(town_area, admitted), at_town)
    put("photo_resident", _photo("resident", resident.id, town_area.id), at_town)
    resident_task = put(
        "task_resident",
        _task(town_area.id, worker, "other", "manual", ("resident", resident.id), "rescue"),
        at_town,
    )
    put(
        "task_escalation_resident",
        _task(town_area.id, worker, "escalation", "escalation", ("task", resident_task.id),
              "rescue", parent_id=resident_task.id),
        at_town,
    )  # fmt: skip
    case = put("tracing_case", tracing_factories.case(resident), at_town)
    put(
        "task_tracing",
        _task(
            town_area.id, worker, "tracing_review", "tracing", ("tracing_case", case.id), "rescue"
        ),
        at_town,
    )
    put(
        "tracing_lead",
        tracing_services.add_lead(case, {"description": "seeded lead", "place": "某地"}),
        at_town,
        case=case.id,
    )
    # A help request reported in the village: routed to the town's queue, with its task.
    put("help_request", lead_factories.lead(village), at_town)
    _seed_matching(town, put, household, village, town_area)
    event = put("open_day_event", centre_factories.open_day_event(town_area), at_town)
    put("photo_open_day", _photo("open_day_event", event.id, town_area.id), at_town)
    session.flush()

    # The jobs the records above scheduled (an encounter's follow-up...): fail_jobs() may
    # make them failed jobs.
    jobs = list(session.scalars(select(OutboxJob.id).where(OutboxJob.id > first_job)))
    if not jobs:
        raise RuntimeError(f"town {town}: seeding scheduled no job")
    out["job"] = {"id": jobs[0], "area": at_town, "all": jobs}
    return out


def _seed_matching(town: str, put: Any, household: Any, village: Any, town_area: Any) -> None:
    """Data matching: a source (at the village: sources serve the areas below theirs too,
    and no caller sits below a village), a list of the town, a row waiting for review with
    the household's member as its candidate, and a warning about the household."""
    source = Source(
        code=f"seed_{town}",
        name="种子来源",
        department="县医疗保障局",
        kind="medical_bills",
        area_id=village.id,
        columns={"name": "姓名"},
        attributes=[],
        rules=[],
    )
    session.add(source)
    session.flush()
    put("matching_source", source, f"village_{town}1")
    upload = ListUpload(
        source_id=source.id,
        area_id=town_area.id,
        filename="seed.csv",
        file_format="csv",
        encoding="utf-8",
        file_sha256=f"{town}" * 64,
        size_bytes=10,
        status="done",
    )
    session.add(upload)
    session.flush()
    put("matching_list", upload, f"town_{town}")
    member = household.members[0]
    row = ListRow(
        list_id=upload.id,
        area_id=town_area.id,
        row_no=1,
        raw={"姓名": member.name},
        name=member.name,
        content_hash="0" * 64,
        status="review",
        method="id_repaired",
        member_id=member.id,
        household_id=household.id,
        reasons=["seeded"],
    )
    session.add(row)
    session.flush()
    put("matching_row", row, f"town_{town}")
    warning = EarlyWarning(
        list_id=upload.id,
        row_id=row.id,
        source_id=source.id,
        area_id=village.id,
        rule_code="seed",
        level="red",
        action="visit",
        reason="种子预警",
        subject_name=member.name,
        household_id=household.id,
        member_id=member.id,
        due_on=local_today(),
    )
    session.add(warning)
    session.flush()
    put("matching_warning", warning, f"village_{town}1")


def flag_twins(records: dict[str, dict[str, dict[str, Any]]], users: dict[str, Any]) -> None:
    """Run the duplicate check on each town's shared household as its own outreach worker
    (the check looks past the caller's town on purpose), once both towns hold one; the
    flags it makes are the ``duplicate_flag`` records."""
    for town in ("a", "b"):
        set_actor(None, actor_for(users[f"outreach_worker@{town}"]))
        shared = records[town]["household_shared"]
        visit_services.flag_duplicates(session.get(Household, shared["id"]))
        set_actor(None, SYSTEM)
        flag = session.scalar(
            select(DuplicateFlag)
            .where(DuplicateFlag.household_id == shared["id"])
            .order_by(DuplicateFlag.id)
        )
        if flag is None:
            raise RuntimeError(f"town {town}: the shared ID number raised no duplicate flag")
        records[town]["duplicate_flag"] = {"id": flag.id, "area": _area_key(flag.area_id)}


def fail_jobs(app: Any, records: dict[str, dict[str, dict[str, Any]]]) -> None:
    """Make each town's seeded jobs failed ones: in the outbox (``failed_job``, for
    ``/jobs/failed``) and in RQ's failed registry as if their retries had run out
    (``rq_failed_job``, by RQ job id, for ``/jobs/rq-failed``). Only on request: a failed
    job never finishes, and the tests that run a worker wait for every job to finish."""
    queue = Queue(app.config["RQ_QUEUE"], connection=Redis.from_url(app.config["REDIS_URL"]))
    registry = FailedJobRegistry(queue=queue)
    for made in records.values():
        outbox_ids, area = made["job"]["all"], made["job"]["area"]
        session.execute(
            update(OutboxJob)
            .where(OutboxJob.id.in_(outbox_ids))
            .values(attempts=1, last_error="seeded failure")
        )
        job_ids = [f"outbox-{queue.name}-{outbox_id}" for outbox_id in outbox_ids]
        for job in Job.fetch_many(job_ids, connection=queue.connection):
            if job is None:
                raise RuntimeError("a seeded job never reached the RQ queue")
            queue.remove(job)
            registry.add(job, ttl=3600, exc_string="RuntimeError: seeded failure")
        made["failed_job"] = {"id": outbox_ids[0], "area": area, "all": outbox_ids}
        made["rq_failed_job"] = {"id": job_ids[0], "area": area, "all": job_ids}
    session.commit()


def main() -> None:
    app = create_app({"TESTING": True})
    engine = app.extensions["doudi.engine"]
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    with engine.begin() as conn:
        upgrade(conn)
    with app.app_context():
        set_actor(None, SYSTEM)
        tree = factories.area_tree()
        _AREA_IDS.update({getattr(tree, key).id: key for key in AREA_KEYS})
        users = {f"{role}@county": factories.user(role, tree.county) for role in COUNTY_ROLES}
        for key, area in (("a", tree.town_a), ("a1", tree.village_a1), ("b", tree.town_b)):
            for role in ROLES:
                users[f"{role}@{key}"] = factories.user(role, area)
        session.commit()
        records = {town: seed_town(town, tree, users) for town in ("a", "b")}
        flag_twins(records, users)
        session.commit()  # pushes the seeded jobs to this run's RQ queue
        if os.environ.get("LIVE_SEED_FAILED_JOBS") == "1":
            fail_jobs(app, records)
        tokens = {key: factories.token_for(user, f"live-{key}") for key, user in users.items()}
        session.commit()
        areas = {key: getattr(tree, key).id for key in AREA_KEYS}
        paths = {key: getattr(tree, key).path for key in areas}
        user_ids = {key: user.id for key, user in users.items()}
        by_kind: dict[str, dict[str, Any]] = {}
        for town, made in records.items():
            for kind, record in made.items():
                by_kind.setdefault(kind, {})[town] = record
    engine.dispose()
    print(
        json.dumps(
            {
                "tokens": tokens,
                "users": user_ids,
                "areas": areas,
                "paths": paths,
                "records": by_kind,
                "made": {kind: record["id"] for kind, record in records["b"].items()},
                "database": os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1],
            }
        )
    )


if __name__ == "__main__":
    main()
