"""After a load run: every visit and photo sent is stored exactly once, every follow-up
task exists exactly once.

    .venv/bin/python bench/check.py --url postgresql://postgres@127.0.0.1:PORT/doudi_load \\
        --ledger /tmp/doudi-load-XXXX/ledger.json

Checks, each printed with its counts (exit 1 if any fails):
1. every visit the server acknowledged is stored exactly once, under the id it answered;
   a visit sent but never acknowledged (cut off, timed out) is stored at most once;
2. the same for photos; and no photo is left ``pending`` (no hung cleaning job);
3. every job of the outbox finished (none lost to a killed worker or a Redis outage);
4. for every stored visit of the run, the follow-up rules (api.casework.tasks.rules, run
   here on the stored visit) ask for tasks that exist exactly once (by dedup key; for the
   rules with one open task per household, the visit is that task's source or among the
   visits noted on it, ``details.visit_ids``), no two tasks share a rule and source, and
   no household has two active tasks of one such rule.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="postgresql://... of the run's database")
    parser.add_argument("--ledger", type=Path, required=True)
    args = parser.parse_args()
    ledger = json.loads(args.ledger.read_text(encoding="utf-8"))
    failures: list[str] = []

    def verdict(name: str, ok: bool, detail: str) -> None:
        print(f"[{'ok' if ok else 'FAIL'}] {name}: {detail}", flush=True)
        if not ok:
            failures.append(name)

    with psycopg.connect(args.url) as conn:
        for kind, table in (("visits", "visits"), ("photos", "photos")):
            sent, acked = ledger[f"{kind}_sent"], ledger[f"{kind}_acked"]
            stored = dict(
                conn.execute(
                    f"SELECT client_uuid, count(*) FROM {table} "
                    "WHERE client_uuid = ANY(%s) GROUP BY client_uuid",
                    (sent,),
                ).fetchall()
            )
            ids = dict(
                conn.execute(
                    f"SELECT client_uuid, id FROM {table} WHERE client_uuid = ANY(%s)",
                    (list(acked),),
                ).fetchall()
            )
            missing = [u for u in acked if stored.get(u, 0) != 1]
            wrong_id = [u for u, i in acked.items() if ids.get(u) not in (None, i)]
            twice = [u for u, n in stored.items() if n > 1]
            verdict(
                f"{kind} stored exactly once",
                not missing and not wrong_id and not twice,
                f"{len(sent):,} sent, {len(acked):,} acknowledged, {len(stored):,} stored; "
                f"acknowledged but not stored once: {len(missing)}, other id: {len(wrong_id)}, "
                f"stored twice: {len(twice)}",
            )
        pending = conn.execute("SELECT count(*) FROM photos WHERE status = 'pending'").fetchone()
        verdict("no photo left pending", pending[0] == 0, f"{pending[0]} pending")
        states = dict(conn.execute("SELECT status, count(*) FROM photos GROUP BY status"))
        print(f"       photo states: {states}")
        unfinished = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE attempts > 0) FROM job_outbox "
            "WHERE finished_at IS NULL"
        ).fetchone()
        total_jobs = conn.execute("SELECT count(*) FROM job_outbox").fetchone()[0]
        verdict(
            "every outbox job finished",
            unfinished[0] == 0,
            f"{total_jobs:,} jobs, {unfinished[0]} unfinished "
            f"({unfinished[1]} failed at least once)",
        )
        duplicates = conn.execute(
            # Per-record rules make one task per record; occurrence rules (revisit) and
            # the generator's own tasks may name a source more than once.
            "SELECT count(*) FROM (SELECT rule, kind, source_kind, source_id FROM tasks "
            "WHERE source_kind IN ('visit', 'photo') GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) d"
        ).fetchone()[0]
        verdict(
            "no task twice for one rule and visit or photo",
            duplicates == 0,
            f"{duplicates} repeated",
        )
        twice_open = conn.execute(
            "SELECT count(*) FROM (SELECT kind, household_id FROM tasks "
            "WHERE rule IN ('visit_screening', 'urgent_need') "
            "AND status IN ('open', 'in_progress') GROUP BY 1, 2 HAVING count(*) > 1) d"
        ).fetchone()[0]
        verdict(
            "one active help-to-apply / assistance task per household",
            twice_open == 0,
            f"{twice_open} households with two",
        )
        visit_ids = sorted(set(ledger["visits_acked"].values()))
    expected, found = expected_tasks(args.url, visit_ids)
    absent = sorted(expected - found)
    verdict(
        "every follow-up task of the run's visits exists once",
        not absent,
        f"{len(expected):,} expected by the rules, {len(absent)} absent"
        + (f" (e.g. {absent[:3]})" if absent else ""),
    )
    sys.exit(1 if failures else 0)


def expected_tasks(url: str, visit_ids: list[int]) -> tuple[set[str], set[str]]:
    """Dedup keys the per-visit rules ask for, and those stored (or, for the rules with one
    open task per household, noted on a stored task), over the given visits."""
    import os

    os.environ["DATABASE_URL"] = url.replace("postgresql://", "postgresql+psycopg://")
    os.environ.setdefault("SECRET_KEY", "check")
    os.environ.setdefault("REDIS_URL", "")
    from sqlalchemy import select

    from api import create_app
    from api.areas.scope import SYSTEM, set_actor
    from api.casework.tasks import rules, services
    from api.casework.tasks.models import ONE_OPEN_PER_HOUSEHOLD_RULES, Task
    from api.db import session
    from api.visits.models import Visit
    from workers.app import use_app
    from workers.followup import visit_facts

    app = create_app({})
    use_app(app)
    expected: set[str] = set()
    households: set[int] = set()
    with app.app_context():
        set_actor(None, SYSTEM)
        for start in range(0, len(visit_ids), 1000):
            chunk = visit_ids[start : start + 1000]
            for visit in session.scalars(select(Visit).where(Visit.id.in_(chunk))):
                facts = visit_facts(visit)
                specs = rules.application_help(facts) + rules.urgent_need(facts)
                if facts.presence_flagged:
                    specs += rules.visit_presence_review(
                        facts, services.supervisor_for(facts.area_id)
                    )
                expected.update(spec.dedup_key for spec in specs)
                households.add(facts.household_id)
        found = set()
        keys = sorted(expected)
        for start in range(0, len(keys), 1000):
            found.update(
                session.scalars(
                    select(Task.dedup_key).where(Task.dedup_key.in_(keys[start : start + 1000]))
                )
            )
        ids = sorted(households)
        for start in range(0, len(ids), 1000):
            for rule, details in session.execute(
                select(Task.rule, Task.details).where(
                    Task.rule.in_(ONE_OPEN_PER_HOUSEHOLD_RULES),
                    Task.household_id.in_(ids[start : start + 1000]),
                )
            ):
                found.update(f"{rule}:visit:{i}" for i in (details or {}).get("visit_ids", ()))
        session.rollback()
    return expected, found


if __name__ == "__main__":
    main()
