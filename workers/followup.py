"""Follow-up jobs: read what was recorded, run the rules, store the tasks.

Per-record jobs are scheduled through the outbox by the domain that records the thing
(``schedule_job("workers.followup.visit_recorded", *visit_ids)`` in the visits' own
transaction), so they run only once the record is committed, and again after a lost
enqueue or a killed worker (``workers.sweep``). Recurring jobs (``api.jobs.schedule``)
look over the whole register on an interval.

Every job runs as the SYSTEM actor inside ``api.jobs.runner``'s transaction and only
flushes. Each task carries a ``dedup_key`` that is UNIQUE in the database
(``services.create_from_spec``), so running a job twice, or two workers running it at
once, never creates a task twice.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import aliased

from api.casework.leads.models import Lead, realm_of_queue
from api.casework.tasks import rules, services
from api.casework.tasks.models import ACTIVE_STATUSES, Task
from api.common import county_time
from api.db import among, session, utcnow
from workers.app import get_app

if TYPE_CHECKING:
    from sqlalchemy import Row

    from api.visits.models import Visit

log = logging.getLogger(__name__)


def _setting(name: str) -> int:
    # Inside a request, the CLI (demo seed) or the runner there is an app already; only a
    # bare call outside any app falls back to the worker's own.
    app = current_app if has_app_context() else get_app()
    return app.config[name]


# -- per-record jobs ----------------------------------------------------------------------


def visit_facts(visit: Visit | Row[Any], zone: ZoneInfo | None = None) -> rules.VisitFacts:
    """The facts the rules read from a visit (a ``Visit``, or a row of its columns by the
    same names); ``zone``: the county's, when the caller has it already."""
    findings = visit.findings or {}
    return rules.VisitFacts(
        id=visit.id,
        household_id=visit.household_id,
        area_id=visit.area_id,
        worker_id=visit.worker_id,
        visited_on=county_time.local_date(visit.visited_at, zone),
        screening_result=visit.screening_result,
        needs=tuple(visit.needs or ()),
        circumstances=tuple(findings.get("circumstances") or ()),
        presence_flagged=bool(visit.presence_flagged),
        presence_reasons=tuple(str(r) for r in (visit.presence_reasons or ())),
    )


def visit_recorded(*visit_ids: int) -> int:
    """Visits were saved (one, or a phone's sync batch): help to apply, urgent assistance,
    a presence review; and the households' revisit tasks these visits satisfy are closed.
    Returns tasks made."""
    from api.visits.models import Visit

    # Rows of the columns the rules read, not Visit objects: loading whole visits (their
    # geometry, their reviews alongside) cost more than running the rules.
    columns = (
        Visit.id,
        Visit.household_id,
        Visit.area_id,
        Visit.worker_id,
        Visit.visited_at,
        Visit.screening_result,
        Visit.needs,
        Visit.findings,
        Visit.presence_flagged,
        Visit.presence_reasons,
    )
    visits = session.execute(
        select(*columns).where(among(Visit.id, set(visit_ids))).order_by(Visit.id)
    ).all()
    if len(visits) < len(set(visit_ids)):
        log.info("%d of visits %s are gone", len(set(visit_ids)) - len(visits), visit_ids)
    zone = county_time.county_zone()
    all_facts = [visit_facts(visit, zone) for visit in visits]
    flagged_areas = {facts.area_id for facts in all_facts if facts.presence_flagged}
    supervisors = services.supervisors_for(flagged_areas) if flagged_areas else {}
    specs: list[rules.TaskSpec] = []
    for facts in all_facts:
        specs += rules.application_help(facts) + rules.urgent_need(facts)
        if facts.presence_flagged:
            specs += rules.visit_presence_review(facts, supervisors.get(facts.area_id))
    created = services.create_all(specs)
    services.close_satisfied_revisits(
        [(f.household_id, f.visited_on, f.id, f.area_id) for f in all_facts]
    )
    return len(created)


def photo_flagged(photo_id: int) -> int:
    """A photo was checked: if the presence checks flagged it, a supervisor reviews it."""
    from api.photos.models import Photo
    from api.visits.models import Visit

    photo = session.get(Photo, photo_id)
    if photo is None or not photo.flagged:
        return 0
    household_id = None
    if photo.owner_kind == "visit":
        household_id = session.scalar(select(Visit.household_id).where(Visit.id == photo.owner_id))
    moment = photo.reference_time or photo.created_at
    facts = rules.PhotoFacts(
        id=photo.id,
        area_id=photo.area_id,
        flagged=True,
        flags=tuple(_flag_text(f) for f in (photo.flags or ())),
        owner_kind=photo.owner_kind,
        owner_id=photo.owner_id,
        household_id=household_id,
        taken_on=county_time.local_date(moment) if moment else None,
    )
    specs = rules.photo_presence_review(
        facts, services.supervisor_for(photo.area_id), county_time.local_today()
    )
    return len(services.create_all(specs))


def _flag_text(flag: object) -> str:
    if isinstance(flag, dict):
        return str(flag.get("kind") or flag.get("code") or flag)
    return str(flag)


def encounter_recorded(encounter_id: int) -> int:
    """A patrol met someone: a return visit if a vulnerable person refused aid, a
    check-up if they were sent to hospital."""
    from api.rescue.patrols.models import Encounter, Patrol

    encounter = session.get(Encounter, encounter_id)
    if encounter is None:
        return 0
    occurred_on = county_time.local_date(encounter.occurred_at)
    patrol = session.get(Patrol, encounter.patrol_id)
    patrol_days: list[date] = []
    if patrol is not None and patrol.campaign_id is not None:
        # Patrols of the same campaign already planned in the next two days, if any.
        starts = session.scalars(
            select(Patrol.started_at).where(
                Patrol.campaign_id == patrol.campaign_id,
                Patrol.started_at > encounter.occurred_at,
                Patrol.started_at
                <= encounter.occurred_at + timedelta(days=rules.RETURN_VISIT_MAX_DAYS + 1),
            )
        )
        patrol_days = [county_time.local_date(s) for s in starts]
    recorded_by = encounter.created_by_id
    if recorded_by is None and patrol is not None:
        recorded_by = patrol.created_by_id or next(iter(patrol.team_ids), None)
    facts = rules.EncounterFacts(
        id=encounter.id,
        area_id=encounter.area_id,
        occurred_on=occurred_on,
        outcome=encounter.outcome,
        vulnerable=bool(encounter.vulnerable),
        recorded_by_id=recorded_by,
        person_id=encounter.street_person_id,
        patrol_days=tuple(patrol_days),
    )
    return len(services.create_all(rules.encounter_followup(facts)))


def duplicates_flagged(*flag_ids: int) -> int:
    """Duplicate flags naming a household the flagging caller could not see: a review task
    for whoever sees both households (the lowest area containing the two), once per pair
    however often this runs. Returns tasks made."""
    from api.areas.services import common_ancestor
    from api.visits.models import DuplicateFlag, Household

    flags = session.scalars(
        select(DuplicateFlag).where(DuplicateFlag.id.in_(flag_ids)).order_by(DuplicateFlag.id)
    ).all()
    household_ids = {i for f in flags for i in (f.household_id, f.other_household_id)}
    area_of = dict(
        session.execute(
            select(Household.id, Household.area_id).where(Household.id.in_(household_ids))
        ).all()
    )
    facts = []
    for flag in flags:
        if flag.household_id not in area_of or flag.other_household_id not in area_of:
            continue  # a household was deleted since: nothing left to review
        area_id = common_ancestor({area_of[flag.household_id], area_of[flag.other_household_id]})
        if area_id is None:
            continue  # no area contains both: nobody sees both
        facts.append(
            rules.DuplicateFacts(
                flag_id=flag.id,
                household_id=flag.household_id,
                other_household_id=flag.other_household_id,
                reason=flag.reason,
                area_id=area_id,
                flagged_on=county_time.local_date(flag.created_at),
            )
        )
    supervisors = services.supervisors_for({f.area_id for f in facts}) if facts else {}
    specs = [spec for f in facts for spec in rules.duplicate_review(f, supervisors.get(f.area_id))]
    return len(services.create_all(specs))


# -- recurring jobs ------------------------------------------------------------------------


def revisit_cadence() -> int:
    """Monitored households whose next visit falls due get a revisit task."""
    from api.visits.models import Household, HouseholdFocusGroup, Visit

    today = county_time.local_today()
    monitoring = _setting("REVISIT_DAYS_POVERTY_RETURN_MONITORING")
    default = _setting("REVISIT_DAYS_DEFAULT")
    ranked = select(
        Visit.household_id,
        Visit.visited_at,
        Visit.worker_id,
        func.row_number()
        .over(partition_by=Visit.household_id, order_by=(Visit.visited_at.desc(), Visit.id.desc()))
        .label("n"),
    ).subquery()
    last = (
        select(ranked.c.household_id, ranked.c.visited_at, ranked.c.worker_id)
        .where(ranked.c.n == 1)
        .subquery()
    )
    groups: dict[int, list[str]] = {}
    for household_id, group in session.execute(
        select(HouseholdFocusGroup.household_id, HouseholdFocusGroup.focus_group)
    ):
        groups.setdefault(household_id, []).append(group)
    if not groups:
        return 0
    rows = session.execute(
        select(
            Household.id,
            Household.area_id,
            Household.created_at,
            last.c.visited_at,
            last.c.worker_id,
        )
        .outerjoin(last, last.c.household_id == Household.id)
        .where(Household.id.in_(list(groups)))
        .order_by(Household.id)
    ).all()
    workers_by_area: dict[int, list[tuple[int, int]]] = {}
    active_user: dict[int, bool] = {}
    created = 0
    for household_id, area_id, registered_at, last_at, last_worker in rows:
        facts = rules.HouseholdFacts(
            id=household_id,
            area_id=area_id,
            focus_groups=tuple(groups[household_id]),
            registered_on=county_time.local_date(registered_at),
            last_visit_on=county_time.local_date(last_at) if last_at else None,
            last_visitor_id=last_worker,
        )
        if last_worker is not None and last_worker not in active_user:
            active_user[last_worker] = services.is_active_user(last_worker)
        last_active = last_worker is not None and active_user[last_worker]
        if not last_active and area_id not in workers_by_area:
            workers_by_area[area_id] = services.town_workers(area_id)
        specs = rules.revisit_due(
            facts,
            today,
            monitoring,
            default,
            town_workers=workers_by_area.get(area_id, ()),
            last_visitor_active=last_active,
        )
        made = services.create_all(specs)
        for spec in made:
            # Keep the spread even within one run.
            candidates = workers_by_area.get(area_id)
            if candidates and spec.assignee_id is not None:
                workers_by_area[area_id] = [
                    (uid, n + 1 if uid == spec.assignee_id else n) for uid, n in candidates
                ]
        created += len(made)
    return created


def long_stay_without_case() -> int:
    """Residents past the long-stay threshold with no open tracing case: open the case
    (idempotent, DB-constrained in the tracing domain) and give the centre a task."""
    from api.casework.tracing.services import ensure_open_case, long_stay_residents

    today = county_time.local_today()
    created = 0
    for stay in long_stay_residents(today, _setting("LONG_STAY_DAYS")):
        if stay.open_case_id is not None:
            continue
        case, _opened = ensure_open_case(stay.resident_id)
        facts = rules.ResidentFacts(
            id=stay.resident_id, area_id=stay.resident.area_id, admitted_on=stay.admitted_on
        )
        staff = rules.pick_worker(services.centre_staff(facts.area_id))
        created += len(services.create_all(rules.long_stay_tracing(facts, case.id, today, staff)))
    return created


def stale_tracing_cases() -> int:
    """Tracing cases with no action for ``TRACING_STALE_DAYS``: a review task."""
    from api.casework.tracing.services import stale_cases

    today = county_time.local_today()
    days = _setting("TRACING_STALE_DAYS")
    created = 0
    for case in stale_cases(today, days):
        facts = rules.TracingCaseFacts(
            id=case.id,
            area_id=case.area_id,
            last_action_on=case.last_activity_on,
            resident_id=case.resident_id,
            assignee_id=services.supervisor_for(case.area_id),
        )
        created += len(services.create_all(rules.stale_tracing_case(facts, today, days)))
    return created


def escalate_overdue() -> int:
    """Tasks past due by more than ``ESCALATE_AFTER_DAYS``: one escalation task each, for
    the assignee's supervisor."""
    from api.auth.models import User

    today = county_time.local_today()
    after = _setting("ESCALATE_AFTER_DAYS")
    escalated = aliased(Task)
    overdue = session.scalars(
        select(Task)
        .where(
            Task.status.in_(ACTIVE_STATUSES),
            Task.kind != "escalation",
            Task.due_on < today - timedelta(days=after),
            ~exists().where(and_(escalated.parent_id == Task.id, escalated.kind == "escalation")),
        )
        .order_by(Task.id)
    ).all()
    created = 0
    for task in overdue:
        area_id = task.area_id
        if task.assignee_id is not None:
            area_id = (
                session.scalar(
                    select(User.area_id)
                    .where(User.id == task.assignee_id)
                    .execution_options(skip_scope=True)
                )
                or area_id
            )
        supervisor = services.supervisor_for(area_id, exclude=task.assignee_id)
        facts = _task_facts(task)
        created += len(services.create_all(rules.escalation(facts, supervisor, today, after)))
    return created


def _task_facts(task: Task) -> rules.TaskFacts:
    return rules.TaskFacts(
        id=task.id,
        kind=task.kind,
        title=task.title,
        area_id=task.area_id,
        due_on=task.due_on,
        status=task.status,
        assignee_id=task.assignee_id,
        realm=task.realm,
        household_id=task.household_id,
    )


# -- help requests (api.casework.leads) ------------------------------------------------------


def _lead_facts(lead: Any) -> rules.LeadFacts:
    return rules.LeadFacts(
        id=lead.id,
        area_id=lead.area_id,
        queue=lead.queue,
        realm=realm_of_queue(lead.queue),
        urgency=lead.urgency,
        channel=lead.channel,
        respond_by_on=county_time.local_date(lead.respond_by),
        household_id=lead.household_id,
    )


def lead_received(lead_id: int) -> int:
    """A help request was received: a follow-up task to contact the person, for the town's
    least-loaded worker (the rescue centre's staff for a person on the street, the
    county's supervisor for the county's queue). The lead is then ``assigned``."""
    lead = session.get(Lead, lead_id)
    # Gone, handled already, or closed before the job ran (nothing left to follow up).
    if lead is None or lead.task_id is not None or lead.status == "closed":
        return 0
    if lead.queue == "rescue_centre":
        assignee = rules.pick_worker(services.centre_staff(lead.area_id))
    elif lead.queue == "county":
        assignee = services.supervisor_for(lead.area_id)
    else:
        assignee = rules.pick_worker(services.town_workers(lead.area_id))
    specs = rules.help_request_followup(_lead_facts(lead), assignee)
    created = services.create_all(specs)
    task = session.scalar(select(Task).where(Task.dedup_key == specs[0].dedup_key))
    lead.task_id = task.id if task is not None else None
    if task is not None and task.assignee_id is not None and lead.status == "received":
        lead.status = "assigned"
        lead.assigned_at = task.created_at
    session.flush()
    return len(created)


def help_requests_breached() -> int:
    """Help requests with no first contact by their respond-by time: their follow-up task
    escalates to the supervisor, once (the key is the overdue escalation's)."""
    escalated = aliased(Task)
    rows = session.execute(
        select(Lead, Task)
        .join(Task, Task.id == Lead.task_id)
        .where(
            Lead.status != "closed",
            Lead.first_contact_at.is_(None),
            Lead.respond_by <= utcnow(),
            ~exists().where(and_(escalated.parent_id == Task.id, escalated.kind == "escalation")),
        )
        .order_by(Lead.id)
    ).all()
    today = county_time.local_today()
    created = 0
    for lead, task in rows:
        facts = _task_facts(task)
        supervisor = services.supervisor_for(task.area_id, exclude=task.assignee_id)
        specs = rules.help_request_breach(_lead_facts(lead), facts, supervisor, today)
        created += len(services.create_all(specs))
    return created


# -- data matching (api.matching) ------------------------------------------------------------


def warnings_raised(*warning_ids: int) -> int:
    """Warnings on register households (a department's list): a visit task for the
    household's town worker (a review task for its supervisor), each once however often
    this runs; the warning keeps its task. Returns tasks made."""
    from api.matching.models import EarlyWarning, Source

    rows = session.execute(
        select(EarlyWarning, Source.name)
        .join(Source, Source.id == EarlyWarning.source_id)
        .where(EarlyWarning.id.in_(warning_ids), EarlyWarning.household_id.is_not(None))
        .order_by(EarlyWarning.id)
    ).all()
    created = 0
    for warning, source_name in rows:
        if warning.action == "review":
            assignee = services.supervisor_for(warning.area_id)
        else:
            assignee = rules.pick_worker(services.town_workers(warning.area_id))
        facts = rules.WarningFacts(
            id=warning.id,
            area_id=warning.area_id,
            household_id=warning.household_id,
            level=warning.level,
            action=warning.action,
            reason=warning.reason,
            source_name=source_name,
            due_on=warning.due_on,
        )
        specs = rules.matching_warning(facts, assignee)
        created += len(services.create_all(specs))
        warning.task_id = session.scalar(
            select(Task.id).where(Task.dedup_key == specs[0].dedup_key)
        )
    session.flush()
    return created
