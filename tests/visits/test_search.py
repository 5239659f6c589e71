"""Household search (``GET /households``): what each filter matches, bad input, jurisdiction,
paging, and that PostgreSQL can answer name and ID searches from indexes."""

from datetime import date, timedelta

import pytest
from sqlalchemy import event, text

from api.common.county_time import local_midnight
from api.db import session
from api.visits.models import HouseholdMember
from tests import factories
from tests.visits import factories as vf

ID_HEAD = vf.valid_id_number("440229199001011233")
ID_MEMBER = vf.valid_id_number("44022919850202002X")


def _household(area, head_name, members=(), **extra):
    household = vf.household(area, head_name=head_name, members=1, **extra)
    household.members = [
        household.members[0],  # the head
        *(
            HouseholdMember(position=i, name=name, relation="other", id_number=id_number)
            for i, (name, id_number) in enumerate(members, start=1)
        ),
    ]
    session.flush()
    return household


def get(client, user, **params):
    return client.get(
        "/api/v1/households", query_string=params, headers=factories.headers_for(user)
    )


def ids(client, user, **params):
    response = get(client, user, **params)
    assert response.status_code == 200, response.json
    return {item["id"] for item in response.json}


# --- names ------------------------------------------------------------------------------


def test_a_name_matches_the_start_of_the_heads_or_a_members_name(client, worker, areas):
    wang = _household(areas.village_a1, "王建国", members=[("李秀英", None)])
    wang_fang = _household(areas.village_a2, "王芳")
    li = _household(areas.village_a1, "李强", members=[("王建华", None)])

    assert ids(client, worker, q="王建国") == {wang.id}  # a full name
    assert ids(client, worker, q="王建") == {wang.id, li.id}  # head's or member's start
    assert ids(client, worker, q="王") == {wang.id, wang_fang.id, li.id}  # a surname
    assert ids(client, worker, q="李秀英") == {wang.id}  # a member's full name
    assert ids(client, worker, q=" 王芳 ") == {wang_fang.id}  # spaces around are ignored


def test_a_given_name_alone_does_not_match(client, worker, areas):
    _household(areas.village_a1, "王建国", members=[("李秀英", None)])
    assert ids(client, worker, q="建国") == set()
    assert ids(client, worker, q="秀英") == set()


def test_a_household_is_listed_once_when_head_and_members_match(client, worker, areas):
    family = _household(areas.village_a1, "陈伟", members=[("陈伟明", None), ("陈伟强", None)])
    response = get(client, worker, q="陈伟")
    assert [item["id"] for item in response.json] == [family.id]
    assert response.headers["X-Total-Count"] == "1"
    assert [m["name"] for m in response.json[0]["members"]] == ["陈伟", "陈伟明", "陈伟强"]


# --- ID numbers -------------------------------------------------------------------------


def test_an_id_number_matches_the_head_or_a_member_exactly(client, worker, areas):
    head = _household(areas.village_a1, "黄海", head_id_number=ID_HEAD)
    member = _household(areas.village_a2, "罗丽", members=[("罗小明", ID_MEMBER)])

    assert ids(client, worker, q=ID_HEAD) == {head.id}
    assert ids(client, worker, q=ID_MEMBER) == {member.id}
    assert ids(client, worker, q=ID_MEMBER.lower()) == {member.id}  # a lower-case x
    assert ids(client, worker, q=ID_HEAD[:-1]) == set()  # 17 digits: no partial numbers


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q",
    ["   ", "\u3000", "%", "_", "\\", "王%", "%王", "王_", "a\\b", "王\x00", "王\n明", "王" * 101],
)
def test_a_search_term_that_is_no_name_is_422(client, worker, areas, q):
    _household(areas.village_a1, "王建国")
    response = get(client, worker, q=q)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert "q" in response.json["errors"]


@pytest.mark.parametrize(
    "params",
    [
        {"near": "114.1,91"},
        {"near": "181,24.3"},
        {"near": "nan,24.3"},
        {"near": "inf,24.3"},
        {"near": "114.1,24.3,5"},
        {"near": "114.1,24.3", "within_m": 0},
        {"near": "114.1,24.3", "within_m": 50_001},
        {"near": "114.1,24.3", "within_m": "nan"},
    ],
)
def test_a_point_out_of_range_is_422(client, worker, params):
    response = get(client, worker, **params)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"


# --- jurisdiction -----------------------------------------------------------------------


def test_a_worker_never_finds_another_towns_household(client, worker, areas):
    mine = _household(areas.village_a1, "赵敏", head_id_number=ID_HEAD, lon=114.10, lat=24.35)
    theirs = _household(
        areas.village_b1,
        "赵敏",
        members=[("赵敏芳", ID_MEMBER)],
        lon=114.20,
        lat=24.20,
    )
    other_worker = factories.user("outreach_worker", areas.town_b)

    assert ids(client, worker, q="赵敏") == {mine.id}
    assert ids(client, worker, q=ID_MEMBER) == set()
    assert ids(client, worker, near="114.20,24.20", within_m=500) == set()
    assert ids(client, other_worker, q="赵") == {theirs.id}
    assert ids(client, other_worker, q=ID_HEAD) == set()
    response = get(client, worker, q="赵")
    assert response.headers["X-Total-Count"] == "1"


@pytest.mark.parametrize("where", ["another town", "nowhere"])
def test_an_area_out_of_reach_is_422_as_if_it_did_not_exist(client, worker, areas, where):
    area_id = areas.town_b.id if where == "another town" else 999_999
    response = get(client, worker, area_id=area_id, q="赵")
    assert response.status_code == 422
    assert response.json["errors"] == {"area_id": ["No such area."]}


# --- not visited, near ------------------------------------------------------------------


def test_not_visited_since_reads_the_households_last_visit(client, worker, areas):
    since = date(2026, 10, 1)
    recent = _household(areas.village_a1, "钱一")
    recent.last_visited_at = local_midnight(since)  # on the day: visited
    long_ago = _household(areas.village_a1, "钱二")
    long_ago.last_visited_at = local_midnight(since) - timedelta(seconds=1)
    never = _household(areas.village_a1, "钱三")
    session.flush()

    assert ids(client, worker, not_visited_since=since.isoformat()) == {long_ago.id, never.id}
    assert recent.id in ids(client, worker, q="钱")


def test_near_a_point_combines_with_a_name(client, worker, areas):
    close = _household(areas.village_a1, "孙一", lon=114.100, lat=24.350)
    _household(areas.village_a1, "周二", lon=114.1005, lat=24.350)
    _household(areas.village_a1, "孙三", lon=114.120, lat=24.350)  # about 2 km east
    assert ids(client, worker, near="114.101,24.350", within_m=300, q="孙") == {close.id}


# --- paging -----------------------------------------------------------------------------


def test_the_total_is_right_on_every_page(client, worker, areas):
    for n in range(5):
        _household(areas.village_a1, f"吴{n}")
    expected = {1: ("5", 2), 2: ("5", 2), 3: ("5", 1), 4: ("5", 0)}
    for page, (total, count) in expected.items():
        response = get(client, worker, q="吴", page=page, page_size=2)
        assert response.status_code == 200
        assert (response.headers["X-Total-Count"], len(response.json)) == (total, count)
        assert '"total": 5' in response.headers["X-Pagination"]
    empty = get(client, worker, q="郑")
    assert (empty.headers["X-Total-Count"], empty.json) == ("0", [])


def test_a_page_takes_the_same_few_queries_however_many_households(app, client, worker, areas):
    for n in range(12):
        _household(
            areas.village_a1,
            f"冯{n}",
            members=[(f"冯{n}-{i}", None) for i in range(3)],
            focus_groups=("unemployed", "flexible_employment"),
            programmes=("dibao", "marginal"),
        )
    statements = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().startswith("SELECT"):
            statements.append(statement)

    engine = app.extensions["doudi.engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = get(client, worker, q="冯", page_size=5)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200 and len(response.json) == 5
    assert all(
        sorted(h["focus_groups"]) == ["flexible_employment", "unemployed"] for h in response.json
    )
    assert all(sorted(h["programmes"]) == ["dibao", "marginal"] for h in response.json)
    assert all(len(h["members"]) == 4 for h in response.json)  # the head and three
    # The caller's token, the page with its short lists, the members, the count.
    assert len(statements) <= 4, statements


# --- indexes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "index", "others"),
    [
        (
            "SELECT id FROM households WHERE area_id IN (1, 2) AND head_name LIKE '王建%'",
            "ix_households_area_head_name_prefix",
            ("ix_households_area_id", "ix_households_area_head_name"),
        ),
        (
            "SELECT household_id FROM household_members"
            " WHERE area_id IN (1, 2) AND name LIKE '王建%'",
            "ix_household_members_area_name_prefix",
            (),
        ),
    ],
)
def test_postgresql_answers_a_name_prefix_in_some_areas_from_an_index(db, sql, index, others):
    # The test tables are tiny, so the planner would read them whole, or take any index on
    # the area alone: forbid both (rolled back with the test) to see whether the index can
    # serve area_id IN (...) AND LIKE 'q%' as one range per area (it cannot when its
    # operator class does not match the database's collation).
    db.execute(text("SET LOCAL enable_seqscan = off"))
    for other in others:
        db.execute(text(f"DROP INDEX {other}"))
    plan = "\n".join(db.execute(text(f"EXPLAIN {sql}")).scalars())
    assert index in plan, plan
    assert "Index Cond: ((area_id = ANY" in plan and "~>=~ '王建'" in plan, plan


def test_postgresql_keeps_finer_statistics_on_the_searched_names(db):
    # Migration 0011: with the default target a common name's estimate is ten times too
    # high and the search reads the whole town (bench/README.md, benchmark 5).
    targets = db.execute(
        text(
            "SELECT attrelid::regclass::text || '.' || attname, attstattarget FROM pg_attribute"
            " WHERE (attrelid, attname) IN"
            " (('households'::regclass, 'head_name'), ('household_members'::regclass, 'name'))"
        )
    ).all()
    assert sorted(targets) == [("household_members.name", 1000), ("households.head_name", 1000)]


# --- the embedded default ---------------------------------------------------------------


@pytest.mark.spatialite
def test_the_same_search_on_spatialite(sqlite_app):
    areas = factories.area_tree()
    worker = factories.user("outreach_worker", areas.town_a)
    wang = _household(
        areas.village_a1, "王建国", members=[("李秀英", ID_MEMBER)], lon=114.100, lat=24.350
    )
    li = _household(areas.village_a2, "李强", members=[("王建华", None)], lon=114.140, lat=24.350)
    _household(areas.village_b1, "王建军", lon=114.20, lat=24.20)  # another town
    wang.last_visited_at = local_midnight(date(2026, 10, 2))
    session.commit()
    client = sqlite_app.test_client()

    assert ids(client, worker, q="王建") == {wang.id, li.id}
    assert ids(client, worker, q="建国") == set()
    assert ids(client, worker, q=ID_MEMBER) == {wang.id}
    assert ids(client, worker, q="王", near="114.101,24.350", within_m=300) == {wang.id}
    assert ids(client, worker, near="114.20,24.20", within_m=500) == set()
    assert ids(client, worker, not_visited_since="2026-10-01") == {li.id}
    assert ids(client, worker, not_visited_since="2026-10-03") == {wang.id, li.id}
    for q in (" ", "%", "王_", "\\"):
        assert get(client, worker, q=q).status_code == 422


def test_a_search_by_name_or_id_number_is_never_prepared(client, worker, areas, db):
    # psycopg prepares a statement sent five times on a connection, and PostgreSQL may then
    # plan it once for every value, where LIKE $1 is no index range: a search by q is sent
    # unprepared (planned with its values every time). The tests share one connection.
    _household(areas.village_a1, "王建国", head_id_number=ID_HEAD)
    for _ in range(7):
        assert len(ids(client, worker, q="王建")) == 1
        assert len(ids(client, worker, q=ID_HEAD)) == 1
        ids(client, worker, near="114.101,24.350", within_m=300)
    prepared = db.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    pages = [statement for statement in prepared if "count(*) OVER ()" in statement]
    assert len(pages) == 1 and "ST_DWithin" in pages[0], pages  # near's page only
