"""Issue #17's partitioning choice measured on the province: ``visits`` as it is, against a
copy partitioned by county, side by side in one database.

    .venv/bin/python bench/partitions.py             # builds the copy if missing, measures
    .venv/bin/python bench/partitions.py --rebuild   # builds it again
    .venv/bin/python bench/partitions.py --drop      # drops it (≈ 15 GB on the province)

The copy is ``bench_partitions.visits`` in ``doudi_bench_province``: the same columns, a
``county_id`` (the county whose village the visit is in), ``PARTITION BY LIST (county_id)``,
one partition per county, each with the indexes, checks and foreign keys of ``visits``
(the primary key and the uuid's UNIQUE hold per county: a partitioned table's unique keys
must include the partition key). The rows are ``visits``' own. It is built with the
generator's tricks (foreign-key triggers off, indexes after the rows, two connections):
≈ 10 minutes here.

Then each question is timed on both layouts, alternated, warm: the map's SQL and the
coverage reference SQL for the first county's month (benchmarks 4 and 3), a sync batch's
insert of 100 visits (rolled back), the resend look-up of 100 uuids and a household's
visits, with and without the county in the statement, and one county's oldest month
deleted (rolled back) against the same month dropped as a partition would be. The county
data set (``doudi_bench``, the province's first county on its own) is timed beside them
where it answers the same question. Prints one table: medians and 90th percentiles in ms.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import CST, median, percentile, psycopg_url
from bench.generate import exists, run_statements
from bench.run import COVERAGE_SQL, MAP_SQL, MONTH

SCHEMA = "bench_partitions"
PARTITIONED = f"{SCHEMA}.visits"
# The statements each layout answers, as the application would send them: on the
# partitioned copy a county's report names its county, which is what prunes the others.
COUNTY_LED = [
    ("FROM visits v JOIN areas pl ON pl.id = v.area_id\n  WHERE ", "v."),
    ("FROM visits v\n            WHERE ", "v."),
    ("FROM visits\n  WHERE ", ""),
    ("FROM visits WHERE ", ""),
]


def on_partitions(sql: str) -> str:
    """``sql`` over the partitioned copy, each read of visits led by the county."""
    out = sql
    for text, alias in COUNTY_LED:
        replacement = text.replace("FROM visits", f"FROM {PARTITIONED}") + (
            f"{alias}county_id = %(county)s AND "
        )
        out = out.replace(text, replacement)
    assert not re.search(r"FROM visits\b", out), "a read of visits left on the plain table"
    return out


def build(conn: psycopg.Connection, url: str) -> None:
    started = time.monotonic()
    conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    conn.execute(f"CREATE SCHEMA {SCHEMA}")
    conn.execute(
        f"CREATE TABLE {SCHEMA}.county_of AS SELECT a.id AS area_id, c.id AS county_id "
        "FROM areas a JOIN areas c ON c.level = 'county' AND a.path LIKE c.path || '%'"
    )
    conn.execute(f"ALTER TABLE {SCHEMA}.county_of ADD PRIMARY KEY (area_id)")
    counties = [r[0] for r in conn.execute("SELECT id FROM areas WHERE level = 'county'")]
    conn.execute(
        f"CREATE TABLE {PARTITIONED} (LIKE public.visits INCLUDING DEFAULTS "
        "INCLUDING CONSTRAINTS, county_id integer NOT NULL) PARTITION BY LIST (county_id)"
    )
    for county in counties:
        conn.execute(
            f"CREATE TABLE {SCHEMA}.visits_{county} PARTITION OF {PARTITIONED} "
            f"FOR VALUES IN ({county})"
        )
    for column, target in (
        ("area_id", "areas"),
        ("household_id", "households"),
        ("worker_id", "users"),
        ("reviewed_by_id", "users"),
    ):
        conn.execute(
            f"ALTER TABLE {PARTITIONED} ADD FOREIGN KEY ({column}) REFERENCES public.{target}(id)"
        )
    definitions = [
        row[0]
        for row in conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'visits'"
        )
    ]
    conn.commit()
    print(f"[{time.monotonic() - started:6.0f}s] {len(counties)} partitions", flush=True)

    def load(county: int) -> None:
        with psycopg.connect(url, autocommit=True) as c:
            c.execute("SET session_replication_role = replica")  # the rows are visits' own
            c.execute("SET synchronous_commit = off")
            c.execute(
                f"INSERT INTO {SCHEMA}.visits_{county} SELECT v.*, %s FROM public.visits v "
                f"JOIN {SCHEMA}.county_of c ON c.area_id = v.area_id WHERE c.county_id = %s",
                (county, county),
            )

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(load, counties))
    print(f"[{time.monotonic() - started:6.0f}s] rows copied", flush=True)
    statements = [
        partition_index(definition, county) for county in counties for definition in definitions
    ]
    run_statements(url, statements, jobs=2)
    print(f"[{time.monotonic() - started:6.0f}s] {len(statements)} indexes", flush=True)
    conn.execute(f"ANALYZE {PARTITIONED}")
    conn.execute(f"ANALYZE {SCHEMA}.county_of")
    conn.commit()
    print(f"[{time.monotonic() - started:6.0f}s] analyzed", flush=True)


def partition_index(definition: str, county: int) -> str:
    """``visits``' index ``definition`` on the county's partition (same columns: within a
    partition the county is one value, so the primary key and the uuid stay unique per
    county)."""
    head, _, rest = definition.partition(" ON public.visits ")
    name = head.rsplit(" ", 1)[1]
    return f"{head.rsplit(' ', 1)[0]} {name}_{county} ON {SCHEMA}.visits_{county} {rest}"


def timed_once(conn: psycopg.Connection, sql: str, params: Any, undo: bool) -> float:
    """Milliseconds of one statement and its answer; a write is rolled back."""
    t0 = time.perf_counter()
    cursor = conn.execute(sql, params)
    if not undo:
        cursor.fetchall()
    elapsed = (time.perf_counter() - t0) * 1000
    conn.rollback()
    return elapsed


def measure(province: str, county_db: str | None, repeat: int) -> None:
    rng = random.Random(17)
    plain = psycopg.connect(psycopg_url(province))
    parts = psycopg.connect(psycopg_url(province))
    county = psycopg.connect(psycopg_url(county_db)) if county_db else None
    first = plain.execute(
        "SELECT id, path FROM areas WHERE level = 'county' ORDER BY id"
    ).fetchone()
    county_id, path = first
    box = plain.execute(
        "SELECT ST_XMin(boundary), ST_YMin(boundary), ST_XMax(boundary), ST_YMax(boundary) "
        "FROM areas WHERE parent_id = %s ORDER BY id LIMIT 1",
        (county_id,),
    ).fetchone()
    start = datetime.fromisoformat(MONTH[0]).replace(tzinfo=CST)
    end = datetime.fromisoformat(MONTH[1]).replace(tzinfo=CST) + timedelta(days=1)
    month = {
        "start": start,
        "end": end,
        "as_of": end,
        "path": path,
        "today": end.date(),
        "monitored_days": 30,
        "default_days": 90,
        "county": county_id,
        **dict(zip(("x0", "y0", "x1", "y1"), box, strict=True)),
    }
    # The province's first county is the county data set: its visit ids, uuids and
    # households are the same rows there.
    sample = plain.execute(
        "SELECT v.id, v.client_uuid, v.household_id FROM visits v "
        f"JOIN {SCHEMA}.county_of c ON c.area_id = v.area_id "
        "WHERE c.county_id = %s AND v.id %% 97 = 0",
        (county_id,),
    ).fetchall()
    columns = (
        "client_uuid, content_hash, household_id, area_id, worker_id, channel, visited_at, "
        "received_at, location, accuracy_m, source_crs, findings, needs, created_household, "
        "screening_result, presence_flagged, presence_reasons, review_state"
    )
    copied = columns.replace("client_uuid", "gen_random_uuid()::text").replace(
        "received_at", "now()"
    )
    insert = (
        "INSERT INTO {table} (" + columns + "{column}) SELECT " + copied + "{value} "
        "FROM public.visits WHERE id = ANY(%(ids)s)"
    )
    (before,) = plain.execute(
        "SELECT date_trunc('month', min(visited_at)) + interval '1 month' "
        f"FROM {SCHEMA}.visits_{county_id}"
    ).fetchone()
    questions: list[tuple[str, list[tuple[str, Any, str, bool]]]] = []

    def ask(name: str, sides: list[tuple[str, Any, str, bool]]) -> None:
        questions.append((name, sides))

    ask(
        "map layer SQL, the first county's month, a town's box (4)",
        [
            ("plain", plain, MAP_SQL, False),
            ("by county", parts, on_partitions(MAP_SQL), False),
            *([("county data set", county, MAP_SQL, False)] if county else []),
        ],
    )
    ask(
        "coverage reference SQL, the first county's month (3)",
        [
            ("plain", plain, COVERAGE_SQL, False),
            ("by county", parts, on_partitions(COVERAGE_SQL), False),
            *([("county data set", county, COVERAGE_SQL, False)] if county else []),
        ],
    )
    ask(
        "insert of 100 visits, one statement, rolled back (1)",
        [
            ("plain", plain, insert.format(table="visits", column="", value=""), True),
            (
                "by county",
                parts,
                insert.format(table=PARTITIONED, column=", county_id", value=", %(county)s"),
                True,
            ),
        ],
    )

    def with_and_without_county(sql: str) -> list[tuple[str, Any, str, bool]]:
        named = " AND county_id = %(county)s"
        return [
            ("plain", plain, sql.format(table="visits", county=""), False),
            ("by county", parts, sql.format(table=PARTITIONED, county=named), False),
            ("by county, county not named", parts, sql.format(table=PARTITIONED, county=""), False),
        ]

    ask(
        "resend look-up, 100 uuids (1, 2)",
        with_and_without_county(
            "SELECT id, content_hash FROM {table} WHERE client_uuid = ANY(%(uuids)s){county}"
        ),
    )
    ask(
        "a household's 20 latest visits",
        with_and_without_county(
            "SELECT id, visited_at FROM {table} WHERE household_id = %(household)s{county} "
            "ORDER BY visited_at DESC LIMIT 20"
        ),
    )
    # What dropping a partition of a county's month (a sub-partition by month, not built
    # here) would save: the month's rows deleted from the plain table.
    ask(
        "retention: the first county's oldest month, deleted (rolled back)",
        [
            (
                "plain",
                plain,
                f"DELETE FROM visits v USING {SCHEMA}.county_of c WHERE c.area_id = v.area_id "
                "AND c.county_id = %(county)s AND v.visited_at < %(before)s",
                True,
            ),
        ],
    )
    times: dict[str, list[float]] = {}
    for round_ in range(repeat + 1):  # the first round warms the caches and is not kept
        picks = rng.sample(sample, 100)
        params = {
            **month,
            "before": before,
            "ids": [p[0] for p in picks],
            "uuids": [p[1] for p in picks],
            "household": picks[0][2],
        }
        for name, answers in questions:
            if name.startswith("retention") and round_ > 3:
                continue  # a month's delete takes seconds: three kept are enough
            for label, conn, sql, undo in answers:
                elapsed = timed_once(conn, sql, params, undo)
                if round_ > 0:
                    times.setdefault(f"{name}|{label}", []).append(elapsed)
    print(f"\nvisits plain and partitioned by county, {province}; ms, median / p90 of {repeat}")
    for name, answers in questions:
        print(f"\n{name}")
        base = median(times[f"{name}|plain"])
        for label, *_ in answers:
            values = times[f"{name}|{label}"]
            print(
                f"  {label:32} {median(values):9.1f} / {percentile(values, 90):9.1f}"
                f"   {median(values) / base:5.2f}x plain"
            )
    # The rolled-back delete above left its rows' pages not all-visible: the map's and
    # coverage's index-only scans of that county then read the heap (the map's request
    # went from 66 to 151-166 ms on the province until the table was vacuumed).
    with psycopg.connect(psycopg_url(province), autocommit=True) as vacuum:
        vacuum.execute("VACUUM public.visits")
    sizes = plain.execute(
        "SELECT pg_total_relation_size('visits'), "
        f"(SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
        f"WHERE inhparent = '{PARTITIONED}'::regclass), "
        f"pg_total_relation_size('{SCHEMA}.visits_{county_id}')"
    ).fetchone()
    print(
        f"\nsizes with indexes: plain {sizes[0] / 2**30:.1f} GB, partitioned "
        f"{sizes[1] / 2**30:.1f} GB, the first county's partition {sizes[2] / 2**30:.1f} GB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="doudi_bench_province")
    parser.add_argument("--county-database", default="doudi_bench")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--drop", action="store_true")
    args = parser.parse_args()
    url = psycopg_url(args.database)
    with psycopg.connect(url) as conn:
        if args.drop:
            conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
            return
        built = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (PARTITIONED,)).fetchone()[0]
        if args.rebuild or not built:
            build(conn, url)
    county_db = args.county_database if exists(args.county_database, "county") else None
    measure(args.database, county_db, args.repeat)


if __name__ == "__main__":
    main()
