"""Benchmark 11: another department's list matched against the register (issue #15).

    .venv/bin/python bench/matching.py                      # 100,000 rows against doudi_bench
    .venv/bin/python bench/matching.py --rows 1000000
    .venv/bin/python bench/matching.py --members 50000      # no database: a register made here

Makes a list with known truth from the register (each row says which member it was made
from, or none), the ways lists go wrong mixed in (the CASES below), runs
``api.matching.linkage.match_rows`` over it in one process and prints precision and recall
per case and per method, the time, rows per second and the process's peak RSS.

The register is the bench data set's county (bench/generate.py: 572,098 members, each
with a birth date, 87 % with an ID number) loaded with ``load_register``, or, on
``--database doudi_bench_province``, the province's first county (the same people, read
from ten counties' tables); or, with --members N, a register of about N members made in
memory the way bench/generate.py first made it (heads with numbers, the others a birth
year only). A row carries its member's registered birth date, as a list from another
department would, except where its case changes it.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import opencc
from pypinyin import Style, lazy_pinyin

from api.common.idnumber import check_character, id_birth_date
from api.matching.linkage import (
    DEFAULT,
    Person,
    Place,
    Register,
    Row,
    Thresholds,
    load_register,
    match_rows,
)
from bench.generate import GIVEN, id_number, person_name

SEED = 20261130
_S2T = opencc.OpenCC("s2t")
# Homophones and near-homophones of the bench's name characters, as forms get them wrong.
HOMOPHONES = {
    "张": "章", "刘": "柳", "王": "汪", "李": "黎", "杨": "阳", "黄": "皇", "赵": "照",
    "吴": "武", "周": "舟", "徐": "许", "许": "徐", "孙": "荪", "马": "玛", "朱": "珠",
    "胡": "湖", "林": "琳", "高": "皋", "梁": "良", "郑": "正", "谢": "解", "宋": "送",
    "唐": "汤", "邓": "登", "冯": "逢", "韩": "寒", "曹": "漕", "彭": "蓬",
    "伟": "炜", "芳": "方", "娜": "纳", "敏": "民", "静": "晶", "丽": "莉", "强": "墙",
    "磊": "雷", "军": "君", "洋": "阳", "勇": "永", "艳": "燕", "杰": "洁", "娟": "绢",
    "涛": "韬", "明": "鸣", "超": "潮", "秀": "绣", "霞": "侠", "平": "萍", "刚": "钢",
    "桂": "贵", "英": "莹", "华": "桦", "玉": "钰", "兰": "岚", "萍": "平", "红": "虹",
    "辉": "晖", "建": "健", "国": "帼", "志": "智",
}  # fmt: skip
# Near-homophones: a different syllable in southern speech (zh/z, -ng/-n, n/l, f/h).
NEAR = {
    "陈": "程", "林": "凌", "张": "詹", "郑": "曾", "芳": "黄", "明": "民", "静": "进",
    "英": "银", "平": "频", "刚": "甘", "强": "钱", "洋": "言", "红": "洪", "辉": "飞",
}  # fmt: skip
VARIANTS = {"艳": "豔", "明": "朙", "国": "囯", "杰": "傑", "丽": "麗", "峰": "峯"}

# (case, share of rows). The "id" cases carry a number; the others are "rows without a
# usable ID" (the issue's goal of precision >= 0.98, recall >= 0.95 is on those).
CASES = (
    ("id_exact", 0.14),
    ("id_old15", 0.03),
    ("id_typo", 0.04),
    ("id_swap", 0.03),
    ("id_unregistered", 0.10),  # a valid number the register does not hold (non-heads)
    ("name_exact", 0.14),
    ("homophone", 0.06),
    ("near_homophone", 0.04),
    ("heteronym", 0.02),
    ("pinyin", 0.04),
    ("traditional", 0.04),
    ("variant", 0.03),
    ("dropped_added", 0.05),
    ("year_off", 0.05),
    ("renamed_village", 0.05),
    ("not_in_register", 0.14),
)
ID_CASES = {"id_exact", "id_old15", "id_typo", "id_swap"}


CASE_NAMES = [case for case, _share in CASES]


@dataclass
class Truth:
    """Per row (row_no - 1): its case's index in CASES, and its member or -1 (compact: a
    million rows of Python objects would count in the peak RSS measured)."""

    case: bytearray = field(default_factory=bytearray)
    member: array = field(default_factory=lambda: array("q"))


def synthetic_register(members: int, rng: random.Random) -> Register:
    """About ``members`` members in 8 towns x 25 villages, as bench/generate.py makes them."""
    places: dict[int, Place] = {1: Place("county", None, "测试县")}
    villages = []
    for t in range(8):
        town = 2 + t * 26
        places[town] = Place("town", town, f"第{t + 1}镇")
        for v in range(25):
            places[town + 1 + v] = Place("village", town, f"第{t + 1}镇{v + 1}村")
            villages.append(town + 1 + v)
    people = []
    household = member = 0
    while member < members:
        household += 1
        village = rng.choice(villages)
        birth = rng.randint(1940, 1995)
        member += 1
        number = id_number(rng, "440229", birth)
        people.append(
            Person(member, household, village, person_name(rng), number, None, birth, "male")
        )
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
            member += 1
            sex = rng.choice(("male", "female"))
            people.append(
                Person(
                    member,
                    household,
                    village,
                    person_name(rng),
                    None,
                    None,
                    rng.randint(1940, 2024),
                    sex,
                )
            )
    return Register.from_people(people, places)


def _valid_number(rng: random.Random, birth: date, sex: str | None) -> str:
    body = f"440229{birth:%Y%m%d}{rng.randint(0, 99):02d}"
    odd = rng.choice("13579") if sex == "male" else rng.choice("02468")
    body += odd
    return body + check_character(body)


def _broken(number: str, rng: random.Random, swap: bool) -> str:
    """A number one typo (or one swap of neighbours) away that fails its check character."""
    for _ in range(50):
        if swap:
            i = rng.randrange(16)
            if number[i] == number[i + 1]:
                continue
            candidate = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        else:
            i = rng.randrange(17)
            candidate = (
                number[:i] + rng.choice("0123456789".replace(number[i], "")) + number[i + 1 :]
            )
        if check_character(candidate[:17]) != candidate[17]:
            return candidate
    return number


def _replace_one(name: str, table: dict[str, str], rng: random.Random) -> str | None:
    spots = [i for i, char in enumerate(name) if char in table]
    if not spots:
        return None
    i = rng.choice(spots)
    return name[:i] + table[name[i]] + name[i + 1 :]


def _pinyin(name: str, everyday: bool = False) -> str:
    syllables = lazy_pinyin(name, style=Style.NORMAL)
    if not everyday and name[0] in "曾":
        syllables[0] = "zeng"
    return syllables[0].capitalize() + " " + "".join(syllables[1:]).capitalize()


def make_rows(register: Register, count: int, rng: random.Random, truth: Truth):
    """The list, lazily (a million rows are not held at once); truth is filled as it goes."""
    t = register.table
    uids = t.column("uid").to_pylist()
    names = t.column("name").to_pylist()
    villages = t.column("village_id").to_pylist()
    towns = t.column("town_id").to_pylist()
    years = t.column("birth_year").to_pylist()
    births = t.column("birth_date").to_pylist()
    sexes = t.column("sex").to_pylist()
    numbers = t.column("id_number").to_pylist()
    with_number = [i for i, n in enumerate(numbers) if n]
    without_number = [i for i, n in enumerate(numbers) if not n]
    zeng = [i for i, n in enumerate(names) if n.startswith("曾")]
    village_ids = sorted(a for a, p in register.places.items() if p.level == "village")
    cases, weights = zip(*CASES, strict=True)
    for row_no in range(1, count + 1):
        case = rng.choices(cases, weights)[0]
        if case in ID_CASES:
            i = rng.choice(with_number)
        elif case == "id_unregistered":
            i = rng.choice(without_number)
        elif case == "heteronym" and zeng:
            i = rng.choice(zeng)
        else:
            i = rng.randrange(len(uids))
        name, year, sex, village = names[i], years[i], sexes[i], villages[i]
        number = numbers[i]
        # The registered birth date (the register keeps one from the ID number, or as
        # entered); a list carries the same date. Only a member without one gets a
        # made-up date of the registered year.
        born = births[i] or (id_birth_date(number) if number else None)
        if born is None and year is not None:
            born = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        area, address, raw_id, birth_date, birth_year = village, None, None, born, None
        member: int | None = uids[i]
        if case == "id_exact":
            raw_id = number
        elif case == "id_old15":
            raw_id = number[:6] + number[8:17] if born and born.year < 2000 else number
        elif case in ("id_typo", "id_swap"):
            raw_id = _broken(number, rng, swap=case == "id_swap")
        elif case == "id_unregistered":
            raw_id = _valid_number(rng, born, sex)
            birth_date = None
        elif case == "homophone":
            name = _replace_one(name, HOMOPHONES, rng) or name
        elif case == "near_homophone":
            name = _replace_one(name, NEAR, rng) or _replace_one(name, HOMOPHONES, rng) or name
        elif case == "heteronym":
            name = _pinyin(name, everyday=True)
        elif case == "pinyin":
            name = _pinyin(name)
        elif case == "traditional":
            name = _S2T.convert(name)
        elif case == "variant":
            name = _replace_one(name, VARIANTS, rng) or _S2T.convert(name)
        elif case == "dropped_added":
            name = name[0] + name[2] if len(name) == 3 else name[0] + rng.choice(GIVEN) + name[1:]
        elif case == "year_off":
            birth_date, birth_year = None, year + rng.choice((-1, 1))
        elif case == "renamed_village":
            town = towns[i]
            area = town if rng.random() < 0.5 else None
            address = f"{register.places[town].name}新{rng.randint(1, 99)}村{rng.randint(1, 300)}号"
        elif case == "not_in_register":
            member = None
            name = person_name(rng)
            birth_date = date(rng.randint(1940, 2010), rng.randint(1, 12), rng.randint(1, 28))
            sex = rng.choice(("male", "female"))
            area = rng.choice(village_ids)
            if rng.random() < 0.5:
                raw_id = _valid_number(rng, birth_date, sex)
        if rng.random() < 0.1 and case not in ("id_unregistered", "not_in_register"):
            sex = None  # lists often leave sex out
        if birth_date is None and birth_year is None and raw_id is None:
            birth_year = year
        truth.case.append(CASE_NAMES.index(case))
        truth.member.append(-1 if member is None else member)
        yield Row(row_no, name, raw_id, birth_date, birth_year, sex, area, address)


def cpu_seconds() -> float:
    """User + system time of this process (all its threads: DuckDB's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Tally:
    """Counts per case and per method, and (score, right) of the probabilistic answers on
    rows without a usable ID for the threshold sweep, taken as the matches stream by."""

    def __init__(self, truth: Truth) -> None:
        self.truth = truth
        self.by_case: dict[str, Counter] = {}
        self.by_method: dict[str, Counter] = {}
        self.status: Counter = Counter()
        self.scores = array("d")
        self.right = bytearray()
        self.wanted = 0

    def add(self, m) -> None:
        case = CASE_NAMES[self.truth.case[m.row_no - 1]]
        want = self.truth.member[m.row_no - 1]
        want = None if want < 0 else want
        self.status[m.status] += 1
        c = self.by_case.setdefault(case, Counter())
        c["rows"] += 1
        c["in_register"] += want is not None
        if m.member_id is not None:
            right = m.member_id == want
            c[f"{m.status}_right" if right else f"{m.status}_wrong"] += 1
            k = self.by_method.setdefault(f"{m.method} ({m.status})", Counter())
            k["proposed"] += 1
            k["right"] += right
        if case not in ID_CASES:
            self.wanted += want is not None
            if m.method == "probabilistic" and not any("人相近" in r for r in m.reasons):
                self.scores.append(m.score)
                self.right.append(m.member_id == want)

    def report(self) -> None:
        print("statuses:", dict(self.status))
        print(
            "\n| case | rows | in register | matched right | matched wrong | review right | "
            "review wrong | precision (matched) | recall (matched) | recall (matched + review) |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        totals = {"usable ID": Counter(), "no usable ID": Counter()}
        for case in CASE_NAMES:
            c = self.by_case.get(case, Counter())
            totals["usable ID" if case in ID_CASES else "no usable ID"].update(c)
            _line(case, c)
        for group, c in totals.items():
            _line(f"**{group}**", c)
        print("\n| method (status) | proposed | right | precision |")
        print("| --- | ---: | ---: | ---: |")
        for method, k in sorted(self.by_method.items()):
            precision = k["right"] / k["proposed"]
            print(f"| {method} | {k['proposed']:,} | {k['right']:,} | {precision:.4f} |")
        # had the matched threshold been T (a row two people fit stays a review whatever T)
        print("\n| matched threshold T (rows without a usable ID) | precision | recall |")
        print("| ---: | ---: | ---: |")
        for t in range(-4, 11):
            chosen = [
                right for score, right in zip(self.scores, self.right, strict=True) if score >= t
            ]
            if chosen:
                precision, recall = sum(chosen) / len(chosen), sum(chosen) / self.wanted
                print(f"| {t} | {precision:.4f} | {recall:.4f} |")


def _line(label: str, c: Counter) -> None:
    matched = c["matched_right"] + c["matched_wrong"]
    precision = f"{c['matched_right'] / matched:.4f}" if matched else "-"
    recall = f"{c['matched_right'] / c['in_register']:.4f}" if c["in_register"] else "-"
    both = c["matched_right"] + c["review_right"]
    recall_both = f"{both / c['in_register']:.4f}" if c["in_register"] else "-"
    print(
        f"| {label} | {c['rows']:,} | {c['in_register']:,} | {c['matched_right']:,} | "
        f"{c['matched_wrong']:,} | {c['review_right']:,} | {c['review_wrong']:,} | "
        f"{precision} | {recall} | {recall_both} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database", default="doudi_bench")
    parser.add_argument("--members", type=int, help="no database: a register of ~N made here")
    parser.add_argument("--matched", type=float, default=DEFAULT.matched)
    parser.add_argument("--review", type=float, default=DEFAULT.review)
    args = parser.parse_args()
    rng = random.Random(SEED)
    started = time.monotonic()
    if args.members:
        register = synthetic_register(args.members, rng)
        source = f"a register of {len(register):,} members made in memory"
    else:
        from sqlalchemy import create_engine, select
        from sqlalchemy.orm import Session

        from api.areas.models import Area

        engine = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{args.database}")
        with Session(engine) as session:
            county = session.execute(
                select(Area.id)
                .where(Area.level == "county")
                .order_by(Area.id)
                .limit(1)
                .execution_options(skip_scope=True)  # the bench reads as the system
            ).scalar_one()
            register = load_register(session, county)
        engine.dispose()
        source = f"{args.database}'s first county, {len(register):,} members"
    loaded = time.monotonic()
    print(
        f"register: {source}; loaded in {loaded - started:.1f} s (CPU {cpu_seconds():.1f} s), "
        f"peak RSS {rss_mb():.0f} MB"
    )

    # the list alone (its first 100,000 rows, scaled), to take its making out of the time
    probe, probed = Truth(), min(args.rows, 100_000)
    for _ in make_rows(register, probed, random.Random(SEED + 1), probe):
        pass
    made = loaded + (time.monotonic() - loaded) * args.rows / probed
    del probe
    truth = Truth()
    rows = make_rows(register, args.rows, random.Random(SEED + 1), truth)
    thresholds = Thresholds(matched=args.matched, review=args.review)
    begun, cpu_begun = time.monotonic(), cpu_seconds()
    tally = Tally(truth)
    for match in match_rows(rows, register, thresholds=thresholds):
        tally.add(match)
    done, cpu = time.monotonic(), cpu_seconds() - cpu_begun
    seconds = done - begun - (made - loaded)
    print(
        f"{args.rows:,} rows matched in {seconds:.1f} s ({args.rows / seconds:,.0f} rows/s; "
        f"making the list took {made - loaded:.1f} s more, not counted); CPU {cpu:.1f} s "
        f"(list making included); "
        f"peak RSS {rss_mb():.0f} MB; thresholds matched >= {args.matched}, review >= {args.review}"
    )
    tally.report()


if __name__ == "__main__":
    main()
