"""The follow-up rules as plain functions: facts in, task specs out (no database, no HTTP)."""

from datetime import date, timedelta

import pytest

from api.casework.tasks import rules

DAY = date(2026, 3, 14)


def visit(**overrides):
    values = {
        "id": 7,
        "household_id": 42,
        "area_id": 3,
        "worker_id": 11,
        "visited_on": DAY,
    }
    values.update(overrides)
    return rules.VisitFacts(**values)


@pytest.mark.parametrize(
    "screening", ["likely_dibao", "likely_marginal", "likely_expenditure_hardship"]
)
def test_screened_likely_eligible_gets_help_to_apply_in_7_days(screening):
    [spec] = rules.application_help(visit(screening_result=screening))
    assert spec.kind == "assist_application"
    assert spec.due_on == DAY + timedelta(days=7)
    assert spec.assignee_id == 11 and spec.household_id == 42 and spec.area_id == 3
    assert spec.source_kind == "visit" and spec.source_id == 7
    assert spec.details["screening_result"] == screening


@pytest.mark.parametrize("screening", ["none", None])
def test_screened_not_eligible_gets_no_application_task(screening):
    assert rules.application_help(visit(screening_result=screening)) == []


def test_marginal_screening_offers_transfer_into_recognition():
    [spec] = rules.application_help(visit(screening_result="likely_marginal"))
    assert "转入认定" in spec.title


@pytest.mark.parametrize(
    ("needs", "circumstances"),
    [
        (["temporary_assistance"], []),
        ([], ["serious_illness"]),
        (["no_food"], []),
        ([], ["unsafe_housing"]),
    ],
)
def test_urgent_need_gets_high_priority_assistance_in_2_days(needs, circumstances):
    [spec] = rules.urgent_need(visit(needs=needs, circumstances=circumstances))
    assert spec.kind == "temporary_assistance"
    assert spec.priority == "high"
    assert spec.due_on == DAY + timedelta(days=2)


def test_ordinary_needs_are_not_urgent():
    assert rules.urgent_need(visit(needs=["medical"], circumstances=["unemployed"])) == []


def test_presence_flagged_visit_goes_to_the_supervisor():
    [spec] = rules.visit_presence_review(
        visit(presence_flagged=True, presence_reasons=["far_from_household"]), supervisor_id=5
    )
    assert spec.kind == "presence_review" and spec.assignee_id == 5
    assert spec.subject_kind == "visit" and spec.subject_id == 7
    assert "距离住址过远" in spec.reason  # the reason in Chinese, not the code


def test_unflagged_visit_needs_no_review():
    assert rules.visit_presence_review(visit(), supervisor_id=5) == []


def test_flagged_photo_goes_to_the_supervisor():
    photo = rules.PhotoFacts(id=9, area_id=3, flagged=True, flags=["exif_far"], owner_id=7)
    [spec] = rules.photo_presence_review(photo, supervisor_id=5, today=DAY)
    assert spec.kind == "presence_review" and spec.subject_kind == "photo"
    assert spec.dedup_key == "photo_check:photo:9"


def test_unflagged_photo_needs_no_review():
    photo = rules.PhotoFacts(id=9, area_id=3, flagged=False)
    assert rules.photo_presence_review(photo, supervisor_id=5, today=DAY) == []


def test_same_facts_give_the_same_dedup_keys():
    facts = visit(screening_result="likely_dibao", needs=["temporary_assistance"])
    first = [s.dedup_key for s in rules.application_help(facts) + rules.urgent_need(facts)]
    again = [s.dedup_key for s in rules.application_help(facts) + rules.urgent_need(facts)]
    assert first == again and len(set(first)) == 2


# -- revisit cadence ----------------------------------------------------------------------


def household(**overrides):
    values = {
        "id": 42,
        "area_id": 3,
        "focus_groups": ("poverty_return_monitoring",),
        "registered_on": date(2025, 1, 1),
        "last_visit_on": DAY,
        "last_visitor_id": 11,
    }
    values.update(overrides)
    return rules.HouseholdFacts(**values)


def test_monitored_household_is_due_a_month_after_its_last_visit():
    today = DAY + timedelta(days=30)
    [spec] = rules.revisit_due(household(), today, monitoring_days=30, default_days=90)
    assert spec.kind == "revisit" and spec.due_on == DAY + timedelta(days=30)
    assert spec.assignee_id == 11
    assert spec.dedup_key == f"revisit:household:42:{(DAY + timedelta(days=30)).isoformat()}"


def test_revisit_task_appears_a_week_ahead_not_earlier():
    due = DAY + timedelta(days=30)
    assert rules.revisit_due(household(), due - timedelta(days=8), 30, 90) == []
    assert len(rules.revisit_due(household(), due - timedelta(days=7), 30, 90)) == 1


def test_other_focus_groups_are_revisited_quarterly():
    facts = household(focus_groups=("unemployed",))
    assert rules.revisit_due(facts, DAY + timedelta(days=30), 30, 90) == []
    [spec] = rules.revisit_due(facts, DAY + timedelta(days=90), 30, 90)
    assert spec.due_on == DAY + timedelta(days=90)


def test_household_outside_focus_groups_has_no_cadence():
    facts = household(focus_groups=())
    assert rules.revisit_due(facts, DAY + timedelta(days=400), 30, 90) == []


def test_never_visited_household_is_due_from_registration_with_a_stable_key():
    facts = household(last_visit_on=None, last_visitor_id=None)
    first = rules.revisit_due(facts, DAY, 30, 90, town_workers=[(21, 3), (22, 1)])
    later = rules.revisit_due(facts, DAY + timedelta(days=5), 30, 90, town_workers=[(21, 0)])
    assert first[0].dedup_key == later[0].dedup_key
    assert first[0].due_on == date(2025, 1, 1)


def test_revisit_without_an_active_last_visitor_goes_to_the_least_loaded_town_worker():
    [spec] = rules.revisit_due(
        household(),
        DAY + timedelta(days=30),
        30,
        90,
        town_workers=[(21, 3), (22, 1), (23, 1)],
        last_visitor_active=False,
    )
    assert spec.assignee_id == 22


def test_a_later_visit_satisfies_a_revisit_an_older_one_does_not():
    details = {"last_visit_on": DAY.isoformat()}
    assert rules.revisit_satisfied(details, DAY + timedelta(days=1))
    assert not rules.revisit_satisfied(details, DAY)
    assert rules.revisit_satisfied({"last_visit_on": None}, DAY)


# -- encounters ------------------------------------------------------------------------------


def encounter(**overrides):
    values = {
        "id": 5,
        "area_id": 3,
        "occurred_on": DAY,
        "outcome": "refused_aid",
        "vulnerable": True,
        "recorded_by_id": 11,
    }
    values.update(overrides)
    return rules.EncounterFacts(**values)


def test_vulnerable_person_refusing_aid_gets_a_return_visit_next_day():
    [spec] = rules.encounter_followup(encounter())
    assert spec.kind == "return_visit" and spec.due_on == DAY + timedelta(days=1)
    assert spec.priority == "high" and spec.assignee_id == 11


def test_return_visit_on_the_next_planned_patrol_day_within_two_days():
    planned = (DAY + timedelta(days=2), DAY + timedelta(days=5))
    [spec] = rules.encounter_followup(encounter(patrol_days=planned))
    assert spec.due_on == DAY + timedelta(days=2)


def test_patrol_days_beyond_two_days_do_not_delay_the_return_visit():
    [spec] = rules.encounter_followup(encounter(patrol_days=(DAY + timedelta(days=4),)))
    assert spec.due_on == DAY + timedelta(days=1)


def test_refusal_by_someone_not_vulnerable_needs_no_return_visit():
    assert rules.encounter_followup(encounter(vulnerable=False)) == []


def test_sent_to_hospital_gets_a_checkup_within_3_days():
    [spec] = rules.encounter_followup(encounter(outcome="sent_to_hospital", vulnerable=False))
    assert spec.kind == "hospital_checkup" and spec.due_on == DAY + timedelta(days=3)


def test_accepted_aid_needs_nothing_more():
    assert rules.encounter_followup(encounter(outcome="accepted_aid")) == []


# -- rescue centre and tracing -------------------------------------------------------------


def test_long_stay_resident_gets_a_tracing_task_for_the_opened_case():
    resident = rules.ResidentFacts(id=8, area_id=1, admitted_on=date(2025, 10, 1))
    [spec] = rules.long_stay_tracing(resident, case_id=33, today=DAY)
    assert spec.kind == "tracing_start" and spec.subject_id == 33
    assert spec.dedup_key == "long_stay:resident:8:2025-10-01"


def test_tracing_case_silent_for_30_days_gets_a_review():
    case = rules.TracingCaseFacts(id=33, area_id=1, last_action_on=DAY - timedelta(days=30))
    [spec] = rules.stale_tracing_case(case, DAY, stale_days=30)
    assert spec.kind == "tracing_review"


def test_tracing_case_with_recent_action_is_not_stale():
    case = rules.TracingCaseFacts(id=33, area_id=1, last_action_on=DAY - timedelta(days=29))
    assert rules.stale_tracing_case(case, DAY, stale_days=30) == []


def test_a_new_silence_after_an_action_is_a_new_review():
    old = rules.TracingCaseFacts(id=33, area_id=1, last_action_on=date(2026, 1, 1))
    new = rules.TracingCaseFacts(id=33, area_id=1, last_action_on=date(2026, 2, 1))
    first = rules.stale_tracing_case(old, DAY, 30)[0].dedup_key
    second = rules.stale_tracing_case(new, DAY, 30)[0].dedup_key
    assert first != second


# -- escalation ----------------------------------------------------------------------------


def task(**overrides):
    values = {
        "id": 70,
        "kind": "revisit",
        "title": "Revisit",
        "area_id": 3,
        "due_on": DAY,
        "status": "open",
        "assignee_id": 11,
        "realm": "households",
    }
    values.update(overrides)
    return rules.TaskFacts(**values)


def test_task_past_due_beyond_the_grace_escalates_to_the_supervisor():
    [spec] = rules.escalation(task(), supervisor_id=5, today=DAY + timedelta(days=4), after_days=3)
    assert spec.kind == "escalation" and spec.assignee_id == 5 and spec.parent_id == 70
    assert spec.dedup_key == "escalation:task:70"


def test_task_within_the_grace_does_not_escalate():
    assert rules.escalation(task(), 5, DAY + timedelta(days=3), after_days=3) == []


@pytest.mark.parametrize("status", ["done", "cancelled"])
def test_closed_task_does_not_escalate(status):
    assert rules.escalation(task(status=status), 5, DAY + timedelta(days=30), 3) == []


def test_escalations_do_not_escalate_again():
    assert rules.escalation(task(kind="escalation"), 5, DAY + timedelta(days=30), 3) == []


def test_escalation_key_is_per_task_whatever_the_day():
    later = rules.escalation(task(), 5, DAY + timedelta(days=40), 3)[0].dedup_key
    sooner = rules.escalation(task(), 5, DAY + timedelta(days=5), 3)[0].dedup_key
    assert later == sooner
