"""Migration 0012 fills the realm of the tasks stored before it, on both back ends: from
what each is about, else its kind, else who made it; an escalation from its parent."""

import pytest
from sqlalchemy import text

from api.migrate import upgrade
from tests.databases import BACKENDS, empty_engine

NOW = "2026-03-01 10:00:00+00:00"
# (id, kind, subject_kind, household_id, created_by_id, parent_id) -> realm
TASKS = [
    ((1, "assist_application", "household", 5, None, None), "households"),
    ((2, "presence_review", "visit", 5, None, None), "households"),
    ((3, "presence_review", "photo", 5, None, None), "households"),
    ((4, "presence_review", "photo", None, None, None), "rescue"),
    ((5, "hospital_checkup", "encounter", None, None, None), "rescue"),
    ((6, "tracing_start", "tracing_case", None, None, None), "rescue"),
    ((7, "escalation", "task", None, None, 5), "rescue"),
    ((8, "escalation", "task", 5, None, 1), "households"),
    ((9, "other", None, None, 1, None), "households"),
    ((10, "other", None, None, 2, None), "rescue"),
    ((11, "other", None, None, 3, None), "supervision"),
    ((12, "revisit", None, 5, None, None), "households"),
]


def _fill_and_upgrade(engine) -> dict[int, str]:
    with engine.begin() as conn:
        upgrade(conn, "0005_tasks")
        conn.execute(
            text(
                "INSERT INTO areas (id, code, name, level, path, created_at) "
                "VALUES (1, '440229', '县', 'county', '/1/', :now)"
            ),
            {"now": NOW},
        )
        for user_id, role in ((1, "outreach_worker"), (2, "rescue_staff"), (3, "supervisor")):
            conn.execute(
                text(
                    "INSERT INTO users (id, username, display_name, role, area_id, "
                    "password_hash, active, created_at) "
                    "VALUES (:id, :name, :name, :role, 1, 'x', true, :now)"
                ),
                {"id": user_id, "name": f"u{user_id}", "role": role, "now": NOW},
            )
        for (task_id, kind, subject, household, maker, parent), _ in TASKS:
            conn.execute(
                text(
                    "INSERT INTO tasks (id, kind, title, rule, subject_kind, household_id, "
                    "area_id, created_by_id, parent_id, due_on, priority, status, details, "
                    "created_at, updated_at) VALUES (:id, :kind, 't', 'r', :subject, "
                    ":household, 1, :maker, :parent, '2026-03-02', 'normal', 'open', '{}', "
                    ":now, :now)"
                ),
                {
                    "id": task_id,
                    "kind": kind,
                    "subject": subject,
                    "household": household,
                    "maker": maker,
                    "parent": parent,
                    "now": NOW,
                },
            )
        upgrade(conn)
        return dict(conn.execute(text("SELECT id, realm FROM tasks")).all())


@pytest.mark.parametrize("backend", BACKENDS)
def test_fills_the_realm_of_stored_tasks(backend, tmp_path):
    with empty_engine(backend, tmp_path) as engine:
        assert _fill_and_upgrade(engine) == {values[0]: realm for values, realm in TASKS}
