"""The visit write path measured in-process: CPU per visit, and every statement it sends.

    .venv/bin/python bench/profile_visits.py --database doudi_bench_<you> batch 10
    .venv/bin/python bench/profile_visits.py --database doudi_bench_<you> single 200 --cprofile

Sends ``count`` sync batches of 100 visits (``batch``) or ``count`` lone visits (``single``)
as a county worker through Flask's test client, against a bench database (never
``doudi_bench`` itself: its rows stay), and prints the API's CPU time (``process_time``) per
visit or request, the wall time, and each statement with its count and time per request.
``--cprofile`` adds the 40 costliest functions. No HTTP server and no other process: what
it measures is this process's own work and PostgreSQL's answers. Jobs go to a queue of
their own on ``--redis``, emptied at the end; the visits it stores are left in the database.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import profiler_environment, time_statements, visit_payload, worker_households
from bench.generate import PASSWORD


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--user", default="bench-worker-001")
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("mode", choices=["batch", "single"])
    parser.add_argument("count", type=int)
    args = parser.parse_args()
    queue = f"profile-{uuid.uuid4().hex[:6]}"
    profiler_environment(parser, args.database, REDIS_URL=args.redis, RQ_QUEUE=queue)
    from api import create_app
    from api.jobs.queue import queue_for

    app = create_app()
    try:
        measure(app, args)
    finally:  # also when the output's reader went away (| head)
        jobs = queue_for(app)
        jobs.empty()
        jobs.delete(delete_jobs=True)


def measure(app: Any, args: argparse.Namespace) -> None:
    client = app.test_client()
    login = {"username": args.user, "password": PASSWORD, "device_id": "profile"}
    token = client.post("/api/v1/auth/login", json=login).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(time.time_ns())
    homes = worker_households(args.database, args.user, 2000)

    def body() -> tuple[str, dict]:
        if args.mode == "batch":
            visits = [visit_payload(rng, rng.choice(homes)) for _ in range(100)]
            return "/api/v1/visits/batch", {"visits": visits}
        return "/api/v1/visits", visit_payload(rng, rng.choice(homes))

    warm_path, warm_payload = body()
    client.post(warm_path, json=warm_payload, headers=headers)  # the caches, the pool
    bodies = [body() for _ in range(args.count)]

    counts, seconds = time_statements(app.extensions["doudi.engine"])

    profile = cProfile.Profile() if args.cprofile else None
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if profile:
        profile.enable()
    for path, payload in bodies:
        response = client.post(path, json=payload, headers=headers)
        assert response.status_code in (200, 201), response.json
    if profile:
        profile.disable()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0

    per = 100 * args.count if args.mode == "batch" else args.count
    unit = "visit" if args.mode == "batch" else "request"
    print(
        f"{args.count} {args.mode} requests: API CPU {cpu / per * 1000:.2f} ms a {unit}, "
        f"wall {wall / args.count * 1000:.1f} ms a request, of which in statements and the commit "
        f"{sum(seconds.values()) / args.count * 1000:.1f} ms"
    )
    for key, total in seconds.most_common():
        n = counts[key] / args.count
        print(f"{total / args.count * 1000:8.2f} ms {n:5.1f}x  {key}")
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
