"""The matching engine: each method, each way a Chinese name goes wrong on a form, rejected
pairs, old 15-digit numbers, one person at most per row; and load_register on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from api.common.idnumber import check_character, id_birth_date, id_sex, upgrade_id_number
from api.matching.linkage import (
    Person,
    Place,
    Register,
    Row,
    load_register,
    match_rows,
    row_key,
)
from api.matching.names import name_keys
from api.visits.models import HouseholdMember
from api.visits.people import id_number_facts
from tests.visits import factories as vf

TOWN, VILLAGE_1, VILLAGE_2, OTHER_TOWN, OTHER_VILLAGE = 10, 11, 12, 20, 21
PLACES = {
    TOWN: Place("town", TOWN, "甲镇"),
    VILLAGE_1: Place("village", TOWN, "甲一村"),
    VILLAGE_2: Place("village", TOWN, "甲二村"),
    OTHER_TOWN: Place("town", OTHER_TOWN, "乙镇"),
    OTHER_VILLAGE: Place("village", OTHER_TOWN, "乙一村"),
}


def number(birth: date, sequence: int = 123) -> str:
    body = f"440229{birth:%Y%m%d}{sequence:03d}"
    return body + check_character(body)


ZHANG_WEI_ID = number(date(1980, 1, 1))  # 4402291980010112..
PEOPLE = [
    Person(1, 1, VILLAGE_1, "张伟", ZHANG_WEI_ID, None, 1980, "male"),
    Person(2, 1, VILLAGE_1, "单丽", None, None, 1982, "female"),
    Person(3, 2, VILLAGE_2, "曾国强", None, None, 1950, "male"),
    Person(4, 2, VILLAGE_2, "陈芳", None, None, 1975, "female"),
    Person(5, 3, VILLAGE_2, "刘小洋", None, None, 1990, "male"),
    Person(6, 4, OTHER_VILLAGE, "王哲", None, None, 1966, "male"),
    Person(7, 5, OTHER_VILLAGE, "黄秀英", number(date(1961, 5, 20), 244), None, 1961, "female"),
    # two people a nameless-ID row cannot tell apart
    Person(8, 6, VILLAGE_1, "李明", None, None, 1970, "male"),
    Person(9, 7, VILLAGE_1, "李明", None, None, 1970, "male"),
    Person(10, 8, VILLAGE_2, "周红", None, None, 1985, "female"),
]


@pytest.fixture(scope="module")
def register() -> Register:
    return Register.from_people(PEOPLE, PLACES)


def row(row_no: int, name: str | None, **fields) -> Row:
    values = {
        "id_number": None,
        "birth_date": None,
        "birth_year": None,
        "sex": None,
        "area_id": None,
        "address": None,
    }
    values.update(fields)
    return Row(row_no=row_no, name=name, **values)


def one(register: Register, r: Row, **options):
    (found,) = list(match_rows([r], register, **options))
    return found


# --- ID numbers ------------------------------------------------------------------------


def test_an_old_15_digit_number_is_converted():
    old = "440229800101123"  # 1980-01-01, sequence 123
    assert upgrade_id_number(old) == ZHANG_WEI_ID
    assert upgrade_id_number(ZHANG_WEI_ID.lower()) == ZHANG_WEI_ID
    assert upgrade_id_number("440229800101") is None
    wrong_check = "0" if ZHANG_WEI_ID[17] != "0" else "1"
    assert upgrade_id_number(ZHANG_WEI_ID[:17] + wrong_check) is None
    assert id_birth_date(ZHANG_WEI_ID) == date(1980, 1, 1)
    assert id_sex(ZHANG_WEI_ID) == "male"  # sequence 123: odd
    assert id_sex(number(date(1961, 5, 20), 244)) == "female"


def test_exact_id_number_matches(register):
    found = one(register, row(1, "张伟", id_number=ZHANG_WEI_ID))
    assert (found.status, found.method, found.member_id) == ("matched", "id_exact", 1)


def test_an_old_15_digit_number_matches_the_18_digit_one(register):
    found = one(register, row(1, "张伟", id_number="440229800101123"))
    assert (found.status, found.method, found.member_id) == ("matched", "id_exact", 1)


def test_exact_id_with_an_unrelated_name_is_a_review(register):
    found = one(register, row(1, "赵四", id_number=ZHANG_WEI_ID))
    assert (found.status, found.method, found.member_id) == ("review", "id_exact", 1)


def typo(value: str, position: int) -> str:
    changed = value[:position] + str((int(value[position]) + 1) % 10) + value[position + 1 :]
    assert check_character(changed[:17]) != changed[17]  # the typo breaks the check
    return changed


@pytest.mark.parametrize(
    "broken",
    [
        typo(ZHANG_WEI_ID, 15),
        # neighbours 14 and 15 ("2" and "3") swapped
        ZHANG_WEI_ID[:14] + ZHANG_WEI_ID[15] + ZHANG_WEI_ID[14] + ZHANG_WEI_ID[16:],
    ],
    ids=["one character", "one swap"],
)
def test_a_repaired_number_is_only_a_candidate_for_review(register, broken):
    assert upgrade_id_number(broken) is None
    found = one(register, row(1, "张伟", id_number=broken))
    assert (found.status, found.method, found.member_id) == ("review", "id_repaired", 1)
    assert "姓名相同" in found.reasons


def test_a_repaired_number_with_the_same_birth_date_only(register):
    broken = typo(number(date(1961, 5, 20), 244), 16)
    found = one(register, row(1, "黄琇莹", id_number=broken, birth_date=date(1961, 5, 20)))
    assert (found.status, found.method, found.member_id) == ("review", "id_repaired", 7)
    assert "出生日期相同" in found.reasons


def test_a_repaired_number_needs_the_same_name_or_birth_date(register):
    found = one(register, row(1, "赵四", id_number=typo(ZHANG_WEI_ID, 15)))
    assert found.method != "id_repaired"
    assert found.member_id is None


# --- the probabilistic model: each way a name goes wrong -------------------------------


@pytest.mark.parametrize(
    ("written", "fields", "member"),
    [
        ("张伟", {"birth_year": 1980, "sex": "male", "area_id": VILLAGE_1}, 1),  # as registered
        ("章伟", {"birth_year": 1980, "sex": "male", "area_id": VILLAGE_1}, 1),  # homophone
        ("柳小洋", {"birth_year": 1990, "area_id": VILLAGE_2}, 5),  # homophone 刘/柳
        ("程芳", {"birth_date": date(1975, 3, 3), "address": "甲镇甲二村5号"}, 4),  # near
        ("Dan Li", {"birth_year": 1982, "sex": "female", "area_id": VILLAGE_1}, 2),  # 单: dan
        ("Ceng Guoqiang", {"birth_year": 1950, "area_id": VILLAGE_2}, 3),  # 曾: ceng
        ("曾國強", {"birth_year": 1950, "area_id": VILLAGE_2}, 3),  # traditional
        ("王喆", {"birth_year": 1966, "area_id": OTHER_VILLAGE}, 6),  # variant 喆/哲
        ("刘洋", {"birth_year": 1990, "sex": "male", "area_id": VILLAGE_2}, 5),  # dropped
        ("陈小芳", {"birth_year": 1975, "area_id": VILLAGE_2}, 4),  # added
        ("ZHANG Wei", {"birth_year": 1980, "area_id": VILLAGE_1}, 1),  # pinyin
        ("周红", {"birth_year": 1986, "area_id": VILLAGE_2}, 10),  # birth year off by one
        ("曾国强", {"birth_year": 1950, "area_id": TOWN, "address": "甲镇新风村"}, 3),  # renamed
    ],
    ids=[
        "same",
        "homophone",
        "homophone-liu",
        "near-homophone",
        "heteronym-dan",
        "heteronym-zeng",
        "traditional",
        "variant",
        "dropped",
        "added",
        "pinyin",
        "year-off",
        "renamed-village",
    ],
)
def test_probabilistic_finds_the_person_however_the_name_is_written(
    register, written, fields, member
):
    found = one(register, row(1, written, **fields))
    assert (found.method, found.member_id) == ("probabilistic", member), found
    assert found.status in ("matched", "review")
    assert found.score is not None and found.reasons


def test_the_plain_cases_are_matched_automatically(register):
    found = one(register, row(1, "章伟", birth_year=1980, sex="male", area_id=VILLAGE_1))
    assert found.status == "matched"
    assert "姓名同音" in found.reasons and "同村" in found.reasons


def test_name_keys_meet_across_the_ways_of_writing():
    same = [("张伟", "章伟"), ("張偉", "张伟"), ("王喆", "王哲"), ("Zhang Wei", "张伟")]
    for a, b in same:
        assert name_keys(a).pinyin == name_keys(b).pinyin
    assert name_keys("单丽").pinyin == "shanli" and name_keys("单丽").pinyin_alt == "danli"
    assert name_keys("陈芳").fuzzy == name_keys("程芳").fuzzy
    assert name_keys("芳").fuzzy == name_keys("黄").fuzzy  # f/hu
    assert name_keys("张伟").surname_last == name_keys("张小伟").surname_last
    assert name_keys("12345") is None


def test_someone_not_in_the_register_is_unmatched(register):
    found = one(register, row(1, "欧阳娜娜", birth_year=2001, area_id=VILLAGE_1))
    assert (found.status, found.member_id) == ("unmatched", None)


def test_a_valid_number_the_register_lacks_is_matched_by_the_model(register):
    # 单丽 has no number on the register; the list's number gives her birth year and sex
    found = one(register, row(1, "单丽", id_number=number(date(1982, 7, 1), 222), area_id=11))
    assert (found.method, found.member_id) == ("probabilistic", 2)


def test_a_row_two_people_fit_goes_to_review_with_one_of_them(register):
    found = one(register, row(1, "李明", birth_year=1970, sex="male", area_id=VILLAGE_1))
    assert found.status == "review"
    assert found.member_id in (8, 9)
    assert any("相近" in reason for reason in found.reasons)


# --- rejected pairs, one person per row ------------------------------------------------


def test_a_rejected_pair_is_never_proposed_again(register):
    by_number = row(1, "张伟", id_number=ZHANG_WEI_ID)
    rejected = {(row_key(by_number), 1)}
    assert one(register, by_number, rejected=rejected).member_id != 1

    by_name = row(2, "陈芳", birth_year=1975, area_id=VILLAGE_2)
    assert one(register, by_name).member_id == 4
    found = one(register, by_name, rejected={(row_key(by_name), 4)})
    assert found.member_id != 4

    # next month's list: the same person, another row number and address, the same key
    again = row(9, "陈芳", birth_year=1975, area_id=VILLAGE_2, address="甲二村3号")
    assert row_key(again) == row_key(by_name)
    assert one(register, again, rejected={(row_key(by_name), 4)}).member_id != 4


def test_row_key_of_a_15_digit_number_is_the_18_digit_ones():
    assert row_key(row(1, "张伟", id_number="440229800101123")) == row_key(
        row(2, "張偉", id_number=ZHANG_WEI_ID)
    )
    assert row_key(row(1, "张伟", birth_year=1980)) != row_key(row(1, "张伟", birth_year=1981))


def test_each_row_gets_exactly_one_answer_with_at_most_one_person(register):
    rows = [
        row(1, "张伟", id_number=ZHANG_WEI_ID),
        row(2, "李明", birth_year=1970, area_id=VILLAGE_1),
        row(3, "李明", birth_year=1970, area_id=VILLAGE_1),
        row(4, None, birth_year=1970),
        row(5, "欧阳娜娜", birth_year=2001),
        row(6, "章伟", birth_year=1980, area_id=VILLAGE_1),
    ]
    found = list(match_rows(rows, register))
    assert [m.row_no for m in found] == [1, 2, 3, 4, 5, 6]
    assert all(isinstance(m.member_id, int) or m.member_id is None for m in found)
    assert found[3].status == "unmatched"


# --- PostgreSQL ------------------------------------------------------------------------


def test_load_register_reads_the_area_subtree(db, areas):
    head_number = number(date(1979, 2, 3), 134)
    home = vf.household(areas.village_a1, head_name="黄秀英", head_id_number=head_number, members=1)
    child_number = number(date(2005, 6, 7), 246)
    home.members.append(
        HouseholdMember(
            position=1,
            name="黄金凤",
            relation="child",
            id_number=child_number,
            **id_number_facts(child_number),
        )
    )
    other_town = vf.household(areas.village_b1, head_name="乙镇人", members=1)
    db.flush()

    register = load_register(db, areas.town_a.id)
    assert len(register) == 2
    head, child = (register.person(m.id) for m in home.members)
    assert (head.name, head.id_number, head.area_id) == ("黄秀英", head_number, areas.village_a1.id)
    assert head.birth_date == date(1979, 2, 3) and head.sex == "female"
    assert (child.birth_date, child.sex, child.household_id) == (
        date(2005, 6, 7),
        "female",
        home.id,
    )
    assert register.town_of(areas.village_a1.id) == areas.town_a.id
    assert other_town.members[0].id not in set(register.table.column("uid").to_pylist())

    found = list(
        match_rows(
            [
                Row(1, "黄秀英", "440229790203134", None, None, None, None, None),
                Row(2, "黃金鳳", None, None, 2005, None, areas.village_a1.id, None),
            ],
            register,
        )
    )
    assert [(m.method, m.member_id) for m in found] == [
        ("id_exact", home.members[0].id),
        ("probabilistic", home.members[1].id),
    ]
