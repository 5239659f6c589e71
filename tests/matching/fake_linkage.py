"""A stand-in for the matching engine (``api.matching.linkage``), exact ID numbers only
plus a one-character repair proposed for review, with the engine's interface. Tests point
``api.matching.imports.LINKAGE`` at it until the engine lands; then they use the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from api.areas.models import Area
from api.areas.scope import subtree
from api.common.idnumber import id_number_problem


@dataclass(frozen=True)
class Person:
    member_id: int
    household_id: int
    area_id: int
    name: str
    id_number: str | None
    birth_date: date | None
    birth_year: int | None
    sex: str | None


@dataclass(frozen=True)
class Row:
    row_no: int
    name: str | None
    id_number: str | None
    birth_date: date | None
    birth_year: int | None
    sex: str | None
    area_id: int | None
    address: str | None


@dataclass(frozen=True)
class Match:
    row_no: int
    status: str
    method: str | None
    member_id: int | None
    score: float | None
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Thresholds:
    matched: float
    review: float


DEFAULT = Thresholds(0.9, 0.6)


@dataclass
class Register:
    by_id: dict[str, Person]


def load_register(session: Any, area_id: int) -> Register:
    from api.visits.models import Household, HouseholdMember

    area = session.scalar(select(Area).where(Area.id == area_id))
    rows = session.execute(
        select(HouseholdMember, Household.area_id)
        .join(Household, Household.id == HouseholdMember.household_id)
        .where(Household.area_id.in_(subtree(area)), HouseholdMember.id_number.is_not(None))
    ).all()
    return Register(
        {
            m.id_number: Person(
                m.id, m.household_id, a, m.name, m.id_number, None, m.birth_year, m.sex
            )
            for m, a in rows
        }
    )


def row_key(row: Row) -> str:
    return row.id_number or f"{row.name}|{row.birth_date or row.birth_year}|{row.area_id}"


def _one_off(a: str, b: str) -> bool:
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def match_rows(
    rows: Iterable[Row],
    register: Register,
    *,
    rejected: Iterable[tuple[str, int]] = (),
    thresholds: Thresholds = DEFAULT,
) -> Iterator[Match]:
    refused = set(rejected)
    for row in rows:
        number = row.id_number
        person = register.by_id.get(number) if number else None
        if person is not None and (row_key(row), person.member_id) not in refused:
            yield Match(row.row_no, "matched", "id_exact", person.member_id, 1.0, ["id number"])
            continue
        if number and len(number) == 18 and id_number_problem(number):
            for known, candidate in register.by_id.items():
                if (
                    _one_off(number, known)
                    and candidate.name == row.name
                    and (row_key(row), candidate.member_id) not in refused
                ):
                    yield Match(
                        row.row_no,
                        "review",
                        "id_repaired",
                        candidate.member_id,
                        0.8,
                        ["id number one character off", "same name"],
                    )
                    break
            else:
                yield Match(row.row_no, "unmatched", None, None, None, [])
            continue
        yield Match(row.row_no, "unmatched", None, None, None, [])
