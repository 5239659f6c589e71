"""Migration 0018 leaves rule-made task titles in Chinese only (as the rules now write
them), on both back ends, stamping each changed task for the phones' sync; titles typed
by hand are left as they are."""

import pytest
from sqlalchemy import text

from api.migrate import upgrade
from tests.databases import BACKENDS, empty_engine

NOW = "2026-03-01 10:00:00+00:00"
# (rule, stored title) -> title after the migration
TITLES = [
    (("revisit", "定期回访 Revisit a household under monitoring"), "定期回访"),
    (("urgent_need", "临时救助 Temporary assistance"), "临时救助"),
    (
        (
            "visit_screening",
            "协助申请低保边缘家庭认定（或经同意转入认定） Help apply for marginal recognition",
        ),
        "协助申请低保边缘家庭认定（或经同意转入认定）",
    ),
    (
        ("help_request", "急难求助 Urgent help request #12: 联系求助人 contact the person"),
        "急难求助 #12：联系求助人",
    ),
    (
        ("help_request", "求助 Help request #13: 联系求助人 contact the person"),
        "求助 #13：联系求助人",
    ),
    (
        ("help_request_overdue", "求助超时未联系 Help request not answered in time: #13"),
        "求助超时未联系：#13",
    ),
    (
        (
            "escalation",
            "逾期督办 Overdue: 核查走访真实性 Review a visit flagged by the presence check",
        ),
        "逾期督办：核查走访真实性",
    ),
    (("manual", "Call back Mr Li"), "Call back Mr Li"),  # typed by hand: left alone
]


def _check(engine) -> None:
    with engine.begin() as conn:
        upgrade(conn, "0017_sync")
        conn.execute(
            text(
                "INSERT INTO areas (id, code, name, level, path, created_at) "
                "VALUES (1, '440229', '县', 'county', '/1/', :now)"
            ),
            {"now": NOW},
        )
        for task_id, ((rule, title), _) in enumerate(TITLES, start=1):
            conn.execute(
                text(
                    "INSERT INTO tasks (id, kind, title, rule, area_id, realm, due_on, priority, "
                    "status, details, created_at, updated_at) VALUES (:id, 'other', :title, "
                    ":rule, 1, 'households', '2026-03-02', 'normal', 'open', '{}', :now, :now)"
                ),
                {"id": task_id, "title": title, "rule": rule, "now": NOW},
            )
        upgrade(conn)
        rows = conn.execute(text("SELECT id, title, sync_version FROM tasks ORDER BY id")).all()
    assert [row.title for row in rows] == [after for _, after in TITLES]
    assert all(row.sync_version > 0 for row in rows[:-1])  # the phones fetch them again
    assert rows[-1].sync_version == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_titles_become_chinese_only(backend, tmp_path):
    with empty_engine(backend, tmp_path) as engine:
        _check(engine)
