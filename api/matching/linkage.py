"""Each row of another department's list -> at most one person of the register.

Three methods, tried in this order for each row:

1. ``id_exact``: the row's ID number (an old 15-digit number converted to 18 characters)
   is a registered person's. Matched, unless the names have nothing in common (then a
   review: one of the two records holds someone else's number).
2. ``id_repaired``: the number fails its check character and one substitution of a
   character, or one swap of neighbours, gives a registered number whose person has the
   same name (same pinyin) or the same birth date. Always a review, never automatic.
3. ``probabilistic``: every other row (no number, an unusable one, or a valid number the
   register does not hold: most members' numbers were never typed in). A Fellegi-Sunter
   model in splink (DuckDB back end) compares name, birth date or year, sex and place.
   Name columns come from ``api.matching.names`` (simplified characters, pinyin with
   surname readings, near-homophone folding) so the model's SQL levels see homophones,
   heteronyms, variant and traditional characters, dropped middle characters and pinyin
   spellings as what they are.

The model's m and u probabilities are fixed by hand (``_comparisons``), not trained: the
register has no labelled pairs, EM on each upload would be slow and would drift with each
list, and the values below are what each level means (documented with them). Each level
is really read for its ratio m/u, the Bayes factor splink adds up as the match weight.
``Thresholds`` cut the match weight: ``matched`` at or above, ``review`` at or above the
lower one; a row whose two best candidates are close is a review whatever its weight
(two people fit it: a person, not the model, must pick).

A rejected pair (``row_key``, member) is never proposed again, by any method.
"""

from __future__ import annotations

import hashlib
import logging
import math
import tempfile
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator
from sqlalchemy import select

from api.areas.models import Area
from api.common.idnumber import (
    id_birth_date,
    id_number_problem,
    id_sex,
    normalize_id_number,
    upgrade_id_number,
)
from api.matching.names import NameKeys, name_keys
from api.visits.models import Household, HouseholdMember

CHUNK_ROWS = 25_000
DUCKDB_MEMORY = "512MB"
_BATCH = 50_000  # register members turned into Arrow at a time
# A row whose runner-up scores within this many bits (a factor of 8) of its best candidate
# is ambiguous: two people fit it about as well.
AMBIGUITY_BITS = 3.0
_CHECKED_NUMBER = frozenset("0123456789")


@dataclass(frozen=True, slots=True)
class Person:
    """One register member."""

    member_id: int
    household_id: int
    area_id: int  # the household's area (village)
    name: str
    id_number: str | None
    birth_date: date | None
    birth_year: int | None
    sex: str | None  # 'male' / 'female'


@dataclass(frozen=True, slots=True)
class Row:
    """One usable list row, already parsed."""

    row_no: int
    name: str | None
    id_number: str | None  # raw, as written in the list
    birth_date: date | None
    birth_year: int | None
    sex: str | None
    area_id: int | None  # the village or town the row's address resolved to
    address: str | None


@dataclass(slots=True)
class Match:
    row_no: int
    status: str  # 'matched' | 'review' | 'unmatched'
    method: str | None  # 'id_exact' | 'id_repaired' | 'probabilistic' | None
    member_id: int | None
    score: float | None  # probabilistic: splink's match weight (bits); 'id_*': None
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Thresholds:
    """Cut-offs on splink's match weight (log2 of the odds that the pair is one person,
    prior included). Defaults measured on the bench (bench/README.md, "Matching")."""

    matched: float
    review: float


DEFAULT = Thresholds(matched=0.0, review=-2.0)


# ---------------------------------------------------------------------------------------
# The register


@dataclass(frozen=True, slots=True)
class Place:
    level: str
    town_id: int | None
    name: str


class Register:
    """The members of an area subtree, held column-wise (a county's 570k members take a
    few hundred MB as Python objects; as Arrow columns they take tens)."""

    COLUMNS = (
        "uid",
        "household_id",
        "village_id",
        "town_id",
        "village_name",
        "name",
        "name_chars",
        "name_py",
        "name_py_alt",
        "name_fz",
        "name_fz_alt",
        "surname_last",
        "syllables",
        "birth_date",
        "birth_year",
        "sex",
        "id_number",
    )

    def __init__(self, table: pa.Table, places: dict[int, Place]) -> None:
        self.table = table
        self.places = places
        uids = table.column("uid").to_numpy()
        self._order = np.argsort(uids, kind="stable")
        self._sorted_uids = uids[self._order]
        # a number held by two members (a typing error in the register): both, for review
        self.by_id_number: dict[str, list[int]] = {}
        numbered = table.filter(pc.is_valid(table.column("id_number")))
        for number, uid in zip(
            numbered.column("id_number").to_pylist(),
            numbered.column("uid").to_pylist(),
            strict=True,
        ):
            self.by_id_number.setdefault(number, []).append(uid)

    def __len__(self) -> int:
        return self.table.num_rows

    def person(self, member_id: int) -> Person:
        i = int(self._order[np.searchsorted(self._sorted_uids, member_id)])
        row = {c: self.table.column(c)[i].as_py() for c in self.COLUMNS}
        return Person(
            member_id=member_id,
            household_id=row["household_id"],
            area_id=row["village_id"],
            name=row["name"],
            id_number=row["id_number"],
            birth_date=row["birth_date"],
            birth_year=row["birth_year"],
            sex=row["sex"],
        )

    def town_of(self, area_id: int | None) -> int | None:
        place = self.places.get(area_id) if area_id is not None else None
        return place.town_id if place else None

    def village(self, area_id: int | None) -> int | None:
        place = self.places.get(area_id) if area_id is not None else None
        return area_id if place and place.level == "village" else None

    @classmethod
    def from_people(cls, people: Iterable[Person], places: dict[int, Place]) -> Register:
        """The register of ``people``, built in batches (the Python objects of one batch
        at a time, the rest already Arrow)."""
        batches = []
        iterator = iter(people)
        while batch := list(islice(iterator, _BATCH)):
            columns: dict[str, list] = {c: [] for c in cls.COLUMNS}
            for p in batch:
                number = upgrade_id_number(p.id_number) if p.id_number else None
                birth_date = p.birth_date or (id_birth_date(number) if number else None)
                place = places.get(p.area_id)
                values = {
                    "uid": p.member_id,
                    "household_id": p.household_id,
                    "village_id": p.area_id,
                    "town_id": place.town_id if place else None,
                    "village_name": place.name if place else None,
                    "name": p.name,
                    "birth_date": birth_date,
                    "birth_year": birth_date.year if birth_date else p.birth_year,
                    "sex": p.sex or (id_sex(number) if number else None),
                    "id_number": number,
                }
                values.update(_name_columns(name_keys(p.name) if p.name else None))
                for c in cls.COLUMNS:
                    columns[c].append(values[c])
            batches.append(pa.record_batch(columns, schema=_SCHEMA))
        return cls(pa.Table.from_batches(batches, schema=_SCHEMA), places)


_SCHEMA = pa.schema(
    [
        ("uid", pa.int64()),
        ("household_id", pa.int64()),
        ("village_id", pa.int64()),
        ("town_id", pa.int64()),
        ("village_name", pa.string()),
        ("name", pa.string()),
        ("name_chars", pa.string()),
        ("name_py", pa.string()),
        ("name_py_alt", pa.string()),
        ("name_fz", pa.string()),
        ("name_fz_alt", pa.string()),
        ("surname_last", pa.string()),
        ("syllables", pa.int32()),
        ("birth_date", pa.date32()),
        ("birth_year", pa.int32()),
        ("sex", pa.string()),
        ("id_number", pa.string()),
    ]
)


def _name_columns(keys: NameKeys | None) -> dict[str, object]:
    if keys is None:
        return dict.fromkeys(
            ("name_chars", "name_py", "name_py_alt", "name_fz", "name_fz_alt", "surname_last"),
            None,
        ) | {"syllables": None}
    return {
        "name_chars": keys.chars,
        "name_py": keys.pinyin,
        "name_py_alt": keys.pinyin_alt,
        "name_fz": keys.fuzzy,
        "name_fz_alt": keys.fuzzy_alt,
        "surname_last": keys.surname_last,
        "syllables": keys.syllables,
    }


def load_places(session, area_id: int) -> dict[int, Place]:
    """The areas of the subtree of ``area_id``: level, town, name."""
    areas = Area.__table__
    root = select(areas.c.path).where(areas.c.id == area_id).scalar_subquery()
    rows = session.execute(
        select(areas.c.id, areas.c.level, areas.c.parent_id, areas.c.name)
        .where(areas.c.path.like(root + "%"))
        .execution_options(skip_scope=True)
    ).all()
    level = {r.id: r.level for r in rows}
    places = {}
    for r in rows:
        town = r.id if r.level == "town" else r.parent_id if r.level == "village" else None
        if town is not None and level.get(town) != "town":
            town = None
        places[r.id] = Place(r.level, town, r.name)
    return places


def load_register(session, area_id: int) -> Register:
    """Every member of the households of the area subtree, the head among them (the system
    reads it: the caller has decided who may match against which area).

    Streams the rows (Core select, ``yield_per``) into columns."""
    places = load_places(session, area_id)
    members, households = HouseholdMember.__table__, Household.__table__
    statement = (
        select(
            members.c.id,
            members.c.household_id,
            households.c.area_id,
            members.c.name,
            members.c.id_number,
            members.c.birth_date,
            members.c.birth_year,
            members.c.sex,
        )
        .join(households, households.c.id == members.c.household_id)
        .where(households.c.area_id.in_(list(places)))
        .order_by(members.c.id)
        .execution_options(skip_scope=True, yield_per=20_000)
    )
    result = session.execute(statement)

    def people() -> Iterator[Person]:
        for member_id, household_id, area, name, number, born, year, sex in result:
            yield Person(
                member_id=member_id,
                household_id=household_id,
                area_id=area,
                name=name,
                id_number=number,
                birth_date=born,
                birth_year=year,
                sex=sex,
            )

    return Register.from_people(people(), places)


# ---------------------------------------------------------------------------------------
# Rows


def usable_id_number(raw: str | None) -> str | None:
    return upgrade_id_number(raw) if raw else None


def row_key(row: Row) -> str:
    """The same person's row in next month's list gets the same key: the ID number when
    usable, else the simplified name, birth and sex. Hashed: the key is stored beside
    review decisions, which should not carry a number in clear."""
    number = usable_id_number(row.id_number)
    if number:
        text = "id:" + number
    else:
        keys = name_keys(row.name) if row.name else None
        born = row.birth_date.isoformat() if row.birth_date else str(row.birth_year or "")
        text = f"p:{keys.chars or keys.pinyin if keys else ''}:{born}:{row.sex or ''}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _repair_candidates(number: str) -> Iterator[str]:
    """Numbers one substitution or one swap of neighbours away from ``number``."""
    for i, char in enumerate(number):
        for other in "0123456789X" if i == 17 else "0123456789":
            if other != char:
                yield number[:i] + other + number[i + 1 :]
    for i in range(17):
        if number[i] != number[i + 1]:
            yield number[:i] + number[i + 1] + number[i] + number[i + 2 :]


def _same_name(row_keys: NameKeys | None, person_name: str) -> bool:
    other = name_keys(person_name)
    if row_keys is None or other is None:
        return False
    return bool({row_keys.pinyin, row_keys.pinyin_alt} & {other.pinyin, other.pinyin_alt})


def _names_related(row_keys: NameKeys | None, person_name: str) -> bool:
    other = name_keys(person_name)
    if row_keys is None or other is None:
        return True  # nothing to contradict the number
    return bool(
        {row_keys.fuzzy, row_keys.fuzzy_alt} & {other.fuzzy, other.fuzzy_alt}
        or row_keys.surname_last == other.surname_last
    )


def _by_id(
    row: Row, register: Register, rejected: Collection[tuple[str, int]], key: str
) -> tuple[Match | None, str | None]:
    """An ``id_*`` match, or None and the usable number (for the model) when there is none."""
    number = usable_id_number(row.id_number)
    keys = name_keys(row.name) if row.name else None
    if number:
        members = [m for m in register.by_id_number.get(number, ()) if (key, m) not in rejected]
        if not members:
            return None, number
        related = [m for m in members if _names_related(keys, register.person(m).name)]
        reasons = ["身份证号一致"]
        if len(members) > 1:
            reasons.append(f"登记中{len(members)}人同号，请核对")
        elif not related:
            reasons.append("姓名不一致，请核对")
        status = "matched" if len(members) == 1 and related else "review"
        member = (related or members)[0]
        return Match(row.row_no, status, "id_exact", member, None, reasons), number
    raw = normalize_id_number(row.id_number or "")
    if len(raw) != 18 or not set(raw[:17]) <= _CHECKED_NUMBER or id_number_problem(raw) is None:
        return None, None
    found: list[tuple[int, list[str]]] = []
    for candidate in _repair_candidates(raw):
        for member in register.by_id_number.get(candidate, ()):
            if (key, member) in rejected:
                continue
            person = register.person(member)
            reasons = []
            if _same_name(keys, person.name):
                reasons.append("姓名相同")
            if row.birth_date and row.birth_date == person.birth_date:
                reasons.append("出生日期相同")
            if reasons:
                found.append((member, reasons))
    if not found:
        return None, None
    found.sort(key=lambda item: -len(item[1]))
    member, reasons = found[0]
    reasons = ["身份证号校验位不符，与登记号码仅差一位或相邻两位颠倒", *reasons]
    if len(found) > 1:
        reasons.append(f"另有{len(found) - 1}个相近号码")
    return Match(row.row_no, "review", "id_repaired", member, None, reasons), None


def _row_columns(rows: list[tuple[Row, str | None]], register: Register) -> pa.Table:
    columns: dict[str, list] = {c: [] for c in Register.COLUMNS}
    columns["address"] = []
    for uid, (row, number) in enumerate(rows):
        birth_date = row.birth_date or (id_birth_date(number) if number else None)
        values = {
            "uid": uid,
            "household_id": None,
            "village_id": register.village(row.area_id),
            "town_id": register.town_of(row.area_id),
            "village_name": None,
            "name": row.name,
            "birth_date": birth_date,
            "birth_year": birth_date.year if birth_date else row.birth_year,
            "sex": row.sex or (id_sex(number) if number else None),
            "id_number": number,
            "address": row.address,
        }
        values.update(_name_columns(name_keys(row.name) if row.name else None))
        for c, value in values.items():
            columns[c].append(value)
    return pa.table(columns, schema=_SCHEMA.append(pa.field("address", pa.string())))


# ---------------------------------------------------------------------------------------
# The model


# Each comparison: its null condition, then its levels, most specific first, as
# (SQL condition or None for "anything else", reason in Chinese, m, u).
# m = P(level | same person), u = P(level | two random people of a county register).
# Names: most rows of a registered person write the name as registered (m 0.85); two random
# people share the exact name about once in 2,000 (a county's commonest names, 张伟, are
# shared by hundreds); same pinyin, same near-homophone class and a dropped middle
# character are rarer both ways. Birth: registers hold birth years, lists dates, so "same
# year, a date on one side only" is as telling for the same person as the same date is
# (m 0.9 each: the levels are read for their ratio m/u, the factor each adds to the odds).
# Place: a county has ~200 villages and ~8 towns. A valid ID number on both sides that
# differs: almost never the same person.
_LEVELS: dict[str, tuple[str, list[tuple]]] = {
    "name": (
        '"name_py_l" IS NULL OR "name_py_r" IS NULL',
        [
            ('"name_chars_l" = "name_chars_r"', "姓名相同", 0.85, 0.0005, "name_chars"),
            (
                '"name_py_l" = "name_py_r" OR "name_py_alt_l" = "name_py_r" '
                'OR "name_py_l" = "name_py_alt_r"',
                "姓名同音",
                0.08,
                0.0008,
            ),
            (
                '"name_fz_l" = "name_fz_r" OR "name_fz_alt_l" = "name_fz_r" '
                'OR "name_fz_l" = "name_fz_alt_r"',
                "姓名近音",
                0.03,
                0.002,
            ),
            (
                '"surname_last_l" = "surname_last_r" AND abs("syllables_l" - "syllables_r") = 1',
                "姓名缺字或多字",
                0.02,
                0.0005,
            ),
            ('jaro_winkler_similarity("name_fz_l", "name_fz_r") >= 0.9', "姓名相近", 0.01, 0.02),
            (None, "姓名不同", 0.01, 0.97),
        ],
    ),
    "birth": (
        '"birth_year_l" IS NULL OR "birth_year_r" IS NULL',
        [
            ('"birth_date_l" = "birth_date_r"', "出生日期相同", 0.9, 1 / 25_000),
            (
                '"birth_year_l" = "birth_year_r" '
                'AND ("birth_date_l" IS NULL OR "birth_date_r" IS NULL)',
                "出生年份相同",
                0.9,
                1 / 70,
            ),
            ('"birth_year_l" = "birth_year_r"', "出生年份相同、日期不同", 0.05, 1 / 70),
            ('abs("birth_year_l" - "birth_year_r") = 1', "出生年份差一年", 0.04, 2 / 70),
            (None, "出生年份不同", 0.01, 0.95),
        ],
    ),
    "sex": (
        '"sex_l" IS NULL OR "sex_r" IS NULL',
        [('"sex_l" = "sex_r"', "性别相同", 0.98, 0.5), (None, "性别不同", 0.02, 0.5)],
    ),
    "place": (
        # nothing resolved and an address that names no registered village: unknown, not
        # a disagreement (a renamed village, a street the register does not know)
        '"village_id_l" IS NULL AND "town_id_l" IS NULL '
        'AND ("address_l" IS NULL OR NOT contains("address_l", "village_name_r"))',
        [
            ('"village_id_l" = "village_id_r"', "同村", 0.85, 1 / 200),
            ('contains("address_l", "village_name_r")', "地址含登记村名", 0.6, 1 / 200),
            ('"town_id_l" = "town_id_r"', "同镇", 0.6, 1 / 8),
            (None, "不同村镇", 0.05, 0.85),
        ],
    ),
    "id_number": (
        '"id_number_l" IS NULL OR "id_number_r" IS NULL',
        [
            ('"id_number_l" = "id_number_r"', "身份证号一致", 0.99, 1e-7),
            (None, "身份证号不同", 0.005, 1.0),
        ],
    ),
}


_TF_COLUMNS = ("name_chars",)


def _comparisons() -> list[cl.CustomComparison]:
    comparisons = []
    for name, (null_sql, levels) in _LEVELS.items():
        creators = [cll.CustomLevel(null_sql).configure(is_null_level=True)]
        for sql, label, m, u, *tf in levels:
            level = cll.ElseLevel() if sql is None else cll.CustomLevel(sql)
            level.configure(m_probability=m, u_probability=u, label_for_charts=label)
            if tf:
                # the level's u becomes the frequency of this value (floored: a name seen
                # once in the register is not proof)
                level.configure(tf_adjustment_column=tf[0], tf_minimum_u_value=1e-5)
            creators.append(level)
        comparisons.append(cl.CustomComparison(creators, output_column_name=name))
    return comparisons


# The reason of a level, found by the match weight splink gives it (log2 m/u, distinct
# within each comparison).
_REASONS = {
    name: [(math.log2(m / u), label) for _sql, label, m, u, *_tf in levels]
    for name, (_null, levels) in _LEVELS.items()
}


def _reasons(pair: dict) -> list[str]:
    reasons = []
    for name, weights in _REASONS.items():
        weight = pair[f"mw_{name}"]
        if weight:  # 0: the null level, nothing to say
            reasons.append(min(weights, key=lambda item: abs(item[0] - weight))[1])
    return reasons


# Pairs are generated by any of these (splink joins on each, keeping each pair once).
_BLOCKING = [
    '"l"."name_fz" = "r"."name_fz" AND "l"."birth_year" = "r"."birth_year"',
    '"l"."name_fz_alt" = "r"."name_fz" AND "l"."birth_year" = "r"."birth_year"',
    '"l"."name_fz" = "r"."name_fz_alt" AND "l"."birth_year" = "r"."birth_year"',
    '"l"."name_fz" = "r"."name_fz" AND "l"."village_id" = "r"."village_id"',
    '"l"."name_fz" = "r"."name_fz" AND "l"."town_id" = "r"."town_id"',
    '"l"."surname_last" = "r"."surname_last" AND "l"."birth_year" = "r"."birth_year"',
    '"l"."surname_last" = "r"."surname_last" AND "l"."village_id" = "r"."village_id"',
    '"l"."birth_date" = "r"."birth_date" AND "l"."village_id" = "r"."village_id"',
]


def _settings(register_size: int) -> SettingsCreator:
    # The prior: about one person in the register for each row of a list that names people
    # of the county, i.e. one pair in register_size is a match (at most one in two: a
    # register of one person would make the prior certain, an infinite match weight).
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="uid",
        comparisons=_comparisons(),
        blocking_rules_to_generate_predictions=[
            {"blocking_rule": rule, "sql_dialect": "duckdb"} for rule in _BLOCKING
        ],
        probability_two_random_records_match=1 / max(register_size, 2),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=True,
    )


class _Model:
    """One DuckDB connection holding the register; each chunk of rows is linked to it."""

    def __init__(self, register: Register) -> None:
        self.connection = duckdb.connect(":memory:")
        self.connection.execute("SET threads TO 2")
        # bounded: what does not fit spills to a temporary directory
        self.connection.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
        spill = Path(tempfile.gettempdir()) / "doudi-matching"
        self.connection.execute("SET temp_directory = ?", [str(spill)])
        self.connection.execute("SET preserve_insertion_order = false")
        self.connection.register("register_arrow", register.table)
        # the rows' address column, empty: splink links tables of the same columns
        self.connection.execute(
            "CREATE TABLE register_people AS "
            "SELECT *, CAST(NULL AS VARCHAR) AS address FROM register_arrow"
        )
        self.connection.unregister("register_arrow")
        # How common each name is in the register (splink's term frequencies): sharing
        # 张伟 says less than sharing 欧阳秀英.
        for column in _TF_COLUMNS:
            self.connection.execute(
                f"CREATE TABLE tf_{column} AS SELECT {column}, "  # noqa: S608 (our names)
                f"count(*)::DOUBLE / sum(count(*)) OVER () AS tf_{column} "
                f"FROM register_people WHERE {column} IS NOT NULL GROUP BY {column}"
            )
        self.settings = _settings(len(register))
        self.chunks = 0

    def predict(
        self, rows: pa.Table, threshold: float, rejected: list[tuple[int, int]]
    ) -> list[dict]:
        """Each row's two best candidates above ``threshold`` (``rejected`` pairs of row
        index and member left out), with how many candidates it had."""
        self.chunks += 1
        api = DuckDBAPI(self.connection)
        left = api.register(rows, table_name=f"list_rows_{self.chunks}")
        right = api.register("register_people", table_name=f"register_{self.chunks}")
        linker = Linker([left, right], self.settings, log_level=None)
        for column in _TF_COLUMNS:
            lookup = api.register(f"tf_{column}", table_name=f"tf_{column}_{self.chunks}")
            linker.table_management.register_term_frequency_lookup(lookup, column)
        result = linker.inference.predict(threshold_match_weight=threshold, warning_mode="never")
        rejected_table = pa.table(
            {"row_uid": [r for r, _m in rejected], "member": [m for _r, m in rejected]},
            schema=pa.schema([("row_uid", pa.int64()), ("member", pa.int64())]),
        )
        self.connection.register("rejected_pairs", rejected_table)
        weights = ", ".join(f"mw_{c}" for c in _REASONS)
        # splink puts either input on the left: orient each pair as (row, member)
        table = self.connection.sql(
            f"""
            SELECT row_uid, member, match_weight, {weights},
                   count(*) OVER (PARTITION BY row_uid) AS candidates
            FROM (
                SELECT CASE WHEN starts_with(source_dataset_l, 'list_rows')
                            THEN uid_l ELSE uid_r END AS row_uid,
                       CASE WHEN starts_with(source_dataset_l, 'list_rows')
                            THEN uid_r ELSE uid_l END AS member,
                       match_weight, {weights}
                FROM {result.physical_name}
            ) pairs
            WHERE NOT EXISTS (
                SELECT 1 FROM rejected_pairs r
                WHERE r.row_uid = pairs.row_uid AND r.member = pairs.member
            )
            QUALIFY row_number() OVER (PARTITION BY row_uid ORDER BY match_weight DESC) <= 2
            """  # noqa: S608 (names of our own tables and columns)
        ).to_arrow_table()
        self.connection.unregister("rejected_pairs")
        # the chunk's intermediate tables (blocked pairs, the rows with term frequencies):
        # kept, they would add up chunk after chunk
        api.delete_tables_created_by_splink_from_db()
        self.connection.unregister(f"list_rows_{self.chunks}")
        return table.to_pylist()


def match_rows(
    rows: Iterable[Row],
    register: Register,
    *,
    rejected: Collection[tuple[str, int]] = (),
    thresholds: Thresholds = DEFAULT,
) -> Iterator[Match]:
    """The match of each row, chunk by chunk (CHUNK_ROWS), in the rows' order."""
    rejected = rejected if isinstance(rejected, (set, frozenset)) else set(rejected)
    rejected_by_key: dict[str, list[int]] = {}
    for key, member in rejected:
        rejected_by_key.setdefault(key, []).append(member)
    model: _Model | None = None
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK_ROWS)):
        results: list[Match | None] = []
        pending: list[tuple[Row, str | None]] = []
        keys: list[str] = []
        for row in chunk:
            key = row_key(row)
            match, number = _by_id(row, register, rejected, key)
            results.append(match)
            if match is None:
                pending.append((row, number))
                keys.append(key)
        if pending:
            if model is None:
                model = _Model(register)
            found = _best(model, pending, keys, register, rejected_by_key, thresholds)
            it = iter(found)
            results = [m if m is not None else next(it) for m in results]
        yield from results  # type: ignore[misc]


def _best(
    model: _Model,
    pending: list[tuple[Row, str | None]],
    keys: list[str],
    register: Register,
    rejected: dict[str, list[int]],
    thresholds: Thresholds,
) -> list[Match]:
    usable = [i for i, (row, _n) in enumerate(pending) if row.name and name_keys(row.name)]
    candidates: dict[int, list[dict]] = {}
    if usable:
        table = _row_columns([pending[i] for i in usable], register)
        excluded = [
            (uid, member) for uid, i in enumerate(usable) for member in rejected.get(keys[i], ())
        ]
        for pair in model.predict(table, thresholds.review - AMBIGUITY_BITS, excluded):
            candidates.setdefault(usable[pair["row_uid"]], []).append(pair)
    out = []
    for i, (row, _number) in enumerate(pending):
        pairs = sorted(candidates.get(i, ()), key=lambda p: -p["match_weight"])
        if not pairs or pairs[0]["match_weight"] < thresholds.review:
            reasons = (
                ["登记中未找到相符的人"] if row.name and name_keys(row.name) else ["姓名无法识别"]
            )
            out.append(Match(row.row_no, "unmatched", None, None, None, reasons))
            continue
        best = pairs[0]
        weight = best["match_weight"]
        reasons = _reasons(best)
        status = "matched" if weight >= thresholds.matched else "review"
        if len(pairs) > 1 and weight - pairs[1]["match_weight"] < AMBIGUITY_BITS:
            status = "review"
            reasons.append(f"另有{best['candidates'] - 1}人相近")
        out.append(
            Match(row.row_no, status, "probabilistic", best["member"], round(weight, 2), reasons)
        )
    return out


logging.getLogger("splink").setLevel(logging.WARNING)
