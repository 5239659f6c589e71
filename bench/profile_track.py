"""Benchmark 8's track append measured in-process: CPU per batch, and every statement sent.

    .venv/bin/python bench/profile_track.py --database doudi_bench_<you> 10
    .venv/bin/python bench/profile_track.py --database doudi_bench_<you> 10 --cprofile

Creates a patrol as ``bench-rescue`` and sends it ``count`` batches of 1,000 points (the
track growing to ``count`` × 1,000, as benchmark 8 does) through Flask's test client, against
a bench database (never ``doudi_bench`` itself: its rows stay), then reads the route back.
Prints the API's CPU time (``process_time``), the CPU time of the PostgreSQL backends
serving it (from ``/proc``: the server must run on this machine) and the wall time per
batch, each statement with its count and time per batch, and the ``GET .../track`` that
follows. ``--cprofile`` adds the 40
costliest functions of the appends. No HTTP server and no other process.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import backends_cpu, profiler_environment, time_statements
from bench.generate import PASSWORD


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("count", type=int)
    args = parser.parse_args()
    profiler_environment(
        parser, args.database, REDIS_URL=args.redis, RQ_QUEUE=f"profile-{uuid.uuid4().hex[:6]}"
    )
    from api import create_app

    measure(create_app(), args)


def measure(app: Any, args: argparse.Namespace) -> None:
    client = app.test_client()
    login = {"username": "bench-rescue", "password": PASSWORD, "device_id": "profile"}
    token = client.post("/api/v1/auth/login", json=login).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    start = datetime.now(UTC) - timedelta(hours=6)

    def new_patrol() -> int:
        body = {
            "client_uuid": str(uuid.uuid4()),
            "mode": "on_foot",
            "started_at": start.isoformat(),
        }
        response = client.post("/api/v1/patrols", json=body, headers=headers)
        assert response.status_code in (200, 201), response.json
        return response.json["id"]

    rng = random.Random(8)
    lon, lat, payloads = 116.0, 30.0, []
    for b in range(args.count):
        points = []
        for i in range(1000):
            lon += rng.uniform(-0.00002, 0.00003)
            lat += rng.uniform(-0.00002, 0.00003)
            at = start + timedelta(seconds=b * 1000 + i)
            points.append(
                {
                    "lon": round(lon, 6),
                    "lat": round(lat, 6),
                    "recorded_at": at.isoformat(),
                    "accuracy_m": 8.0,
                }
            )
        payloads.append({"points": points})
    # The caches, the pool: one batch on a patrol of its own.
    client.post(f"/api/v1/patrols/{new_patrol()}/track", json=payloads[0], headers=headers)
    url = f"/api/v1/patrols/{new_patrol()}/track"

    engine = app.extensions["doudi.engine"]
    counts, seconds = time_statements(engine)

    profile = cProfile.Profile() if args.cprofile else None
    server0 = backends_cpu(engine)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if profile:
        profile.enable()
    for payload in payloads:
        response = client.post(url, json=payload, headers=headers)
        assert response.status_code == 200, response.json
    if profile:
        profile.disable()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    server = backends_cpu(engine) - server0
    in_sql = sum(seconds.values())
    print(
        f"{args.count} batches of 1,000: API CPU {cpu / args.count * 1000:.1f} ms a batch, "
        f"PostgreSQL CPU {server / args.count * 1000:.1f} ms, "
        f"wall {wall / args.count * 1000:.1f} ms a batch ({args.count * 1000 / wall:,.0f} "
        f"points/s), of which in statements and commits {in_sql / args.count * 1000:.1f} ms"
    )
    for key, total in seconds.most_common():
        print(f"{total / args.count * 1000:8.2f} ms {counts[key] / args.count:5.1f}x  {key}")
    wall0, cpu0 = time.perf_counter(), time.process_time()
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.json
    print(
        f"GET of the route ({len(response.json['route']['coordinates'])} vertices): "
        f"CPU {(time.process_time() - cpu0) * 1000:.1f} ms, "
        f"wall {(time.perf_counter() - wall0) * 1000:.1f} ms"
    )
    if profile:
        pstats.Stats(profile).sort_stats(os.environ.get("PROFILE_SORT", "tottime")).print_stats(40)


if __name__ == "__main__":
    main()
