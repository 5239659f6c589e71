"""When the outbox hands jobs over: after the request's commit, never at a savepoint.

SQLAlchemy fires ``after_commit`` for the release of a savepoint too; a job handed over
then would reach a worker before its rows are committed (and survive their rollback).
"""

from api.jobs.services import schedule_job


def test_jobs_are_handed_over_at_the_commit_not_at_a_savepoint(db, monkeypatch):
    handed_over = []
    monkeypatch.setattr("api.jobs.queue.dispatch", handed_over.append)
    with db.begin_nested():
        job = schedule_job("workers.followup.visit_recorded", 1)
    assert handed_over == []
    db.commit()
    assert handed_over == [[job.id]]
