"""Migration 0018 (the register's people) carries existing households over, on PostgreSQL
and on SQLite: one head member per household, relation codes, sex and birth date from
valid ID numbers, and a report of what it could not reconcile."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from api.migrate import upgrade
from tests.databases import BACKENDS, empty_engine
from tests.visits.factories import valid_id_number

BEFORE = "0017_sync"  # with 0011_name_statistics (its dependency): the line before 0018
HEAD_ID = valid_id_number("440229196505051230")  # male, 1965-05-05
WIFE_ID = valid_id_number("440229196807070240")  # female, 1968-07-07
OLD_15 = "440229700303123"  # an old 15-digit number: male, 1970-03-03


def _seed(conn):
    now = datetime(2026, 1, 1, tzinfo=UTC)
    conn.execute(
        text(
            "INSERT INTO areas (id, code, name, level, path, created_at) "
            "VALUES (1, '440229', '县', 'county', '/1/', :now), "
            "(2, '440229001001', '甲村', 'village', '/1/2/', :now)"
        ),
        {"now": now},
    )
    households = [
        # 1: the demo's case: head 黄秀英, but the 户主 member is 黄金凤.
        (1, "黄秀英", None),
        # 2: a consistent household whose 户主 member lacks the head's ID number.
        (2, "陈伟", HEAD_ID),
        # 3: no member at all: the head member is made from the head fields.
        (3, "李四", OLD_15),
        # 4: two members recorded as 户主, one of them the head.
        (4, "王芳", None),
    ]
    for household_id, name, number in households:
        conn.execute(
            text(
                "INSERT INTO households (id, area_id, address, urban_rural, head_name, "
                "head_id_number, created_at, updated_at) "
                "VALUES (:id, 2, '甲村', 'rural', :name, :number, :now, :now)"
            ),
            {"id": household_id, "name": name, "number": number, "now": now},
        )
    members = [
        (1, 0, "黄金凤", "户主", "female", 1950, None),
        (1, 1, "黄秀英", "配偶", "female", 1952, None),
        (1, 2, "黄小明", "孙子", None, 2010, None),
        (2, 0, "陈伟", "户主", "female", 1960, None),  # the ID says male, 1965
        (2, 1, "林芳", "妻子", None, None, WIFE_ID),
        (2, 2, "陈某", "干儿子", None, None, "123"),  # unknown word, invalid number
        (4, 0, "王芳", "户主", None, None, None),
        (4, 1, "王芳芳", "户主", None, None, None),
    ]
    for household_id, position, name, relation, sex, year, number in members:
        conn.execute(
            text(
                "INSERT INTO household_members (household_id, position, name, relation, sex, "
                "birth_year, id_number) VALUES (:h, :p, :name, :relation, :sex, :year, :number)"
            ),
            {
                "h": household_id,
                "p": position,
                "name": name,
                "relation": relation,
                "sex": sex,
                "year": year,
                "number": number,
            },
        )


def _members(conn, household_id):
    return conn.execute(
        text(
            "SELECT name, relation, sex, birth_date, birth_year, id_number "
            "FROM household_members WHERE household_id = :h ORDER BY position"
        ),
        {"h": household_id},
    ).all()


def _as_date(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def _carry_over_and_check(engine):
    with engine.begin() as conn:
        upgrade(conn, BEFORE)
        _seed(conn)
    with engine.begin() as conn:
        upgrade(conn)
    with engine.connect() as conn:
        one = _members(conn, 1)
        assert [(m.name, m.relation) for m in one] == [
            ("黄秀英", "head"),  # the household's head fields win
            ("黄金凤", "other"),  # the other 户主, kept and reported
            ("黄小明", "grandchild"),
        ]
        two = _members(conn, 2)
        assert [(m.name, m.relation) for m in two] == [
            ("陈伟", "head"),
            ("林芳", "spouse"),
            ("陈某", "other"),
        ]
        head, wife, _ = two
        assert (head.id_number, head.sex, _as_date(head.birth_date), head.birth_year) == (
            HEAD_ID,
            "male",
            date(1965, 5, 5),
            1965,
        )
        assert (wife.sex, _as_date(wife.birth_date), wife.birth_year) == (
            "female",
            date(1968, 7, 7),
            1968,
        )
        [made] = _members(conn, 3)
        assert (made.name, made.relation, made.sex, _as_date(made.birth_date)) == (
            "李四",
            "head",
            "male",
            date(1970, 3, 3),
        )
        assert len(made.id_number) == 18 and made.id_number.startswith("44022919700303123")
        assert [(m.name, m.relation) for m in _members(conn, 4)] == [
            ("王芳", "head"),
            ("王芳芳", "other"),
        ]
        heads = conn.execute(
            text("SELECT id, head_name, head_id_number FROM households ORDER BY id")
        ).all()
        assert [(h.head_name, h.head_id_number) for h in heads] == [
            ("黄秀英", None),
            ("陈伟", HEAD_ID),
            ("李四", made.id_number),  # the upgraded number
            ("王芳", None),
        ]
        stamps = conn.execute(text("SELECT min(sync_version) FROM households")).scalar()
        assert stamps > 0  # phones download the carried-over members
        findings = conn.execute(
            text(
                "SELECT household_id, problem, detail FROM register_reconciliations "
                "ORDER BY household_id, id"
            )
        ).all()
    assert [(f.household_id, f.problem) for f in findings] == [
        (1, "head_member_differs"),
        (2, "unknown_relation"),
        (2, "sex_disagrees_with_id"),
        (2, "birth_year_disagrees_with_id"),
        (2, "invalid_id_number"),
        (4, "several_heads"),
    ]
    assert "黄金凤" in findings[0].detail and "黄秀英" in findings[0].detail
    assert "干儿子" in findings[1].detail
    assert HEAD_ID not in " ".join(f.detail for f in findings)  # masked


# PostgreSQL names the index; SQLite names the column the partial UNIQUE index covers.
ONE_HEAD_REFUSED = "one_head|UNIQUE constraint failed: household_members.household_id"


@pytest.mark.parametrize("backend", BACKENDS)
def test_carries_the_register_over(backend, tmp_path):
    with empty_engine(backend, tmp_path) as engine:
        _carry_over_and_check(engine)
        with engine.begin() as conn, pytest.raises(Exception, match=ONE_HEAD_REFUSED):
            conn.execute(
                text(
                    "INSERT INTO household_members (household_id, area_id, position,"
                    " name, relation) SELECT 2, area_id, 9, '第二户主', 'head'"
                    " FROM households WHERE id = 2"
                )
            )
