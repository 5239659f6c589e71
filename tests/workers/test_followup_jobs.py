"""Each follow-up job on hand-made records, through the outbox and a real RQ worker where
the record's own domain would schedule it, and run twice to show it creates nothing more.
"""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from api.casework.tasks.models import Task
from api.common.county_time import local_today
from api.jobs.services import schedule_job
from tests import factories
from tests.casework.tasks import factories as tf
from workers import followup
from workers.app import use_app


@pytest.fixture(autouse=True)
def _jobs_app(app, db):
    use_app(app)


def tasks_for(db, **where):
    stmt = select(Task).order_by(Task.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(Task, key) == value)
    return list(db.scalars(stmt))


def commit_and_run(db, run_jobs):
    db.commit()  # the request's commit (a savepoint here): the outbox dispatches after it
    run_jobs()


def test_visit_screened_likely_dibao_gets_an_application_task(db, areas, run_jobs):
    worker = factories.user("outreach_worker", areas.town_a)
    household = tf.household(areas.village_a1)
    visit = tf.visit(household, worker, visited_at=tf.at(1), screening_result="likely_dibao")
    schedule_job("workers.followup.visit_recorded", visit.id)
    commit_and_run(db, run_jobs)
    [task] = tasks_for(db, source_kind="visit", source_id=visit.id)
    assert task.kind == "assist_application" and task.assignee_id == worker.id
    assert task.household_id == household.id and task.area_id == areas.village_a1.id
    assert task.history[0].action == "created"


def test_visit_with_urgent_need_gets_high_priority_temporary_assistance(db, areas, run_jobs):
    household = tf.household(areas.village_a1)
    visit = tf.visit(household, circumstances=("serious_illness",), needs=("medical",))
    schedule_job("workers.followup.visit_recorded", visit.id)
    commit_and_run(db, run_jobs)
    [task] = tasks_for(db, source_kind="visit", source_id=visit.id)
    assert task.kind == "temporary_assistance" and task.priority == "high"
    assert (task.due_on - visit.visited_at.date()).days in (1, 2, 3)  # 2 county days


def test_presence_flagged_visit_gets_a_review_for_the_nearest_supervisor(db, areas, run_jobs):
    factories.user("supervisor", areas.county)
    town_supervisor = factories.user("supervisor", areas.town_a)
    visit = tf.visit(tf.household(areas.village_a1), presence_flagged=True)
    schedule_job("workers.followup.visit_recorded", visit.id)
    commit_and_run(db, run_jobs)
    [task] = tasks_for(db, source_kind="visit", source_id=visit.id)
    assert task.kind == "presence_review" and task.assignee_id == town_supervisor.id


def test_presence_reviews_of_one_batch_go_to_each_areas_nearest_supervisor(db, areas):
    county_supervisor = factories.user("supervisor", areas.county)
    town_supervisor = factories.user("supervisor", areas.town_a)
    factories.user("supervisor", areas.town_a, active=False)
    in_town_a = tf.visit(tf.household(areas.village_a1), presence_flagged=True)
    in_town_b = tf.visit(tf.household(areas.village_b1), presence_flagged=True)
    assert followup.visit_recorded(in_town_a.id, in_town_b.id) == 2
    assert [t.assignee_id for t in tasks_for(db, kind="presence_review")] == [
        town_supervisor.id,
        county_supervisor.id,
    ]


def test_presence_review_with_no_supervisor_above_is_unassigned(db, areas):
    factories.user("supervisor", areas.town_b)
    visit = tf.visit(tf.household(areas.village_a1), presence_flagged=True)
    assert followup.visit_recorded(visit.id) == 1
    [task] = tasks_for(db, source_kind="visit", source_id=visit.id)
    assert task.kind == "presence_review" and task.assignee_id is None


def test_plain_visit_makes_no_task(db, areas):
    visit = tf.visit(tf.household(areas.village_a1), screening_result="none")
    assert followup.visit_recorded(visit.id) == 0
    assert tasks_for(db, source_kind="visit", source_id=visit.id) == []


def test_visit_job_run_twice_creates_each_task_once(db, areas):
    visit = tf.visit(
        tf.household(areas.village_a1),
        screening_result="likely_marginal",
        needs=("temporary_assistance",),
    )
    assert followup.visit_recorded(visit.id) == 2
    assert followup.visit_recorded(visit.id) == 0
    assert len(tasks_for(db, source_kind="visit", source_id=visit.id)) == 2


def test_missing_visit_is_nothing_to_do(db):
    assert followup.visit_recorded(987654321) == 0


def test_flagged_photo_gets_a_review_task(db, areas, run_jobs):
    supervisor = factories.user("supervisor", areas.town_a)
    visit = tf.visit(tf.household(areas.village_a1))
    photo = tf.photo(visit, flagged=True)
    schedule_job("workers.followup.photo_flagged", photo.id)
    commit_and_run(db, run_jobs)
    [task] = tasks_for(db, source_kind="photo", source_id=photo.id)
    assert task.kind == "presence_review" and task.assignee_id == supervisor.id
    assert task.household_id == visit.household_id


def test_unflagged_photo_makes_no_task(db, areas):
    photo = tf.photo(tf.visit(tf.household(areas.village_a1)), flagged=False)
    assert followup.photo_flagged(photo.id) == 0


def test_vulnerable_person_refusing_aid_gets_a_return_visit(db, areas, run_jobs):
    staff = factories.user("rescue_staff", areas.county)
    encounter = tf.encounter(areas.town_a, "refused_aid", vulnerable=True, staff=staff)
    schedule_job("workers.followup.encounter_recorded", encounter.id)
    commit_and_run(db, run_jobs)
    [task] = tasks_for(db, source_kind="encounter", source_id=encounter.id)
    assert task.kind == "return_visit" and task.assignee_id == staff.id
    assert task.priority == "high"


def test_person_sent_to_hospital_gets_a_checkup(db, areas):
    encounter = tf.encounter(areas.town_a, "sent_to_hospital", vulnerable=False)
    assert followup.encounter_recorded(encounter.id) == 1
    [task] = tasks_for(db, source_kind="encounter", source_id=encounter.id)
    assert task.kind == "hospital_checkup"


def test_refusal_by_someone_not_vulnerable_makes_no_task(db, areas):
    encounter = tf.encounter(areas.town_a, "refused_aid", vulnerable=False)
    assert followup.encounter_recorded(encounter.id) == 0


# -- recurring -----------------------------------------------------------------------------


def test_monitored_household_due_a_revisit_goes_to_its_last_visitor(db, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    household = tf.household(areas.village_a1, ("poverty_return_monitoring",))
    tf.visit(household, worker, visited_at=tf.at(26))
    followup.revisit_cadence()
    [task] = tasks_for(db, kind="revisit", household_id=household.id)
    assert task.assignee_id == worker.id


def test_revisit_cadence_run_twice_creates_one_task(db, areas):
    household = tf.household(areas.village_a1, ("unemployed",))
    tf.visit(household, visited_at=tf.at(100))
    followup.revisit_cadence()
    followup.revisit_cadence()
    assert len(tasks_for(db, kind="revisit", household_id=household.id)) == 1


def test_household_visited_recently_is_not_due(db, areas):
    household = tf.household(areas.village_a1, ("unemployed",))
    tf.visit(household, visited_at=tf.at(30))
    followup.revisit_cadence()
    assert tasks_for(db, kind="revisit", household_id=household.id) == []


def test_never_visited_household_goes_to_the_least_loaded_town_worker(db, areas):
    busy = factories.user("outreach_worker", areas.town_a)
    free = factories.user("outreach_worker", areas.village_a1)
    factories.user("outreach_worker", areas.town_b)  # another town: never a candidate
    tf.task(areas.village_a1, busy)
    household = tf.household(areas.village_a1, ("low_income_marginal",))
    followup.revisit_cadence()
    [task] = tasks_for(db, kind="revisit", household_id=household.id)
    assert task.assignee_id == free.id


def test_a_new_visit_closes_the_revisit_it_satisfies(db, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    household = tf.household(areas.village_a1, ("poverty_return_monitoring",))
    tf.visit(household, worker, visited_at=tf.at(40))
    followup.revisit_cadence()
    revisit = tasks_for(db, kind="revisit", household_id=household.id)[0]
    new_visit = tf.visit(household, worker, visited_at=tf.at(0))
    followup.visit_recorded(new_visit.id)
    db.refresh(revisit)
    assert revisit.status == "done" and str(new_visit.id) in revisit.outcome_note


def test_long_stay_resident_without_a_case_gets_a_case_and_a_task_once(db, areas):
    from api.casework.tracing.services import open_case_for

    staff = factories.user("rescue_staff", areas.county)
    resident = tf.resident(areas.county, admitted_days_ago=120)
    followup.long_stay_without_case()
    followup.long_stay_without_case()
    case = open_case_for(resident.id)
    assert case is not None
    [task] = tasks_for(db, kind="tracing_start", source_id=resident.id)
    assert task.subject_kind == "tracing_case" and task.subject_id == case.id
    assert task.assignee_id == staff.id


def test_resident_below_the_threshold_is_left_alone(db, areas):
    from api.casework.tracing.services import open_case_for

    resident = tf.resident(areas.county, admitted_days_ago=10)
    followup.long_stay_without_case()
    assert open_case_for(resident.id) is None


def test_tracing_case_without_action_for_30_days_gets_a_review(db, areas):
    from api.casework.tracing.services import ensure_open_case

    supervisor = factories.user("supervisor", areas.county)
    resident = tf.resident(areas.county, admitted_days_ago=40)
    case, _ = ensure_open_case(resident.id)
    case.last_activity_on = local_today() - timedelta(days=31)
    db.flush()
    followup.stale_tracing_cases()
    followup.stale_tracing_cases()
    [task] = tasks_for(db, kind="tracing_review", subject_id=case.id)
    assert task.assignee_id == supervisor.id


def test_overdue_task_escalates_to_the_assignees_supervisor_once(db, areas):
    factories.user("supervisor", areas.county)
    town_supervisor = factories.user("supervisor", areas.town_a)
    worker = factories.user("outreach_worker", areas.town_a)
    late = tf.task(areas.village_a1, worker, due_on=local_today() - timedelta(days=5))
    assert followup.escalate_overdue() >= 1
    followup.escalate_overdue()
    [escalation] = tasks_for(db, kind="escalation", parent_id=late.id)
    assert escalation.assignee_id == town_supervisor.id and escalation.priority == "high"


def test_overdue_supervisor_task_escalates_above_them(db, areas):
    county_supervisor = factories.user("supervisor", areas.county)
    town_supervisor = factories.user("supervisor", areas.town_a)
    late = tf.task(areas.village_a1, town_supervisor, due_on=local_today() - timedelta(days=5))
    followup.escalate_overdue()
    [escalation] = tasks_for(db, kind="escalation", parent_id=late.id)
    assert escalation.assignee_id == county_supervisor.id


def test_task_late_within_the_grace_does_not_escalate(db, areas):
    late = tf.task(areas.village_a1, due_on=local_today() - timedelta(days=2))
    followup.escalate_overdue()
    assert tasks_for(db, kind="escalation", parent_id=late.id) == []


def test_escalations_are_not_escalated(db, areas):
    followup.escalate_overdue()
    tf.task(areas.village_a1, kind="escalation", due_on=local_today() - timedelta(days=30))
    before = db.scalar(select(func.count()).select_from(Task))
    followup.escalate_overdue()
    assert db.scalar(select(func.count()).select_from(Task)) == before


# -- end to end through the visits API -----------------------------------------------------


def test_visit_posted_through_the_api_gets_its_task_from_the_worker(client, db, areas, run_jobs):
    from tests.visits import factories as visit_factories

    worker = factories.user("outreach_worker", areas.town_a)
    household = visit_factories.household(areas.village_a1)
    payload = visit_factories.visit_payload(
        household.id, needs=["temporary_assistance"], findings={"household_size": 3}
    )
    response = client.post("/api/v1/visits", json=payload, headers=factories.headers_for(worker))
    assert response.status_code == 201, response.json
    run_jobs()
    [task] = tasks_for(
        db, source_kind="visit", source_id=response.json["id"], kind="temporary_assistance"
    )
    assert task.assignee_id == worker.id and task.priority == "high"
    mine = client.get("/api/v1/tasks", headers=factories.headers_for(worker)).json
    assert task.id in [row["id"] for row in mine]


def test_one_job_follows_up_a_whole_sync_batch(db, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    household = tf.household(areas.village_a1)
    visits = [
        tf.visit(household, worker, visited_at=tf.at(1), screening_result="likely_dibao"),
        tf.visit(household, worker, visited_at=tf.at(1), needs=("temporary_assistance",)),
        tf.visit(household, worker, visited_at=tf.at(1), screening_result="none"),
    ]
    assert followup.visit_recorded(*(v.id for v in visits)) == 2
    assert followup.visit_recorded(*(v.id for v in visits)) == 0
    assert [t.source_id for t in tasks_for(db, source_kind="visit")] == [
        visits[0].id,
        visits[1].id,
    ]


def test_tasks_stored_meanwhile_by_another_worker_are_not_made_twice(db, areas, monkeypatch):
    """Another worker stores one of the same tasks between the key check and the insert:
    the unique key refuses the set-wise insert and each task is then stored on its own."""
    from api.casework.tasks import services

    first = tf.visit(tf.household(areas.village_a1), screening_result="likely_dibao")
    second = tf.visit(tf.household(areas.village_a1), screening_result="likely_dibao")
    assert followup.visit_recorded(first.id) == 1
    monkeypatch.setattr(services, "_stored_keys", lambda keys: set())
    assert followup.visit_recorded(first.id, second.id) == 1
    assert [t.source_id for t in tasks_for(db, source_kind="visit")] == [first.id, second.id]


def test_household_task_opened_meanwhile_by_another_worker_is_noted_on(db, areas, monkeypatch):
    """Another worker opens the household's task between the look for it and the insert:
    the partial UNIQUE index refuses the insert, and the visit is noted on that task."""
    from api.casework.tasks import services

    household = tf.household(areas.village_a1)
    first = tf.visit(household, screening_result="likely_dibao")
    second = tf.visit(household, screening_result="likely_dibao")
    assert followup.visit_recorded(first.id) == 1
    real = services._note_on_open
    calls = []

    def missed_once(specs):
        calls.append(specs)
        return (specs, []) if len(calls) == 1 else real(specs)

    monkeypatch.setattr(services, "_note_on_open", missed_once)
    assert followup.visit_recorded(second.id) == 0
    [task] = tasks_for(db, kind="assist_application")
    assert task.details["visit_ids"] == [first.id, second.id]
    assert [h.action for h in task.history] == ["created", "noted"]


def test_later_visits_are_noted_on_the_households_open_task(db, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    household = tf.household(areas.village_a1)
    first = tf.visit(household, worker, visited_at=tf.at(3), screening_result="likely_dibao")
    assert followup.visit_recorded(first.id) == 1
    second = tf.visit(household, worker, visited_at=tf.at(1), screening_result="likely_marginal")
    assert followup.visit_recorded(second.id) == 0
    assert followup.visit_recorded(second.id) == 0  # noted once, however often it runs
    [task] = tasks_for(db, household_id=household.id)
    assert task.source_id == first.id and task.status == "open"
    assert task.details == {
        "screening_result": "likely_marginal",
        "programme": "marginal",
        "visit_ids": [first.id, second.id],
    }
    assert "低保边缘" in task.title
    created, noted = task.history
    assert (created.action, noted.action) == ("created", "noted")
    assert noted.changes["details.screening_result"] == {
        "old": "likely_dibao",
        "new": "likely_marginal",
    }
    assert f"走访 #{second.id}" in noted.note


def test_a_visit_after_the_households_task_was_closed_opens_a_new_one(db, areas):
    household = tf.household(areas.village_a1)
    first = tf.visit(household, needs=("temporary_assistance",))
    assert followup.visit_recorded(first.id) == 1
    [task] = tasks_for(db, household_id=household.id)
    task.status, task.outcome_note = "done", "Granted."
    db.flush()
    second = tf.visit(household, circumstances=("no_food",))
    assert followup.visit_recorded(second.id) == 1
    assert [(t.source_id, t.status) for t in tasks_for(db, household_id=household.id)] == [
        (first.id, "done"),
        (second.id, "open"),
    ]


def test_visits_of_one_household_in_one_batch_open_one_task(db, areas):
    household = tf.household(areas.village_a1)
    visits = [tf.visit(household, screening_result="likely_dibao") for _ in range(3)]
    assert followup.visit_recorded(*(v.id for v in visits)) == 1
    [task] = tasks_for(db, household_id=household.id)
    assert task.source_id == visits[0].id
    assert task.details["visit_ids"] == [v.id for v in visits]
    assert [h.action for h in task.history] == ["created", "noted", "noted"]


def test_presence_reviews_stay_one_per_flagged_visit(db, areas):
    household = tf.household(areas.village_a1)
    visits = [tf.visit(household, presence_flagged=True) for _ in range(2)]
    assert followup.visit_recorded(*(v.id for v in visits)) == 2


def test_of_two_visits_in_one_job_the_first_that_satisfies_closes_the_revisit(db, areas):
    worker = factories.user("outreach_worker", areas.town_a)
    household = tf.household(areas.village_a1, ("poverty_return_monitoring",))
    tf.visit(household, worker, visited_at=tf.at(40))
    followup.revisit_cadence()
    [revisit] = tasks_for(db, kind="revisit", household_id=household.id)
    later = tf.visit(household, worker, visited_at=tf.at(0))
    earlier = tf.visit(household, worker, visited_at=tf.at(1))
    followup.visit_recorded(later.id, earlier.id)
    db.refresh(revisit)
    assert revisit.status == "done" and f"#{later.id} " in revisit.outcome_note
