"""How a sync batch is stored: set-wise, yet each item on its own merits.

A phone's batch goes in with one insert, one audit entry and one follow-up job; these
tests pin what that must not change: every visit named in the audit, each household's last
visit kept, a refused item holding nothing back and leaving nothing half-written, and a concurrent
resend that slips past the replay check refusing only its own row.
"""

from datetime import timedelta

from sqlalchemy import func, select

from api.audit.models import AuditEntry
from api.db import utcnow
from api.jobs.models import OutboxJob
from api.visits import services
from api.visits.models import Household, Visit
from tests import factories
from tests.visits import factories as vf


def post_batch(client, user, items):
    response = client.post(
        "/api/v1/visits/batch", json={"visits": items}, headers=factories.headers_for(user)
    )
    assert response.status_code == 200, response.json
    return response.json["results"]


def test_a_batch_is_followed_up_by_one_job_naming_every_visit(client, worker, home, db):
    results = post_batch(client, worker, [vf.visit_payload(home.id) for _ in range(3)])
    jobs = db.scalars(
        select(OutboxJob).where(OutboxJob.func == "workers.followup.visit_recorded")
    ).all()
    assert [job.args for job in jobs] == [[r["id"] for r in results]]


def test_a_batch_of_resends_schedules_no_job(client, worker, home, db):
    items = [vf.visit_payload(home.id) for _ in range(2)]
    post_batch(client, worker, items)
    post_batch(client, worker, items)
    assert db.scalar(select(func.count(OutboxJob.id))) == 1


def test_a_batch_is_audited_by_one_entry_naming_every_visit(client, worker, home, db):
    id_number = vf.valid_id_number("44022919800101123X")
    items = [vf.visit_payload(home.id, notes=f"户主身份证 {id_number}") for _ in range(3)]
    results = post_batch(client, worker, items)
    [entry] = db.scalars(select(AuditEntry).where(AuditEntry.table_name == "visits")).all()
    ids = [str(r["id"]) for r in results]
    assert (entry.action, entry.actor_id, entry.area_id) == ("create", worker.id, home.area_id)
    assert (entry.record_id, entry.record_ids) == ("", ids)
    assert list(entry.changes) == ids
    first = entry.changes[ids[0]]
    assert first["client_uuid"] == {"new": items[0]["client_uuid"]}
    assert first["household_id"] == {"new": home.id}
    assert first["location"]["new"]["type"] == "Point"
    # Personal data is masked as in any entry.
    assert first["notes"] == {"new": f"户主身份证 4402**********{id_number[-4:]}"}


def test_a_batch_entry_with_nothing_to_mask_is_stored_as_the_document_written(
    client, worker, home, db
):
    """Nothing to mask: the entry's changes go to the column as the JSON text they were
    written as (api.db.JsonText), and are a JSON object there, not a string."""
    items = [vf.visit_payload(home.id, notes="独居老人，家中无人照料") for _ in range(2)]
    results = post_batch(client, worker, items)
    entry = db.scalar(select(AuditEntry).where(AuditEntry.table_name == "visits"))
    ids = [str(r["id"]) for r in results]
    assert db.scalar(select(func.jsonb_typeof(AuditEntry.changes))) == "object"
    assert list(entry.changes) == ids
    assert entry.changes[ids[1]]["notes"] == {"new": "独居老人，家中无人照料"}
    assert entry.changes[ids[1]]["client_uuid"] == {"new": items[1]["client_uuid"]}


def test_the_audit_log_finds_a_batch_entry_by_any_of_its_visits(client, worker, home, areas):
    results = post_batch(client, worker, [vf.visit_payload(home.id) for _ in range(2)])
    supervisor = factories.user("supervisor", areas.town_a)
    response = client.get(
        "/api/v1/audit",
        query_string={"table_name": "visits", "record_id": results[1]["id"]},
        headers=factories.headers_for(supervisor),
    )
    assert response.status_code == 200
    [entry] = response.json
    assert entry["record_ids"] == [str(r["id"]) for r in results]
    assert str(results[1]["id"]) in entry["changes"]


def test_a_lone_visit_is_audited_as_any_created_record(client, worker, home, db):
    [result] = post_batch(client, worker, [vf.visit_payload(home.id)])
    [entry] = db.scalars(select(AuditEntry).where(AuditEntry.table_name == "visits")).all()
    assert (entry.record_id, entry.record_ids) == (str(result["id"]), None)
    assert entry.changes["notes"] == {"new": "母亲住院"}
    assert entry.changes["screening"]["new"]["household_size"] == 3


def test_the_answer_shows_each_visit_as_stored(client, worker, home, db):
    [result] = post_batch(client, worker, [vf.visit_payload(home.id)])
    stored = client.get(f"/api/v1/visits/{result['id']}", headers=factories.headers_for(worker))
    assert stored.json == result["visit"]


def test_the_households_last_visit_is_kept_and_never_moves_back(client, worker, home, db):
    before = db.scalar(select(Household.updated_at).where(Household.id == home.id))
    recent, older = utcnow() - timedelta(hours=1), utcnow() - timedelta(days=3)
    post_batch(client, worker, [vf.visit_payload(home.id, visited_at=recent)])
    post_batch(client, worker, [vf.visit_payload(home.id, visited_at=older)])
    db.expire_all()
    household = db.get(Household, home.id)
    assert household.last_visited_at == recent
    # Derived data: the household itself did not change.
    assert household.updated_at == before
    updates = select(func.count(AuditEntry.id)).where(
        AuditEntry.table_name == "households", AuditEntry.action == "update"
    )
    assert db.scalar(updates) == 0


def test_a_household_out_of_reach_refuses_only_its_item(client, worker, home, areas, db):
    elsewhere = vf.household(areas.village_b1)
    results = post_batch(
        client, worker, [vf.visit_payload(elsewhere.id), vf.visit_payload(home.id)]
    )
    assert [(r["result"], r["status"]) for r in results] == [("error", 422), ("created", 201)]
    assert results[0]["errors"] == {"household_id": ["No such household."]}
    assert db.scalar(select(func.count(Visit.id))) == 1


def test_a_refused_new_household_item_leaves_no_household(client, worker, home, areas, db):
    households = db.scalar(select(func.count(Household.id)))
    new_in_a_town = vf.visit_payload(
        new_household={
            "area_id": areas.town_a.id,
            "address": "镇上",
            "urban_rural": "urban",
            "head_name": "新户主",
        }
    )
    results = post_batch(client, worker, [new_in_a_town, vf.visit_payload(home.id)])
    assert [r["status"] for r in results] == [422, 201]
    assert "new_household.area_id" in results[0]["errors"]
    assert db.scalar(select(func.count(Household.id))) == households


def test_a_second_copy_with_other_content_in_one_batch_is_409(client, worker, home, db):
    item = vf.visit_payload(home.id)
    results = post_batch(client, worker, [item, {**item, "notes": "改过"}])
    assert [r["status"] for r in results] == [201, 409]
    assert results[1]["client_uuid"] == item["client_uuid"]


def test_a_resend_sent_twice_in_one_batch_is_a_duplicate_both_times(client, worker, home):
    item = vf.visit_payload(home.id)
    [first] = post_batch(client, worker, [item])
    results = post_batch(client, worker, [item, item])
    assert [(r["result"], r["id"]) for r in results] == [("duplicate", first["id"])] * 2


def test_a_second_copy_of_a_refused_item_gets_the_same_error(client, worker, home):
    future = vf.visit_payload(home.id, visited_at=utcnow() + timedelta(days=2))
    results = post_batch(client, worker, [future, future])
    assert [r["status"] for r in results] == [422, 422]
    assert results[0]["errors"] == results[1]["errors"]


def test_a_concurrent_resend_refuses_only_its_own_row(client, worker, home, db, monkeypatch):
    """Another request stores a client_uuid between the replay check and the insert: the
    unique index refuses the batch's insert, and the rows are then stored one by one."""
    taken = vf.visit_payload(home.id)
    post_batch(client, worker, [taken])
    # The replay check misses it, as it would have before the other request committed.
    monkeypatch.setattr(services, "_stored_client_uuids", lambda uuids: set())
    results = post_batch(client, worker, [{**taken, "notes": "再发"}, vf.visit_payload(home.id)])
    assert [r["status"] for r in results] == [409, 201]
    assert db.scalar(select(func.count(Visit.id))) == 2
    jobs = db.scalars(select(OutboxJob.args).order_by(OutboxJob.id)).all()
    assert jobs[-1] == [results[1]["id"]]


def _post_one(client, worker, item):
    return client.post("/api/v1/visits", json=item, headers=factories.headers_for(worker))


def _no_lookup_first(uuids):
    raise AssertionError("a lone visit is looked up only if its insert is skipped")


def test_a_lone_visits_resend_is_found_at_its_insert(client, worker, home, db, monkeypatch):
    """POST /visits does not look a client_uuid up first: the insert skips a taken one
    (as a concurrent resend's would be), and the stored visit answers, or 409."""
    taken = vf.visit_payload(home.id)
    first = _post_one(client, worker, taken)
    assert first.status_code == 201
    monkeypatch.setattr(services, "_stored_client_uuids", _no_lookup_first)

    again = _post_one(client, worker, taken)
    assert (again.status_code, again.json) == (200, first.json)
    other = _post_one(client, worker, {**taken, "notes": "再发"})
    assert other.status_code == 409
    assert other.headers["Content-Type"].startswith("application/problem+json")
    assert db.scalar(select(func.count(Visit.id))) == 1
    assert (
        db.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.table_name == "visits")) == 1
    )
    assert len(db.scalars(select(OutboxJob.args)).all()) == 1


def test_a_lone_visits_resend_refused_now_is_still_its_replay(
    client, worker, home, db, monkeypatch
):
    """A resend answers with the stored visit even where the visit would be refused now
    (here: older than VISIT_MAX_AGE_DAYS by the time it is sent again)."""
    taken = vf.visit_payload(home.id)
    first = _post_one(client, worker, taken)
    monkeypatch.setitem(client.application.config, "VISIT_MAX_AGE_DAYS", 0)

    again = _post_one(client, worker, taken)
    assert (again.status_code, again.json) == (200, first.json)
    assert _post_one(client, worker, {**taken, "notes": "再发"}).status_code == 409
    assert _post_one(client, worker, vf.visit_payload(home.id)).status_code == 422
    assert db.scalar(select(func.count(Visit.id))) == 1


def test_a_client_uuid_held_by_another_towns_visit_is_409_and_shows_nothing(
    client, worker, home, areas, db
):
    # Phones make their uuids; one that collides with a visit the caller cannot see must
    # neither store a second visit nor reveal the first.
    theirs = vf.household(areas.village_b1)
    other_worker = factories.user("outreach_worker", areas.town_b)
    taken = vf.visit_payload(theirs.id)
    assert post_batch(client, other_worker, [taken])[0]["status"] == 201

    mine = {**vf.visit_payload(home.id), "client_uuid": taken["client_uuid"]}
    results = post_batch(client, worker, [mine, vf.visit_payload(home.id)])
    assert [r["status"] for r in results] == [409, 201]
    assert "visit" not in results[0] and "id" not in results[0]
    # (not in the echoed client_uuid, whose random hex digits may hold the id by chance)
    assert str(theirs.id) not in str({k: v for k, v in results[0].items() if k != "client_uuid"})
    assert db.scalar(select(func.count(Visit.id))) == 2


def test_a_lone_visit_whose_client_uuid_another_town_holds_is_409_and_shows_nothing(
    client, worker, home, areas, db
):
    # The same collision through POST /visits, whose insert skips the taken uuid instead
    # of looking it up first: still a 409 that neither stores a visit nor shows theirs.
    theirs = vf.household(areas.village_b1)
    other_worker = factories.user("outreach_worker", areas.town_b)
    taken = vf.visit_payload(theirs.id)
    assert _post_one(client, other_worker, taken).status_code == 201

    mine = _post_one(
        client, worker, {**vf.visit_payload(home.id), "client_uuid": taken["client_uuid"]}
    )
    assert mine.status_code == 409
    assert mine.headers["Content-Type"].startswith("application/problem+json")
    assert "already used" in mine.json["detail"]
    assert not {"id", "visit", "household_id"} & set(mine.json)
    assert db.scalar(select(func.count(Visit.id))) == 1
    assert db.scalar(select(func.count(Visit.id)).where(Visit.household_id == home.id)) == 0
