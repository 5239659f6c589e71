"""A seeded data set at county or province scale, written with PostgreSQL COPY.

    .venv/bin/python bench/generate.py --scale county            # into doudi_bench
    .venv/bin/python bench/generate.py --scale province --database doudi_bench_province

county: 8 towns, 200 villages with boundaries, 200,000 households (members, focus groups,
programmes), 2,000,000 visits over the two years before END, 200 outreach workers plus
supervisors and an admin, 50,000 tasks, 4 campaigns of 40 patrols with 500-point tracks.
province: ten such counties side by side in one database (the same schema, ten times the
rows), for the query plans that only show at size.

The database is dropped and created anew (with PostGIS), migrated with
``api.migrate.upgrade`` (all heads), then filled table by table with ``cursor.copy``, the
big tables' secondary indexes dropped before and rebuilt after, and ANALYZEd. Counties are
written side by side (``--jobs``, one process and connection each: the Python that draws
the rows is most of the cost), each from its own generator seeded SEED + the county's
index, with ids in a range of its own; the index builds and VACUUMs run side by side too.
Rows follow the current models (api/*/models.py); tables the generator does not fill
(photos, audit, centre, tracing) stay empty. Everything derives from SEED, so two runs write
the same rows; the county data set (and the province's first county) are the rows the
serial generator wrote (it drew every county from one generator).

Every user's password is ``PASSWORD`` below.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import multiprocessing
import random
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import migrate  # noqa: E402 (after the path)

SEED = 20261101
END = datetime(2026, 11, 1, tzinfo=UTC)  # visits fall in the two years before this
START = END - timedelta(days=730)
PASSWORD = "bench password 2026"  # noqa: S105 (bench users on loopback)
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

SCALES = {
    "county": {"counties": 1},
    "province": {"counties": 10},
}
PER_COUNTY = {
    "towns": 8,
    "villages_per_town": 25,
    "households": 200_000,
    "visits": 2_000_000,
    "workers": 200,
    "tasks": 50_000,
    "campaigns": 4,
    "patrols_per_campaign": 40,
    "points_per_track": 500,
}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许邓冯韩曹曾彭"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红辉建国志"
FOCUS_GROUPS = (
    "unemployed",
    "flexible_employment",
    "low_income_marginal",
    "poverty_return_monitoring",
    "not_yet_eligible_in_difficulty",
    "insufficient_after_aid",
)
PROGRAMMES = ("dibao", "extreme_poverty", "marginal", "expenditure_hardship")
CIRCUMSTANCES = ("unemployed", "serious_illness", "disability", "elderly_alone", "student")
NEEDS = ("medical", "temporary_assistance", "employment", "education", "housing")
TASK_KINDS = ("assist_application", "temporary_assistance", "revisit", "presence_review")
# The rules that make these kinds with one active task per household (the partial UNIQUE
# index of migration 0016): a household drawn again gets a closed one instead.
ONE_OPEN_RULES = {"assist_application": "visit_screening", "temporary_assistance": "urgent_need"}
# Codes of api.visits.people.RELATIONS (the head is written apart).
RELATIONS = ("spouse", "child", "parent", "grandchild", "sibling")


@dataclass
class Ids:
    """Next id of each table (ids are written explicitly, sequences set at the end)."""

    counters: dict[str, int] = field(default_factory=dict)

    def next(self, table: str) -> int:
        value = self.counters.get(table, 0) + 1
        self.counters[table] = value
        return value


@dataclass
class County:
    index: int
    area_id: int
    path: str
    origin: tuple[float, float]  # south-west corner (lon, lat)
    towns: list[tuple[int, str]] = field(default_factory=list)  # (id, path)
    villages: list[tuple[int, int, tuple[float, float, float, float]]] = field(
        default_factory=list
    )  # (id, town id, box)
    workers: list[tuple[int, int]] = field(default_factory=list)  # (user id, town id)
    households: range = range(0)


# ---------------------------------------------------------------------------------------
# COPY helpers


def _text(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return text


def copy_rows(
    conn: psycopg.Connection, table: str, columns: Iterable[str], rows: Iterable[tuple]
) -> int:
    """COPY rows (tuples in column order) into table; returns the count."""
    cols = ", ".join(f'"{c}"' for c in columns)
    count = 0
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join(_text(v) for v in row))
            buffer.write("\n")
            count += 1
            if count % 20_000 == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())
    return count


def polygon(box: tuple[float, float, float, float]) -> str:
    x0, y0, x1, y1 = box
    return (
        f"SRID=4326;MULTIPOLYGON((({x0:.5f} {y0:.5f},{x1:.5f} {y0:.5f},{x1:.5f} {y1:.5f},"
        f"{x0:.5f} {y1:.5f},{x0:.5f} {y0:.5f})))"
    )


def point(lon: float, lat: float) -> str:
    return f"SRID=4326;POINT({lon:.6f} {lat:.6f})"


def fake_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def fake_hash(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def person_name(rng: random.Random) -> str:
    return (
        rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    )


def id_number(rng: random.Random, area_code: str, birth_year: int) -> str:
    """A GB 11643 ID number with a valid check digit."""
    body = f"{area_code[:6]}{birth_year:04d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body += f"{rng.randint(0, 999):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


def person(
    rng: random.Random, area_code: str, birth_year: int, with_id: bool
) -> tuple[str, str | None, str, date, int]:
    """(name, ID number, sex, birth date, birth year): with an ID number, the sex and birth
    date are the number's, as the register keeps them."""
    name = person_name(rng)
    if with_id:
        number = id_number(rng, area_code, birth_year)
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        return name, number, "male" if int(number[16]) % 2 else "female", born, birth_year
    born = date(birth_year, rng.randint(1, 12), rng.randint(1, 28))
    return name, None, rng.choice(("male", "female")), born, birth_year


# ---------------------------------------------------------------------------------------
# Tables


def write_areas(conn: psycopg.Connection, ids: Ids, counties: int) -> list[County]:
    rows: list[tuple] = []
    result = []
    created = START - timedelta(days=30)
    per_town = PER_COUNTY["villages_per_town"]
    side = int(math.sqrt(per_town))
    for c in range(counties):
        origin = (113.0 + (c % 5) * 0.6, 23.5 + (c // 5) * 0.6)
        county_id = ids.next("areas")
        county_code = f"44{c + 1:02d}{29:02d}"
        county = County(c, county_id, f"/{county_id}/", origin)
        rows.append(
            (
                county_id,
                county_code,
                f"基准县{c + 1}",
                "county",
                None,
                county.path,
                polygon((origin[0], origin[1], origin[0] + 0.5, origin[1] + 0.5)),
                created,
            )
        )
        for t in range(PER_COUNTY["towns"]):
            tx0 = origin[0] + (t % 4) * 0.125
            ty0 = origin[1] + (t // 4) * 0.25
            town_id = ids.next("areas")
            town_path = f"{county.path}{town_id}/"
            town_code = f"{county_code}{100 + t:03d}"
            rows.append(
                (
                    town_id,
                    town_code,
                    f"基准县{c + 1}第{t + 1}镇",
                    "town",
                    county_id,
                    town_path,
                    polygon((tx0, ty0, tx0 + 0.125, ty0 + 0.25)),
                    created,
                )
            )
            county.towns.append((town_id, town_path))
            for v in range(per_town):
                vx0 = tx0 + (v % side) * 0.125 / side
                vy0 = ty0 + (v // side) * 0.25 / side
                vbox = (vx0, vy0, vx0 + 0.125 / side, vy0 + 0.25 / side)
                village_id = ids.next("areas")
                rows.append(
                    (
                        village_id,
                        f"{town_code}{v + 1:03d}",
                        f"第{t + 1}镇{v + 1}村",
                        "village",
                        town_id,
                        f"{town_path}{village_id}/",
                        polygon(vbox),
                        created,
                    )
                )
                county.villages.append((village_id, town_id, vbox))
        result.append(county)
    copy_rows(
        conn,
        "areas",
        ("id", "code", "name", "level", "parent_id", "path", "boundary", "created_at"),
        rows,
    )
    return result


def write_users(conn: psycopg.Connection, ids: Ids, counties: list[County]) -> None:
    from api.auth.services import hash_password

    password_hash = hash_password(PASSWORD)
    created = START - timedelta(days=30)
    rows = []

    def add(username: str, name: str, role: str, area_id: int) -> int:
        user_id = ids.next("users")
        rows.append((user_id, username, name, role, area_id, password_hash, True, created))
        return user_id

    for county in counties:
        prefix = "bench" if county.index == 0 else f"bench{county.index + 1}"
        add(f"{prefix}-admin", "基准管理员", "admin", county.area_id)
        add(f"{prefix}-supervisor", "基准督导", "supervisor", county.area_id)
        add(f"{prefix}-rescue", "基准救助站", "rescue_staff", county.area_id)
        for t, (town_id, _path) in enumerate(county.towns):
            add(f"{prefix}-supervisor-t{t + 1}", f"第{t + 1}镇督导", "supervisor", town_id)
            add(f"{prefix}-rescue-t{t + 1}", f"第{t + 1}镇救助", "rescue_staff", town_id)
        for w in range(PER_COUNTY["workers"]):
            town_id = county.towns[w % len(county.towns)][0]
            user_id = add(
                f"{prefix}-worker-{w + 1:03d}", f"走访员{w + 1}", "outreach_worker", town_id
            )
            county.workers.append((user_id, town_id))
    copy_rows(
        conn,
        "users",
        (
            "id",
            "username",
            "display_name",
            "role",
            "area_id",
            "password_hash",
            "active",
            "created_at",
        ),
        rows,
    )


@dataclass
class HouseholdInfo:
    village: int
    town: int
    lon: float
    lat: float


HOUSEHOLD_COLUMNS = (
    "id",
    "area_id",
    "address",
    "location",
    "urban_rural",
    "head_name",
    "head_id_number",
    "created_at",
    "updated_at",
    "last_visited_at",
)


def draw_households(
    conn: psycopg.Connection, ids: Ids, county: County, rng: random.Random
) -> tuple[list[HouseholdInfo], list[list]]:
    """Draw a county's households and write their members, focus groups and programmes.

    The household rows are returned, not written: their last visit is known once the
    visits are drawn (``write_county`` writes them then)."""
    infos: list[HouseholdInfo] = []
    households, members, focus, programmes = [], [], [], []
    created = START - timedelta(days=60)
    first = ids.counters.get("households", 0) + 1
    for _ in range(PER_COUNTY["households"]):
        village_id, town_id, (x0, y0, x1, y1) = rng.choice(county.villages)
        hid = ids.next("households")
        lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
        infos.append(HouseholdInfo(village_id, town_id, lon, lat))
        code = f"4402{29:02d}"
        head = person(rng, code, rng.randint(1940, 1995), with_id=True)
        households.append(
            [
                hid,
                village_id,
                f"第{rng.randint(1, 300)}号",
                point(lon, lat),
                "rural" if rng.random() < 0.8 else "urban",
                head[0],
                head[1],
                created,
                created,
                None,  # last_visited_at, filled from the visits
            ]
        )
        # The head is the member "head"; the household's columns copy its name and number.
        # Members carry their household's area (name search starts from it).
        head_row = (ids.next("household_members"), hid, village_id, 0, head[0], "head")
        members.append((*head_row, *head[1:]))
        for position in range(1, rng.choice((0, 1, 1, 2, 2, 3, 4)) + 1):
            who = person(rng, code, rng.randint(1940, 2024), with_id=rng.random() < 0.8)
            row = (ids.next("household_members"), hid, village_id, position, who[0])
            members.append((*row, rng.choice(RELATIONS), *who[1:]))
        if rng.random() < 0.3:
            for group in rng.sample(FOCUS_GROUPS, rng.choice((1, 1, 2))):
                focus.append((hid, group))
        if rng.random() < 0.15:
            programmes.append((hid, rng.choice(PROGRAMMES)))
    county.households = range(first, ids.counters["households"] + 1)
    copy_rows(
        conn,
        "household_members",
        (
            "id",
            "household_id",
            "area_id",
            "position",
            "name",
            "relation",
            "id_number",
            "sex",
            "birth_date",
            "birth_year",
        ),
        members,
    )
    copy_rows(conn, "household_focus_groups", ("household_id", "focus_group"), focus)
    copy_rows(conn, "household_programmes", ("household_id", "programme"), programmes)
    return infos, households


def visit_rows(
    ids: Ids,
    county: County,
    infos: list[HouseholdInfo],
    households: list[list],
    rng: random.Random,
) -> Iterator[tuple]:
    """A county's visits; each household row's last_visited_at follows them (the visit
    write path keeps it)."""
    span = (END - START).total_seconds()
    workers_by_town: dict[int, list[int]] = {}
    for user_id, town_id in county.workers:
        workers_by_town.setdefault(town_id, []).append(user_id)
    lo, hi = county.households.start, county.households.stop - 1
    for _ in range(PER_COUNTY["visits"]):
        hid = rng.randint(lo, hi)
        info = infos[hid - lo]
        visited = START + timedelta(seconds=rng.random() * span)
        household = households[hid - lo]
        if household[-1] is None or household[-1] < visited:
            household[-1] = visited
        in_person = rng.random() < 0.8
        channel = "in_person" if in_person else rng.choice(("phone", "video"))
        flagged = in_person and rng.random() < 0.03
        findings = json.dumps(
            {
                "household_size": rng.randint(1, 6),
                "monthly_income_total": rng.randint(0, 60) * 100,
                "rigid_expenses_monthly": rng.randint(0, 20) * 100,
                "circumstances": rng.sample(CIRCUMSTANCES, rng.randint(0, 2)),
            },
            ensure_ascii=False,
        )
        yield (
            ids.next("visits"),
            fake_uuid(rng),
            fake_hash(rng),
            hid,
            info.village,
            rng.choice(workers_by_town[info.town]),
            channel,
            visited,
            visited + timedelta(minutes=rng.randint(1, 4000)),
            point(info.lon + rng.gauss(0, 0.0003), info.lat + rng.gauss(0, 0.0003))
            if in_person
            else None,
            round(rng.uniform(3, 40), 1) if in_person else None,
            "wgs84",
            findings,
            json.dumps(rng.sample(NEEDS, rng.randint(0, 2))),
            False,
            flagged,
            json.dumps(["far_from_household"] if flagged else []),
            rng.choice(("pending", "approved", "approved", "approved", "has_issues")),
        )


def write_visits(
    conn: psycopg.Connection,
    ids: Ids,
    county: County,
    infos: list[HouseholdInfo],
    households: list[list],
    rng: random.Random,
) -> int:
    return copy_rows(
        conn,
        "visits",
        (
            "id",
            "client_uuid",
            "content_hash",
            "household_id",
            "area_id",
            "worker_id",
            "channel",
            "visited_at",
            "received_at",
            "location",
            "accuracy_m",
            "source_crs",
            "findings",
            "needs",
            "created_household",
            "presence_flagged",
            "presence_reasons",
            "review_state",
        ),
        visit_rows(ids, county, infos, households, rng),
    )


def write_tasks(
    conn: psycopg.Connection,
    ids: Ids,
    county: County,
    infos: list[HouseholdInfo],
    rng: random.Random,
) -> int:
    def rows() -> Iterator[tuple]:
        town_workers: dict[int, list[int]] = {}
        for user_id, town_id in county.workers:
            town_workers.setdefault(town_id, []).append(user_id)
        active: set[tuple[str, int]] = set()
        for n in range(PER_COUNTY["tasks"]):
            hid = rng.randint(county.households.start, county.households.stop - 1)
            info = infos[hid - county.households.start]
            created = START + timedelta(seconds=rng.random() * (END - START).total_seconds())
            status = rng.choice(("open", "open", "in_progress", "done", "done", "cancelled"))
            kind = rng.choice(TASK_KINDS)
            rule = ONE_OPEN_RULES.get(kind, "bench")
            if status in ("open", "in_progress") and kind in ONE_OPEN_RULES:
                if (kind, hid) in active:
                    status = "done"
                active.add((kind, hid))
            yield (
                ids.next("tasks"),
                kind,
                f"跟进任务 {n + 1}",
                rule,
                "household",
                hid,
                "household",
                hid,
                hid,
                info.village,
                rng.choice(town_workers[info.town]),
                (created + timedelta(days=rng.randint(3, 30))).date(),
                "normal",
                status,
                "{}",
                "households",
                f"bench:{county.index}:{n}",
                created,
                created,
                created + timedelta(days=5) if status in ("done", "cancelled") else None,
            )

    return copy_rows(
        conn,
        "tasks",
        (
            "id",
            "kind",
            "title",
            "rule",
            "source_kind",
            "source_id",
            "subject_kind",
            "subject_id",
            "household_id",
            "area_id",
            "assignee_id",
            "due_on",
            "priority",
            "status",
            "details",
            "realm",
            "dedup_key",
            "created_at",
            "updated_at",
            "closed_at",
        ),
        rows(),
    )


def write_patrols(conn: psycopg.Connection, ids: Ids, county: County, rng: random.Random) -> int:
    campaigns, patrols, members, points = [], [], [], []
    for c in range(PER_COUNTY["campaigns"]):
        year = 2025 + c // 2
        summer = c % 2 == 0
        starts = date(year, 7, 1) if summer else date(year - 1, 12, 15)
        campaign_id = ids.next("campaigns")
        created = datetime.combine(starts, datetime.min.time(), UTC) - timedelta(days=10)
        campaigns.append(
            (
                campaign_id,
                "summer_cooling" if summer else "winter_warmth",
                f"{year}年{'夏季送清凉' if summer else '寒冬送温暖'}",
                starts,
                starts + timedelta(days=45),
                county.area_id,
                '{"water": 2000, "quilt": 300}',
                created,
                created,
            )
        )
        for p in range(PER_COUNTY["patrols_per_campaign"]):
            patrol_id = ids.next("patrols")
            _village, town_id, (x0, y0, x1, y1) = rng.choice(county.villages)
            started = created + timedelta(days=10 + p, hours=19)
            lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
            coords = []
            for i in range(PER_COUNTY["points_per_track"]):
                lon += rng.uniform(-0.0002, 0.0003)
                lat += rng.uniform(-0.0002, 0.0003)
                at = started + timedelta(seconds=10 * i)
                coords.append(f"{lon:.6f} {lat:.6f}")
                points.append(
                    (
                        ids.next("track_points"),
                        patrol_id,
                        at,
                        point(lon, lat),
                        round(rng.uniform(3, 25), 1),
                        True,
                    )
                )
            ended = started + timedelta(seconds=10 * len(coords))
            patrols.append(
                (
                    patrol_id,
                    fake_uuid(rng),
                    fake_hash(rng),
                    campaign_id,
                    town_id,
                    rng.choice(("vehicle", "on_foot")),
                    started,
                    ended,
                    f"SRID=4326;LINESTRING({','.join(coords)})",
                    0.0,
                    len(coords),
                    created,
                    created,
                )
            )
            worker_ids = sorted({rng.choice(county.workers)[0] for _ in range(2)})
            members.extend((patrol_id, w) for w in worker_ids)
    copy_rows(
        conn,
        "campaigns",
        (
            "id",
            "kind",
            "name",
            "starts_on",
            "ends_on",
            "area_id",
            "supplies_planned",
            "created_at",
            "updated_at",
        ),
        campaigns,
    )
    copy_rows(
        conn,
        "patrols",
        (
            "id",
            "client_uuid",
            "content_hash",
            "campaign_id",
            "area_id",
            "mode",
            "started_at",
            "ended_at",
            "route",
            "route_length_m",
            "point_count",
            "created_at",
            "updated_at",
        ),
        patrols,
    )
    with conn.cursor() as cur:
        cur.execute(
            "UPDATE patrols SET route_length_m = ST_Length(route::geography) "
            "WHERE id BETWEEN %s AND %s",
            (patrols[0][0], patrols[-1][0]),
        )
    copy_rows(conn, "patrol_members", ("patrol_id", "user_id"), members)
    return copy_rows(
        conn,
        "track_points",
        ("id", "patrol_id", "recorded_at", "location", "accuracy_m", "used_in_route"),
        points,
    )


# ---------------------------------------------------------------------------------------
# Database


BIG_TABLES = ("households", "household_members", "visits", "tasks", "track_points")


def drop_secondary_indexes(conn: psycopg.Connection) -> list[str]:
    """Drop the big tables' indexes that back no constraint; return their definitions."""
    with conn.cursor() as cur:
        cur.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
            WHERE t.relname = ANY(%s)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            """,
            (list(BIG_TABLES),),
        )
        found = cur.fetchall()
        for name, _definition in found:
            cur.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in found]


def create_database(name: str) -> str:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    migrate(url)
    return url


# The tables whose ids the generator writes, and each county's share of them: a county's
# ids start at index × share, so counties can be written in any order, side by side.
# household_members: at most five per household (gaps in the province between counties).
def id_shares() -> dict[str, int]:
    patrols = PER_COUNTY["campaigns"] * PER_COUNTY["patrols_per_campaign"]
    return {
        "households": PER_COUNTY["households"],
        "household_members": 5 * PER_COUNTY["households"],
        "visits": PER_COUNTY["visits"],
        "tasks": PER_COUNTY["tasks"],
        "campaigns": PER_COUNTY["campaigns"],
        "patrols": patrols,
        "track_points": patrols * PER_COUNTY["points_per_track"],
    }


def write_county(url: str, county: County) -> dict[str, int]:
    """One county's rows, in a connection (and, with --jobs, a process) of its own.

    Each county draws from its own generator, seeded SEED + its index, in the order the
    county data set always drew (households, visits, tasks, patrols): the county data set,
    and the province's first county, are the rows a serial run wrote."""
    rng = random.Random(SEED + county.index)
    ids = Ids({table: county.index * share for table, share in id_shares().items()})
    with psycopg.connect(url) as conn:
        # The rows are consistent by construction: skip the per-row foreign-key triggers.
        conn.execute("SET session_replication_role = replica")
        # Bench data: a crash means generating again, so do not wait for the WAL flush.
        conn.execute("SET synchronous_commit = off")
        infos, households = draw_households(conn, ids, county, rng)
        write_visits(conn, ids, county, infos, households, rng)
        copy_rows(conn, "households", HOUSEHOLD_COLUMNS, households)
        write_tasks(conn, ids, county, infos, rng)
        write_patrols(conn, ids, county, rng)
    return ids.counters


def _write_county(job: tuple[str, County]) -> dict[str, int]:
    return write_county(*job)


def run_statements(url: str, statements: list[str], jobs: int) -> None:
    """Run independent statements (index builds, VACUUMs) on ``jobs`` connections."""

    def run(statement: str) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            # Sorting an index of 20 M rows in memory instead of in temporary files.
            conn.execute("SET maintenance_work_mem = '1GB'")
            conn.execute(statement)

    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(run, statements))


def rebuild_coverage_summary(url: str) -> int:
    """What the write path keeps for coverage reports (``flask coverage rebuild``): the
    COPY above goes around it. After ANALYZE, for the planner's sake."""
    from api.db import create_db_engine
    from api.visits.coverage import summary

    engine = create_db_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        months = summary.rebuild(db=connection)
    engine.dispose()
    return months


def generate(scale: str, database: str, jobs: int = 1) -> None:
    started = time.monotonic()

    def say(what: str) -> None:
        print(f"[{time.monotonic() - started:7.1f}s] {what}", flush=True)

    url = create_database(database)
    say(f"created and migrated {database}")
    ids = Ids()
    with psycopg.connect(url) as conn:
        conn.execute("SET session_replication_role = replica")
        definitions = drop_secondary_indexes(conn)
        counties = write_areas(conn, ids, SCALES[scale]["counties"])
        write_users(conn, ids, counties)
        conn.commit()
    say(f"{ids.counters['areas']} areas, {ids.counters['users']} users")
    work = [(url, county) for county in counties]
    if jobs == 1:
        written = map(_write_county, work)
    else:
        pool = multiprocessing.get_context("fork").Pool(jobs)
        written = pool.imap_unordered(_write_county, work)
    for counters in written:
        for table, last in counters.items():
            ids.counters[table] = max(ids.counters.get(table, 0), last)
        say(
            f"county done: up to household {counters['households']:,}, visit {counters['visits']:,}"
        )
    if jobs > 1:
        pool.close()
        pool.join()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for table in ids.counters:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)",
                (ids.counters[table],),
            )
        cur.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text)")
        cur.execute(
            "INSERT INTO bench_meta VALUES ('scale', %s), ('seed', %s), ('end', %s)",
            (scale, str(SEED), END.isoformat()),
        )
    # The largest indexes first, so that the last one to finish is a small one.
    definitions.sort(key=lambda d: " ON public.visits " not in d)
    run_statements(url, definitions, jobs)
    say(f"rebuilt {len(definitions)} indexes")
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            row[0]
            for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
    tables.sort(key=lambda t: t not in BIG_TABLES)
    run_statements(url, [f'VACUUM ANALYZE "{t}"' for t in tables], jobs)
    say("analyzed")
    # Post-load steps (data the write path and the workers derive) go here, after the
    # indexes and statistics and before "done".
    say(f"coverage summary: {rebuild_coverage_summary(url)} months")
    say("done")


def exists(database: str, scale: str) -> bool:
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    try:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT value FROM bench_meta WHERE key = 'scale'").fetchone()
            return row is not None and row[0] == scale
    except psycopg.Error:
        return False


def main() -> None:
    global ADMIN_URL
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="county")
    parser.add_argument("--database", help="default: doudi_bench or doudi_bench_province")
    parser.add_argument("--if-missing", action="store_true", help="keep an existing data set")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="a server's maintenance database")
    parser.add_argument(
        "--fraction", type=float, default=1.0, help="shrink households, visits and tasks (trials)"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=2,
        help="counties written side by side (one process and connection each), and index "
        "builds run side by side",
    )
    args = parser.parse_args()
    ADMIN_URL = args.admin_url
    for key in ("households", "visits", "tasks"):
        PER_COUNTY[key] = int(PER_COUNTY[key] * args.fraction)
    database = args.database or (
        "doudi_bench" if args.scale == "county" else "doudi_bench_province"
    )
    if args.if_missing and exists(database, args.scale):
        print(f"{database} already holds the {args.scale} data set")
        return
    generate(args.scale, database, args.jobs)


if __name__ == "__main__":
    main()
