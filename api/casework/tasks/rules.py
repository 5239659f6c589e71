"""The rules that turn what was recorded into follow-up tasks.

Each rule is a plain function over plain values (the ``*Facts`` dataclasses below, dates,
numbers) that returns task specs; it reads no database and knows no HTTP, so it is tested
on its own. The job functions in ``workers.followup`` gather the facts, run the rules and
store the specs (``services.create_all``), where the spec's ``dedup_key`` (rule +
subject + occurrence) is UNIQUE in the database: running a rule twice over the same facts
yields the same keys, so it creates nothing the second time. The rules about a
household's need (``models.ONE_OPEN_PER_HOUSEHOLD_RULES``) ask for a task per visit, but a
visit whose household has one open already is noted on it instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from api.auth.realms import HOUSEHOLDS, RECORD_REALMS, RESCUE, SUPERVISION
from api.common.labels import VOCABULARIES
from api.common.labels import label as chinese

# Screening results that call for help with an application (or, with the household's
# consent, a transfer straight into the marginal / expenditure-type recognition process).
APPLICATION_SCREENINGS = {
    "likely_dibao": ("低保", "dibao"),
    "likely_marginal": ("低保边缘家庭认定", "marginal"),
    "likely_expenditure_hardship": ("支出型困难家庭认定", "expenditure_hardship"),
}
APPLICATION_DUE_DAYS = 7
# Needs or circumstances that mean the household cannot wait for an application.
URGENT_MARKERS = ("temporary_assistance", "serious_illness", "no_food", "unsafe_housing")
URGENT_DUE_DAYS = 2
PRESENCE_REVIEW_DUE_DAYS = 3
REVIEW_FOLLOWUP_DUE_DAYS = 7
# Focus groups whose households are revisited on a cadence; poverty-return monitoring
# has a cadence of its own (settings), the others share the default.
MONITORING_GROUP = "poverty_return_monitoring"
# A revisit task appears this many days before the revisit falls due.
REVISIT_LEAD_DAYS = 7
RETURN_VISIT_MAX_DAYS = 2
CHECKUP_DUE_DAYS = 3
TRACING_START_DUE_DAYS = 7
TRACING_REVIEW_DUE_DAYS = 7
ESCALATION_DUE_DAYS = 2
DUPLICATE_REVIEW_DUE_DAYS = 7
HELP_REQUEST_QUEUE_LABELS = {"town": "镇", "county": "县", "rescue_centre": "救助站"}


@dataclass(frozen=True)
class TaskSpec:
    """A task a rule asks for; ``dedup_key`` makes storing it idempotent. ``realm``: who
    reads it (``api.auth.realms``), the realm of its subject; a rule that names none makes
    a task only supervisors and admins read (fail closed)."""

    kind: str
    rule: str
    dedup_key: str
    title: str
    reason: str
    area_id: int
    due_on: date
    priority: str = "normal"
    assignee_id: int | None = None
    household_id: int | None = None
    subject_kind: str | None = None
    subject_id: int | None = None
    source_kind: str | None = None
    source_id: int | None = None
    parent_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    realm: str = SUPERVISION


@dataclass(frozen=True)
class VisitFacts:
    id: int
    household_id: int
    area_id: int
    worker_id: int | None
    visited_on: date
    screening_result: str | None = None
    needs: Sequence[str] = ()
    circumstances: Sequence[str] = ()
    presence_flagged: bool = False
    presence_reasons: Sequence[str] = ()


@dataclass(frozen=True)
class PhotoFacts:
    id: int
    area_id: int
    flagged: bool
    flags: Sequence[str] = ()
    owner_kind: str = "visit"
    owner_id: int | None = None
    household_id: int | None = None
    taken_on: date | None = None


@dataclass(frozen=True)
class HouseholdFacts:
    id: int
    area_id: int
    focus_groups: Sequence[str]
    registered_on: date
    last_visit_on: date | None = None
    last_visitor_id: int | None = None


@dataclass(frozen=True)
class EncounterFacts:
    id: int
    area_id: int
    occurred_on: date
    outcome: str
    vulnerable: bool
    recorded_by_id: int | None = None
    person_id: int | None = None
    # Days on which patrols are planned, if the campaign knows them.
    patrol_days: Sequence[date] = ()


@dataclass(frozen=True)
class ResidentFacts:
    id: int
    area_id: int
    admitted_on: date
    name: str | None = None


@dataclass(frozen=True)
class TracingCaseFacts:
    id: int
    area_id: int
    last_action_on: date
    resident_id: int | None = None
    assignee_id: int | None = None


@dataclass(frozen=True)
class DuplicateFacts:
    """A duplicate flag whose other household the flagging caller could not see."""

    flag_id: int
    household_id: int
    other_household_id: int
    reason: str
    # The lowest area containing both households: whoever works there sees both.
    area_id: int
    flagged_on: date


@dataclass(frozen=True)
class LeadFacts:
    id: int
    area_id: int
    queue: str
    # The side of the role wall its queue lies on (api.casework.leads.models.realm_of_queue).
    realm: str
    urgency: str
    channel: str | None
    respond_by_on: date
    household_id: int | None = None


@dataclass(frozen=True)
class WarningFacts:
    """A data-matching warning (api.matching) on a register household."""

    id: int
    area_id: int
    household_id: int
    level: str  # red, orange, yellow
    action: str  # visit, review
    reason: str
    source_name: str
    due_on: date


@dataclass(frozen=True)
class TaskFacts:
    id: int
    kind: str
    title: str
    area_id: int
    due_on: date
    status: str
    assignee_id: int | None
    realm: str
    household_id: int | None = None


# -- visits ------------------------------------------------------------------------------


def application_help(visit: VisitFacts) -> list[TaskSpec]:
    """A visit screened likely eligible: help the household apply, due in 7 days (one
    open task per household: a later visit is noted on it, ``services.create_all``)."""
    programme = APPLICATION_SCREENINGS.get(visit.screening_result or "")
    if programme is None:
        return []
    label, code = programme
    title = "协助申请低保" if code == "dibao" else f"协助申请{label}（或经同意转入认定）"
    return [
        TaskSpec(
            kind="assist_application",
            rule="visit_screening",
            dedup_key=f"visit_screening:visit:{visit.id}",
            title=title,
            reason=(
                f"走访 #{visit.id}（{visit.visited_on.isoformat()}）筛查结果："
                f"{chinese('screening_result', visit.screening_result)}。这是跟进的建议，不是认定。"
            ),
            area_id=visit.area_id,
            due_on=visit.visited_on + timedelta(days=APPLICATION_DUE_DAYS),
            assignee_id=visit.worker_id,
            household_id=visit.household_id,
            subject_kind="household",
            subject_id=visit.household_id,
            source_kind="visit",
            source_id=visit.id,
            # Every visit the task stands for: later ones are noted on it while it is open.
            details={
                "screening_result": visit.screening_result,
                "programme": code,
                "visit_ids": [visit.id],
            },
            realm=HOUSEHOLDS,
        )
    ]


def _focus_group_label(code: str) -> str:
    return chinese("focus_group", code)


def _need_label(code: str) -> str:
    """A marker of urgent need as a need or a circumstance (its label where it has one)."""
    return VOCABULARIES["need"].get(code) or VOCABULARIES["circumstance"].get(code) or code


def urgent_need(visit: VisitFacts) -> list[TaskSpec]:
    """A visit recording urgent need: temporary assistance, due in 2 days, high priority
    (one open task per household, as ``application_help``)."""
    found = [m for m in URGENT_MARKERS if m in visit.needs or m in visit.circumstances]
    if not found:
        return []
    return [
        TaskSpec(
            kind="temporary_assistance",
            rule="urgent_need",
            dedup_key=f"urgent_need:visit:{visit.id}",
            title="临时救助",
            reason=f"走访 #{visit.id}（{visit.visited_on.isoformat()}）记录："
            + "、".join(_need_label(m) for m in found)
            + "。",
            area_id=visit.area_id,
            due_on=visit.visited_on + timedelta(days=URGENT_DUE_DAYS),
            priority="high",
            assignee_id=visit.worker_id,
            household_id=visit.household_id,
            subject_kind="household",
            subject_id=visit.household_id,
            source_kind="visit",
            source_id=visit.id,
            details={"markers": found, "visit_ids": [visit.id]},
            realm=HOUSEHOLDS,
        )
    ]


def visit_presence_review(visit: VisitFacts, supervisor_id: int | None) -> list[TaskSpec]:
    """A visit flagged by the presence checks: a review task for the supervisor."""
    if not visit.presence_flagged:
        return []
    return [
        TaskSpec(
            kind="presence_review",
            rule="presence_check",
            dedup_key=f"presence_check:visit:{visit.id}",
            title="核查走访真实性",
            reason=f"走访 #{visit.id} 位置核验异常："
            + (
                "、".join(chinese("presence_reason", r) for r in visit.presence_reasons)
                or "位置核验"
            )
            + "。",
            area_id=visit.area_id,
            due_on=visit.visited_on + timedelta(days=PRESENCE_REVIEW_DUE_DAYS),
            assignee_id=supervisor_id,
            household_id=visit.household_id,
            subject_kind="visit",
            subject_id=visit.id,
            source_kind="visit",
            source_id=visit.id,
            details={"reasons": list(visit.presence_reasons)},
            realm=HOUSEHOLDS,
        )
    ]


REVIEW_FOLLOWUP_TITLES = {
    "has_issues": "走访审核有问题：请补充或更正",
    "rejected": "走访被退回：请重新走访",
}


def review_followup(
    visit: VisitFacts, review_id: int, state: str, comment: str | None, today: date
) -> list[TaskSpec]:
    """A supervisor found issues with a visit or sent it back: a task for its worker
    (one per review, so a second judgement of the same visit is a second task)."""
    if state not in REVIEW_FOLLOWUP_TITLES or visit.worker_id is None:
        return []
    return [
        TaskSpec(
            kind="review_followup",
            rule="visit_review",
            dedup_key=f"visit_review:review:{review_id}",
            title=REVIEW_FOLLOWUP_TITLES[state],
            reason=f"走访 #{visit.id}（{visit.visited_on.isoformat()}）审核意见：{comment or '无'}",
            area_id=visit.area_id,
            due_on=today + timedelta(days=REVIEW_FOLLOWUP_DUE_DAYS),
            priority="high" if state == "rejected" else "normal",
            assignee_id=visit.worker_id,
            household_id=visit.household_id,
            subject_kind="visit",
            subject_id=visit.id,
            source_kind="review",
            source_id=review_id,
            details={"review_state": state},
            realm=HOUSEHOLDS,
        )
    ]


def photo_presence_review(
    photo: PhotoFacts, supervisor_id: int | None, today: date
) -> list[TaskSpec]:
    """A photo flagged by the presence checks: a review task for the supervisor."""
    if not photo.flagged:
        return []
    start = photo.taken_on or today
    return [
        TaskSpec(
            kind="presence_review",
            rule="photo_check",
            dedup_key=f"photo_check:photo:{photo.id}",
            title="核查照片",
            reason=f"照片 #{photo.id}（{photo.owner_kind} #{photo.owner_id}）核验异常："
            + ("、".join(photo.flags) or "位置核验")
            + "。",
            area_id=photo.area_id,
            due_on=start + timedelta(days=PRESENCE_REVIEW_DUE_DAYS),
            assignee_id=supervisor_id,
            household_id=photo.household_id,
            subject_kind="photo",
            subject_id=photo.id,
            source_kind="photo",
            source_id=photo.id,
            details={"flags": list(photo.flags), "owner": [photo.owner_kind, photo.owner_id]},
            realm=RECORD_REALMS.get(photo.owner_kind, SUPERVISION),
        )
    ]


# -- revisit cadence ----------------------------------------------------------------------


def cadence_days(
    focus_groups: Iterable[str], monitoring_days: int, default_days: int
) -> int | None:
    """Days between visits for a household in these focus groups; None: no cadence."""
    groups = set(focus_groups)
    if not groups:
        return None
    return monitoring_days if MONITORING_GROUP in groups else default_days


def next_revisit_on(household: HouseholdFacts, cadence: int) -> date:
    """When the household is next due: a cadence after its last visit, or at once."""
    if household.last_visit_on is None:
        return household.registered_on
    return household.last_visit_on + timedelta(days=cadence)


def pick_worker(candidates: Sequence[tuple[int, int]]) -> int | None:
    """The town worker with the fewest active tasks (ties: the lowest id).

    ``candidates`` are ``(user_id, active_task_count)``.
    """
    if not candidates:
        return None
    return min(candidates, key=lambda c: (c[1], c[0]))[0]


def revisit_due(
    household: HouseholdFacts,
    today: date,
    monitoring_days: int,
    default_days: int,
    town_workers: Sequence[tuple[int, int]] = (),
    last_visitor_active: bool = True,
) -> list[TaskSpec]:
    """A revisit task when a monitored household's next visit falls due (a week ahead).

    Assigned to the worker who last visited, else the town's least-loaded worker. The
    occurrence in the key is the due date, so each cadence period gets one task.
    """
    cadence = cadence_days(household.focus_groups, monitoring_days, default_days)
    if cadence is None:
        return []
    due = next_revisit_on(household, cadence)
    if due - timedelta(days=REVISIT_LEAD_DAYS) > today:
        return []
    assignee = household.last_visitor_id if last_visitor_active else None
    if assignee is None:
        assignee = pick_worker(town_workers)
    last = household.last_visit_on.isoformat() if household.last_visit_on else None
    return [
        TaskSpec(
            kind="revisit",
            rule="revisit",
            dedup_key=f"revisit:household:{household.id}:{due.isoformat()}",
            title="定期回访",
            reason=(
                f"重点人群：{'、'.join(map(_focus_group_label, sorted(household.focus_groups)))}，"
                f"每 {cadence} 天走访一次；最近走访：{last or '从未'}。"
            ),
            area_id=household.area_id,
            due_on=due,
            assignee_id=assignee,
            household_id=household.id,
            subject_kind="household",
            subject_id=household.id,
            source_kind="household",
            source_id=household.id,
            details={"last_visit_on": last, "cadence_days": cadence},
            realm=HOUSEHOLDS,
        )
    ]


def revisit_satisfied(task_details: dict[str, Any], visited_on: date) -> bool:
    """Whether a visit on ``visited_on`` is the revisit a revisit task asked for."""
    last = task_details.get("last_visit_on")
    return last is None or visited_on > date.fromisoformat(last)


# -- patrol encounters --------------------------------------------------------------------


def next_patrol_day(occurred_on: date, patrol_days: Sequence[date]) -> date:
    """The next planned patrol day after the encounter, within 2 days; else the next day."""
    limit = occurred_on + timedelta(days=RETURN_VISIT_MAX_DAYS)
    upcoming = sorted(d for d in patrol_days if occurred_on < d <= limit)
    return upcoming[0] if upcoming else occurred_on + timedelta(days=1)


def encounter_followup(encounter: EncounterFacts) -> list[TaskSpec]:
    """Refused aid while vulnerable: a return visit on the next patrol day (within 2 days);
    sent to hospital: a check-up within 3 days."""
    common = {
        "area_id": encounter.area_id,
        "assignee_id": encounter.recorded_by_id,
        "subject_kind": "encounter",
        "subject_id": encounter.id,
        "source_kind": "encounter",
        "source_id": encounter.id,
        "details": {"outcome": encounter.outcome, "person_id": encounter.person_id},
        "realm": RESCUE,
    }
    if encounter.outcome == "refused_aid" and encounter.vulnerable:
        return [
            TaskSpec(
                kind="return_visit",
                rule="encounter_refused",
                dedup_key=f"encounter_refused:encounter:{encounter.id}",
                title="再次探访",
                reason=f"巡查遇见 #{encounter.id}（{encounter.occurred_on.isoformat()}）："
                "困难人员拒绝救助。",
                due_on=next_patrol_day(encounter.occurred_on, encounter.patrol_days),
                priority="high",
                **common,
            )
        ]
    if encounter.outcome == "sent_to_hospital":
        return [
            TaskSpec(
                kind="hospital_checkup",
                rule="encounter_hospital",
                dedup_key=f"encounter_hospital:encounter:{encounter.id}",
                title="医院回访",
                reason=f"巡查遇见 #{encounter.id}（{encounter.occurred_on.isoformat()}）：已送医。",
                due_on=encounter.occurred_on + timedelta(days=CHECKUP_DUE_DAYS),
                **common,
            )
        ]
    return []


# -- rescue centre and tracing -------------------------------------------------------------


def long_stay_tracing(
    resident: ResidentFacts, case_id: int, today: date, staff_id: int | None = None
) -> list[TaskSpec]:
    """A long-stay resident whose tracing case was just opened: a task for the centre
    (``staff_id``: the centre's least-loaded staff member)."""
    return [
        TaskSpec(
            kind="tracing_start",
            rule="long_stay",
            dedup_key=f"long_stay:resident:{resident.id}:{resident.admitted_on.isoformat()}",
            title="大爱寻亲",
            reason=(
                f"受助人员 #{resident.id}（{resident.admitted_on.isoformat()} 入站）滞留超期，"
                f"尚无寻亲个案，已建个案 #{case_id}。"
            ),
            area_id=resident.area_id,
            due_on=today + timedelta(days=TRACING_START_DUE_DAYS),
            assignee_id=staff_id,
            subject_kind="tracing_case",
            subject_id=case_id,
            source_kind="resident",
            source_id=resident.id,
            details={"resident_id": resident.id, "case_id": case_id},
            realm=RESCUE,
        )
    ]


def stale_tracing_case(case: TracingCaseFacts, today: date, stale_days: int) -> list[TaskSpec]:
    """A tracing case with no action logged for ``stale_days``: a review task."""
    if (today - case.last_action_on).days < stale_days:
        return []
    return [
        TaskSpec(
            kind="tracing_review",
            rule="tracing_stale",
            dedup_key=f"tracing_stale:tracing_case:{case.id}:{case.last_action_on.isoformat()}",
            title="寻亲个案复核",
            reason=(
                f"寻亲个案 #{case.id} 自 {case.last_action_on.isoformat()} 起"
                f"无工作记录（{stale_days} 天以上）。"
            ),
            area_id=case.area_id,
            due_on=today + timedelta(days=TRACING_REVIEW_DUE_DAYS),
            assignee_id=case.assignee_id,
            subject_kind="tracing_case",
            subject_id=case.id,
            source_kind="tracing_case",
            source_id=case.id,
            details={"last_action_on": case.last_action_on.isoformat()},
            realm=RESCUE,
        )
    ]


# -- data-matching warnings ----------------------------------------------------------------


def matching_warning(warning: WarningFacts, assignee_id: int | None) -> list[TaskSpec]:
    """A department's list warned about a register household: a home visit by the
    warning's due day (red 3 days, orange 7, yellow 15), or — for a death in a household
    receiving a programme — a supervisor's review of the programme, not a visit."""
    level = chinese("warning_level", warning.level)
    review = warning.action == "review"
    return [
        TaskSpec(
            kind="warning_review" if review else "warning_visit",
            rule="matching_warning",
            dedup_key=f"matching_warning:warning:{warning.id}",
            title=f"{level}："
            + ("复核救助" if review else "入户核查")
            + f"（{warning.source_name}）",
            reason=f"Warning #{warning.id} from {warning.source_name}: {warning.reason}",
            area_id=warning.area_id,
            due_on=warning.due_on,
            priority="high" if warning.level == "red" else "normal",
            assignee_id=assignee_id,
            household_id=warning.household_id,
            subject_kind="household",
            subject_id=warning.household_id,
            source_kind="warning",
            source_id=warning.id,
            details={"level": warning.level, "action": warning.action},
            realm=HOUSEHOLDS,
        )
    ]


# -- help requests (leads) -----------------------------------------------------------------


def help_request_followup(lead: LeadFacts, assignee_id: int | None) -> list[TaskSpec]:
    """A help request was received: contact the person by its respond-by day (urgent: 24
    hours, normal: 5 days), high priority when urgent."""
    urgent = lead.urgency == "urgent"
    return [
        TaskSpec(
            kind="help_request",
            rule="help_request",
            # Per routed area: a request the county re-routes to a town gets the town's task.
            dedup_key=f"help_request:lead:{lead.id}:area:{lead.area_id}",
            title=("急难求助" if urgent else "求助") + f" #{lead.id}：联系求助人",
            reason=(
                f"求助 #{lead.id}（{chinese('help_channel', lead.channel) or '线索'}，"
                f"{'紧急' if urgent else '一般'}）在{HELP_REQUEST_QUEUE_LABELS[lead.queue]}队列："
                f"须于 {lead.respond_by_on.isoformat()} 前首次联系。"
            ),
            area_id=lead.area_id,
            due_on=lead.respond_by_on,
            priority="high" if urgent else "normal",
            assignee_id=assignee_id,
            household_id=lead.household_id,
            subject_kind="lead",
            subject_id=lead.id,
            source_kind="lead",
            source_id=lead.id,
            details={"queue": lead.queue, "urgency": lead.urgency, "channel": lead.channel},
            realm=lead.realm,
        )
    ]


def help_request_breach(
    lead: LeadFacts, task: TaskFacts, supervisor_id: int | None, today: date
) -> list[TaskSpec]:
    """A help request not contacted by its respond-by time: the follow-up task escalates
    to the supervisor, once. The key is the general escalation's, so the overdue-task
    escalation never adds a second one for the same task."""
    if task.kind == "escalation":
        return []
    return [
        _escalation_of(
            task,
            supervisor_id,
            rule="help_request_breach",
            title=f"求助超时未联系：#{lead.id}",
            reason=f"求助 #{lead.id}（{'紧急' if lead.urgency == 'urgent' else '一般'}）"
            f"超时未首次联系（任务 #{task.id}，{task.due_on.isoformat()} 到期）。",
            due_on=today + timedelta(days=1),
            source=("lead", lead.id),
            details={"lead_id": lead.id},
        )
    ]


# -- escalation ----------------------------------------------------------------------------


def is_overdue(due_on: date, status: str, today: date) -> bool:
    return status in ("open", "in_progress") and due_on < today


def escalation(
    task: TaskFacts, supervisor_id: int | None, today: date, after_days: int
) -> list[TaskSpec]:
    """An active task past due by more than ``after_days``: one escalation task for the
    assignee's supervisor. Escalations themselves do not escalate again."""
    if task.kind == "escalation" or task.status not in ("open", "in_progress"):
        return []
    days_late = (today - task.due_on).days
    if days_late <= after_days:
        return []
    return [
        _escalation_of(
            task,
            supervisor_id,
            rule="escalation",
            title=f"逾期督办：{task.title}",
            reason=f"任务 #{task.id}（{chinese('task_kind', task.kind)}）"
            f"{task.due_on.isoformat()} 到期，已逾期 {days_late} 天。",
            due_on=today + timedelta(days=ESCALATION_DUE_DAYS),
            source=("task", task.id),
            details={"days_late": days_late},
        )
    ]


def _escalation_of(
    task: TaskFacts,
    supervisor_id: int | None,
    *,
    rule: str,
    title: str,
    reason: str,
    due_on: date,
    source: tuple[str, int],
    details: dict[str, Any],
) -> TaskSpec:
    """The one escalation of ``task``: its key is the task's, whatever rule raised it, so a
    task escalates once in all."""
    return TaskSpec(
        kind="escalation",
        rule=rule,
        dedup_key=f"escalation:task:{task.id}",
        title=title[:200],
        reason=reason,
        area_id=task.area_id,
        due_on=due_on,
        priority="high",
        assignee_id=supervisor_id,
        household_id=task.household_id,
        subject_kind="task",
        subject_id=task.id,
        source_kind=source[0],
        source_id=source[1],
        parent_id=task.id,
        details={"overdue_assignee_id": task.assignee_id, **details},
        # An escalation is read by whoever reads the task it escalates.
        realm=task.realm,
    )


# -- duplicates across areas ----------------------------------------------------------------


def duplicate_review(duplicate: DuplicateFacts, supervisor_id: int | None) -> list[TaskSpec]:
    """Two households that look like one, in areas the flagging caller could not both see:
    a review task in the lowest area containing both, for its nearest supervisor. One per
    pair of households, whichever of the two was flagged against the other."""
    low, high = sorted((duplicate.household_id, duplicate.other_household_id))
    return [
        TaskSpec(
            kind="duplicate_review",
            rule="duplicate_across_areas",
            dedup_key=f"duplicate_review:households:{low}:{high}",
            title="核查跨区域疑似重复登记",
            reason=(
                f"户 #{duplicate.household_id} 与户 #{duplicate.other_household_id} "
                f"疑似同一户（{duplicate.reason}）；登记前者的走访员看不到后者。"
            ),
            area_id=duplicate.area_id,
            due_on=duplicate.flagged_on + timedelta(days=DUPLICATE_REVIEW_DUE_DAYS),
            assignee_id=supervisor_id,
            household_id=duplicate.household_id,
            subject_kind="household",
            subject_id=duplicate.household_id,
            source_kind="duplicate_flag",
            source_id=duplicate.flag_id,
            details={"households": [low, high], "reason": duplicate.reason},
            # It names a household the flagging worker may not see: supervisors resolve it.
            realm=SUPERVISION,
        )
    ]
