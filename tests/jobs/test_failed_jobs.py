"""Failed outbox jobs carry the area of the record they act on: a town's admin sees the
town's failed jobs only, system-wide jobs (no area) show to county admins only, and the
error shown is its first line, ID numbers masked."""

import pytest
from sqlalchemy import select

from api.areas.services import common_ancestor
from api.jobs.models import OutboxJob
from api.jobs.services import schedule_job, shown_error
from tests import factories
from tests.rescue.patrols import factories as pf
from tests.visits import factories as vf

ID_NUMBER = vf.valid_id_number("440229198001011230")  # ends in 0


def _failed(db, area, func="workers.followup.visit_recorded", error="RuntimeError: boom"):
    job = OutboxJob(
        func=func, args=[1], area_id=area.id if area else None, attempts=1, last_error=error
    )
    db.add(job)
    db.flush()
    return job.id


@pytest.fixture
def jobs(db, areas):
    return {
        "village_a1": _failed(db, areas.village_a1),
        "town_b": _failed(db, areas.town_b),
        "system": _failed(db, None, func="workers.sweep.sweep_outbox"),
    }


def _seen(client, account, **query):
    response = client.get(
        "/api/v1/jobs/failed", query_string=query, headers=factories.headers_for(account)
    )
    assert response.status_code == 200, response.json
    return response


@pytest.mark.parametrize(
    ("area_name", "expected"),
    [
        ("county", {"village_a1", "town_b", "system"}),
        ("town_a", {"village_a1"}),
        ("town_b", {"town_b"}),
        ("village_a2", set()),
    ],
)
def test_admins_see_the_failed_jobs_of_their_subtree(client, areas, jobs, area_name, expected):
    admin = factories.user("admin", getattr(areas, area_name))
    ids = {row["id"] for row in _seen(client, admin).json}
    assert ids == {jobs[name] for name in expected}


def test_the_county_admins_count_includes_system_jobs(client, areas, jobs):
    admin = factories.user("admin", areas.county)
    response = _seen(client, admin, page_size=1)
    assert len(response.json) == 1
    assert response.headers["X-Total-Count"] == "3"


@pytest.mark.parametrize("role", ["supervisor", "outreach_worker", "rescue_staff"])
def test_only_admins_read_failed_jobs(client, areas, jobs, role):
    account = factories.user(role, areas.county)
    response = client.get("/api/v1/jobs/failed", headers=factories.headers_for(account))
    assert response.status_code == 403


def test_the_error_shown_is_one_masked_line(client, areas, db):
    sql = "[SQL: INSERT INTO households (head_name) VALUES (%(name)s)]"
    params = f"[parameters: {{'name': '张三', 'id': '{ID_NUMBER}'}}]"
    error = f"IntegrityError: duplicate key (head_id_number)=({ID_NUMBER})\n{sql}\n{params}"
    job_id = _failed(db, areas.village_a1, error=error)
    admin = factories.user("admin", areas.town_a)
    [row] = [r for r in _seen(client, admin).json if r["id"] == job_id]
    assert ID_NUMBER not in row["last_error"]
    assert "张三" not in row["last_error"] and "SQL" not in row["last_error"]
    assert (
        row["last_error"] == "IntegrityError: duplicate key (head_id_number)=(4402**********1230)"
    )
    assert row["area_id"] == areas.village_a1.id


def test_shown_error_is_limited_in_length():
    assert len(shown_error("ValueError: " + "x" * 5000)) == 300
    assert shown_error("KeyError: 'a' [SQL: SELECT 1]") == "KeyError: 'a'"
    assert shown_error(None) is None


def test_a_failing_job_stores_its_error_masked(db, areas):
    from api.jobs.runner import _record_failure

    job_id = _failed(db, areas.village_a1, error=None)
    _record_failure(job_id, ValueError(f"bad {ID_NUMBER}"))
    stored = db.scalar(select(OutboxJob.last_error).where(OutboxJob.id == job_id))
    assert ID_NUMBER not in stored and stored.startswith("ValueError: bad 4402")


# -- callers give the job the area of its record ------------------------------------------


def test_a_visit_batchs_job_takes_the_visits_common_area(client, areas, db):
    worker = factories.user("outreach_worker", areas.town_a)
    homes = [vf.household(areas.village_a1), vf.household(areas.village_a2)]
    response = client.post(
        "/api/v1/visits/batch",
        json={"visits": [vf.visit_payload(home.id) for home in homes]},
        headers=factories.headers_for(worker),
    )
    assert response.status_code == 200, response.json
    job = db.scalars(select(OutboxJob).order_by(OutboxJob.id.desc())).first()
    assert job.func == "workers.followup.visit_recorded"
    assert job.area_id == areas.town_a.id


def test_one_visits_job_takes_its_village(client, areas, db):
    worker = factories.user("outreach_worker", areas.town_a)
    home = vf.household(areas.village_a1)
    response = client.post(
        "/api/v1/visits", json=vf.visit_payload(home.id), headers=factories.headers_for(worker)
    )
    assert response.status_code == 201, response.json
    job = db.scalars(select(OutboxJob).order_by(OutboxJob.id.desc())).first()
    assert job.area_id == areas.village_a1.id


def test_an_encounters_job_takes_the_encounters_area(areas, db):
    patrol = pf.patrol(areas.town_a)
    encounter = pf.encounter(patrol)
    job = db.scalars(select(OutboxJob).order_by(OutboxJob.id.desc())).first()
    assert job.func == "workers.followup.encounter_recorded"
    assert job.area_id == encounter.area_id


def test_schedule_job_without_an_area_is_system_wide(db):
    assert schedule_job("workers.followup.visit_recorded", 1).area_id is None


def test_common_ancestor(areas):
    assert common_ancestor([]) is None
    assert common_ancestor([areas.village_a1.id]) == areas.village_a1.id
    assert common_ancestor([areas.village_a1.id, areas.village_a2.id]) == areas.town_a.id
    assert common_ancestor([areas.village_a1.id, areas.town_a.id]) == areas.town_a.id
    assert common_ancestor([areas.village_a1.id, areas.village_b2.id]) == areas.county.id
    assert common_ancestor([areas.village_a1.id, 2**31 - 1]) is None


def test_only_county_admins_read_the_queues_failed_registry(client, areas):
    county = factories.headers_for(factories.user("admin", areas.county))
    town = factories.headers_for(factories.user("admin", areas.town_a))
    assert client.get("/api/v1/jobs/rq-failed", headers=county).status_code == 200
    response = client.get("/api/v1/jobs/rq-failed", headers=town)
    assert response.status_code == 403
    assert "/api/v1/jobs/failed" in response.json["detail"]
