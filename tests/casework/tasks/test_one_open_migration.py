"""Migration 0016 merges the duplicate open tasks the visit rules made before it, on both
back ends: the oldest active one per (kind, household) stays, the others are cancelled
with a note and a ``merged`` history entry; then the partial UNIQUE index holds."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from api.migrate import upgrade
from tests.databases import BACKENDS, empty_engine

NOW = "2026-03-01 10:00:00+00:00"
# (id, kind, rule, household_id, status) -> status after the migration
TASKS = [
    ((1, "assist_application", "visit_screening", 5, "done"), "done"),
    ((2, "assist_application", "visit_screening", 5, "in_progress"), "in_progress"),
    ((3, "assist_application", "visit_screening", 5, "open"), "cancelled"),
    ((4, "assist_application", "visit_screening", 5, "open"), "cancelled"),
    ((5, "temporary_assistance", "urgent_need", 5, "open"), "open"),
    ((6, "assist_application", "visit_screening", 6, "open"), "open"),
    ((7, "assist_application", "manual", 5, "open"), "open"),  # made by hand: not merged
    ((8, "presence_review", "presence_check", 5, "open"), "open"),
    ((9, "presence_review", "presence_check", 5, "open"), "open"),
]


def _fill_and_upgrade(engine) -> tuple[dict, list]:
    with engine.begin() as conn:
        upgrade(conn, "0012_task_realm")
        conn.execute(
            text(
                "INSERT INTO areas (id, code, name, level, path, created_at) "
                "VALUES (1, '440229', '县', 'county', '/1/', :now)"
            ),
            {"now": NOW},
        )
        for (task_id, kind, rule, household, status), _ in TASKS:
            conn.execute(
                text(
                    "INSERT INTO tasks (id, kind, title, rule, subject_kind, household_id, "
                    "area_id, realm, due_on, priority, status, details, created_at, "
                    "updated_at) VALUES (:id, :kind, 't', :rule, 'household', :household, 1, "
                    "'households', '2026-03-02', 'normal', :status, '{}', :now, :now)"
                ),
                {
                    "id": task_id,
                    "kind": kind,
                    "rule": rule,
                    "household": household,
                    "status": status,
                    "now": NOW,
                },
            )
        upgrade(conn)
        statuses = {
            row.id: (row.status, row.outcome_note)
            for row in conn.execute(text("SELECT id, status, outcome_note FROM tasks"))
        }
        history = [
            tuple(row)
            for row in conn.execute(
                text("SELECT task_id, action, note FROM task_history ORDER BY task_id")
            )
        ]
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE tasks SET status = 'open' WHERE id = 3"))
    return statuses, history


def _check(engine) -> None:
    statuses, history = _fill_and_upgrade(engine)
    assert {task_id: status for task_id, (status, _) in statuses.items()} == {
        values[0]: status for values, status in TASKS
    }
    assert statuses[3][1].startswith("Merged into task #2")
    assert history == [
        (3, "merged", "merged into task #2"),
        (4, "merged", "merged into task #2"),
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_merges_duplicate_open_tasks(backend, tmp_path):
    with empty_engine(backend, tmp_path) as engine:
        _check(engine)
