"""Benchmark 7's follow-up jobs measured in-process: CPU per job, and every statement sent.

    .venv/bin/python bench/profile_followup.py --database doudi_bench_<you> 50
    .venv/bin/python bench/profile_followup.py --database doudi_bench_<you> 50 --cprofile

Copies ``count`` × 100 of the data set's latest visits as new ones (the statement benchmark 7
uses, same seed), queues one outbox job of 100 for each hundred, and runs them one after
another through ``workers.runner.run_outbox_job`` in this process, as an RQ worker does, but
without RQ and Redis. Against a bench database (never ``doudi_bench`` itself: the visits and
tasks it makes stay). Prints the job's CPU time (``process_time``), the CPU time of the
PostgreSQL backend serving it (from ``/proc``: the server must run on this machine), the
wall time per job, and each statement with its count and time per job. ``--cprofile`` adds
the 40 costliest functions (``PROFILE_SORT=cumulative`` to sort by the time below each).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import backends_cpu, profiler_environment, psycopg_url, time_statements
from bench.run import followup_jobs

JOB_SIZE = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("count", type=int)
    args = parser.parse_args()
    profiler_environment(parser, args.database)
    from api import create_app

    app = create_app()
    outbox = queue_jobs(args.database, args.count)
    with app.app_context():
        measure(app, outbox, args.cprofile)


def queue_jobs(database: str, count: int) -> list[int]:
    """The jobs benchmark 7 runs, ``count`` of them and one more (run apart, to warm the
    caches and the pool), copied from the database's latest visits."""
    with psycopg.connect(psycopg_url(database)) as conn:
        (top,) = conn.execute("SELECT max(id) FROM visits").fetchone()
    return followup_jobs(database, top, (count + 1) * JOB_SIZE, JOB_SIZE)


def measure(app, outbox: list[int], cprofile: bool) -> None:
    from sqlalchemy import text

    from api.db import session
    from workers.runner import run_outbox_job

    assert run_outbox_job(outbox[0]) == "done"
    jobs = outbox[1:]
    engine = app.extensions["doudi.engine"]
    tasks_before = session.execute(text("SELECT count(*) FROM tasks")).scalar_one()
    session.remove()
    counts, seconds = time_statements(engine)
    profile = cProfile.Profile() if cprofile else None
    server0 = backends_cpu(engine)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if profile:
        profile.enable()
    for outbox_id in jobs:
        assert run_outbox_job(outbox_id) == "done"
    if profile:
        profile.disable()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    server = backends_cpu(engine) - server0
    statements = seconds.most_common()  # the jobs' own, before the count below
    made = session.execute(text("SELECT count(*) FROM tasks")).scalar_one() - tasks_before
    session.remove()
    n = len(jobs)
    in_sql = sum(total for _, total in statements)
    print(
        f"{n} jobs of {JOB_SIZE} visits, {made:,} tasks: worker CPU {cpu / n * 1000:.1f} ms "
        f"a job, PostgreSQL CPU {server / n * 1000:.1f} ms, wall {wall / n * 1000:.1f} ms a "
        f"job ({n * JOB_SIZE / wall:,.0f} visits/s on one worker), of which in statements "
        f"and commits {in_sql / n * 1000:.1f} ms"
    )
    for key, total in statements:
        print(f"{total / n * 1000:8.2f} ms {counts[key] / n:5.1f}x  {key}")
    if profile:
        pstats.Stats(profile).sort_stats(os.environ.get("PROFILE_SORT", "tottime")).print_stats(
            int(os.environ.get("PROFILE_LINES", "40"))
        )


if __name__ == "__main__":
    main()
