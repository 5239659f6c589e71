"""Data-matching fixtures: the county of ``areas`` with a register household in village
A1 whose members have ID numbers, and people in the roles."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest

from api.common.idnumber import check_character
from api.matching import demo
from api.matching.models import Source
from api.visits.models import Household, HouseholdMember, HouseholdProgramme
from tests import factories
from tests.visits import factories as vf
from workers.app import use_app


@pytest.fixture(autouse=True)
def _jobs_use_the_test_app(app):
    use_app(app)


def id_number(birth: str, seq: int, division: str = "440229") -> str:
    first = f"{division}{birth}{seq:03d}"
    return first + check_character(first)


def csv_bytes(rows: list[list[str]], encoding: str = "gbk") -> bytes:
    """A CSV as Chinese office software writes it (GBK unless said)."""
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


@dataclass
class County:
    areas: object
    household: Household
    head: HouseholdMember
    spouse: HouseholdMember
    other_household: Household
    other_person: HouseholdMember
    admin: object
    supervisor: object
    town_supervisor: object
    town_b_supervisor: object
    worker: object
    worker_b: object
    rescue: object


def _person(household: Household, name: str, relation: str, number: str) -> HouseholdMember:
    member = HouseholdMember(
        household_id=household.id, position=9, name=name, relation=relation, id_number=number
    )
    household.members.append(member)
    return member


@pytest.fixture
def county(db, areas) -> County:
    household = vf.household(
        areas.village_a1,
        focus_groups=(),
        members=1,
        head_name="李秀兰",
        head_id_number=id_number("19580312", 21),
    )
    head = household.members[0]
    spouse = _person(household, "陈国平", "spouse", id_number("19710506", 13))
    other = vf.household(
        areas.village_b1,
        focus_groups=(),
        members=1,
        head_name="钟玉梅",
        head_id_number=id_number("19660218", 48),
    )
    other_person = other.members[0]
    db.flush()
    return County(
        areas=areas,
        household=household,
        head=head,
        spouse=spouse,
        other_household=other,
        other_person=other_person,
        admin=factories.user("admin", areas.county),
        supervisor=factories.user("supervisor", areas.county),
        town_supervisor=factories.user("supervisor", areas.town_a),
        town_b_supervisor=factories.user("supervisor", areas.town_b),
        worker=factories.user("outreach_worker", areas.town_a),
        worker_b=factories.user("outreach_worker", areas.town_b),
        rescue=factories.user("rescue_staff", areas.county),
    )


@pytest.fixture
def sources(db, county) -> dict[str, Source]:
    made = demo.load_sources(county.areas.county.id)
    return {s.code: s for s in made}


def give_programme(db, household: Household, programme: str = "dibao") -> None:
    db.add(HouseholdProgramme(household_id=household.id, programme=programme))
    db.flush()


MEDICAL_HEADER = [
    "姓名",
    "身份证号",
    "性别",
    "常住地址",
    "个人自付金额",
    "结算月份",
    "就诊医院",
    "病种",
]


def medical_row(name: str, number: str, amount: str, address: str = "") -> list[str]:
    return [name, number, "女", address, amount, "2026-10-31", "县医院", "脑梗死"]
