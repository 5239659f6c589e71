"""Plainly valid visits are read by hand (``read_plain_visit``), anything else by the schema.

The hand reader must never change an answer: whatever it accepts, it loads exactly as
marshmallow does, and whatever it does not, the schema reads with its usual errors. These
tests compare the two readers on generated items, and a whole batch stored through each.
"""

import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError
from sqlalchemy import select

from api.common.idempotency import fingerprint
from api.db import session, utcnow
from api.visits import routes, schemas
from api.visits.models import Visit
from api.visits.schemas import VisitInSchema, read_plain_visit
from tests import factories
from tests.visits import factories as vf

_SCHEMA = VisitInSchema()


def schema_load(raw):
    """What marshmallow alone makes of ``raw`` (past the hand reader)."""
    return Schema.load(_SCHEMA, raw)


NOW = utcnow()
numbers = st.one_of(
    st.integers(-5, 200_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 50, 51, 100_000, 100_001, 1e9, True, "12", None]),
)
texts = st.one_of(st.text(max_size=70), st.sampled_from(["", "x" * 60, "x" * 61]), st.none())
optional = {
    "crs": st.sampled_from(["wgs84", "gcj02", "bd09", "utm", None, 3]),
    "accuracy_m": numbers,
    "location": st.one_of(
        st.none(),
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(["Point", "point"]),
                "coordinates": st.lists(numbers, min_size=1, max_size=4),
            }
        ),
        st.just({"type": "Point", "coordinates": [114.1, 24.3], "crs": "x"}),
        st.just([114.1, 24.3]),
    ),
    "findings": st.one_of(
        st.none(),
        st.dictionaries(
            st.sampled_from(
                [
                    "household_size",
                    "monthly_income_total",
                    "rigid_expenses_monthly",
                    "circumstances",
                    "other",
                ]
            ),
            st.one_of(numbers, st.lists(texts, max_size=3)),
        ),
    ),
    "needs": st.one_of(st.none(), st.lists(texts, max_size=3), st.just(["x"] * 31)),
    "notes": st.one_of(texts, st.just("x" * 5001)),
    "new_household": st.just({"area_id": 1}),
    "extra": st.just(1),
}
items = st.fixed_dictionaries(
    {
        "client_uuid": st.one_of(
            st.uuids().map(str),
            st.uuids().map(lambda u: u.hex),
            st.sampled_from(["not-a-uuid", 5, None]),
        ),
        "household_id": st.one_of(numbers, st.just(2**31)),
        "channel": st.sampled_from(["in_person", "phone", "video", "letter", None]),
        "visited_at": st.one_of(
            st.datetimes(timezones=st.timezones()).map(lambda t: t.isoformat()),
            st.datetimes().map(lambda t: t.isoformat()),
            st.sampled_from(
                [(NOW - timedelta(hours=1)).isoformat(), "2026-13-01T00:00:00+08:00", "yesterday"]
            ),
        ),
    },
    optional=optional,
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=items)
def test_what_the_hand_reader_accepts_it_loads_as_the_schema_does(raw):
    plain = read_plain_visit(raw)
    if plain is None:
        return
    assert plain == schema_load(raw)


def test_a_phones_usual_visits_are_read_by_hand():
    for channel in ("in_person", "phone", "video"):
        raw = vf.visit_payload(7, channel=channel)
        assert read_plain_visit(raw) == schema_load(raw)
    assert read_plain_visit({**vf.visit_payload(7), "household_id": "7"}) is None


@pytest.fixture
def only_the_schema(monkeypatch):
    """Every visit read by marshmallow, as before the hand reader."""

    def schema_only(raw):
        return None

    monkeypatch.setattr(schemas, "read_plain_visit", schema_only)
    monkeypatch.setattr(routes, "read_plain_visit", schema_only)


def _batch(home_id):
    def phone_visit():
        return vf.visit_payload(home_id, channel="phone")

    return [
        vf.visit_payload(home_id),
        phone_visit(),
        vf.visit_payload(home_id, channel="video", findings={}, needs=[], notes=None),
        vf.visit_payload(home_id, accuracy_m=5, crs="gcj02", findings={"circumstances": ["病"]}),
        # Valid, but not plainly: marshmallow reads a number sent as text.
        {**vf.visit_payload(home_id), "household_id": str(home_id)},
        # Refused, each for its own reason.
        {**vf.visit_payload(home_id), "channel": "letter"},
        {**vf.visit_payload(home_id), "accuracy_m": "good"},
        {**vf.visit_payload(home_id), "location": {"type": "Point", "coordinates": [200, 24]}},
        {**vf.visit_payload(home_id), "colour": "blue"},
        {**phone_visit(), "accuracy_m": 5.0},
        {**vf.visit_payload(home_id), "findings": {"household_size": 0}},
        {**vf.visit_payload(home_id), "visited_at": "2026-11-30T10:00:00"},
        {**vf.visit_payload(home_id), "household_id": 2**31},
        vf.visit_payload(home_id, visited_at=utcnow() + timedelta(days=3)),
        "not an object",
    ]


def _post(client, worker, items):
    response = client.post(
        "/api/v1/visits/batch", json={"visits": items}, headers=factories.headers_for(worker)
    )
    assert response.status_code == 200, response.json
    return response.json["results"]


def _stored(items):
    """The stored rows of ``items``, in their order, with what differs between two sends of
    the same visits left out (id, client_uuid, received_at); each row's content_hash is
    checked against the fingerprint of the item as the schema loads it."""
    by_uuid = {
        row.client_uuid: row._mapping
        for row in session.execute(
            select(Visit.__table__).where(
                Visit.client_uuid.in_(
                    [item["client_uuid"] for item in items if isinstance(item, dict)]
                )
            )
        )
    }
    rows = []
    for item in items:
        row = by_uuid.get(item.get("client_uuid") if isinstance(item, dict) else None)
        if row is None:
            continue
        assert row["content_hash"] == fingerprint(schema_load(item))
        row = {k: v for k, v in row.items() if k != "content_hash"}
        rows.append(
            {
                k: v
                for k, v in row.items()
                if k not in ("id", "client_uuid", "received_at", "content_hash")
            }
        )
    return rows


def _without_ids(results):
    out = []
    for result in results:
        result = {**result, "id": None, "client_uuid": None}
        if result.get("visit"):
            result["visit"] = {
                **result["visit"],
                "id": None,
                "client_uuid": None,
                "received_at": None,
            }
        out.append(result)
    return out


def _sent_again(items):
    """The same visits under new client_uuids."""
    return [
        {**item, "client_uuid": str(uuid.uuid4())} if isinstance(item, dict) else item
        for item in items
    ]


def test_a_batch_is_answered_and_stored_alike_by_both_readers(client, worker, home, request):
    items = _batch(home.id)
    by_hand = _post(client, worker, items)
    request.getfixturevalue("only_the_schema")
    again = _sent_again(items)
    by_schema = _post(client, worker, again)

    assert _without_ids(by_hand) == _without_ids(by_schema)
    assert _stored(items) == _stored(again)
    assert [r["status"] for r in by_hand] == [201] * 5 + [422] * 10
    assert len(_stored(items)) == 5


def test_each_refused_item_names_its_own_fields(client, worker, home):
    results = _post(client, worker, _batch(home.id))
    errors = [r.get("errors") for r in results[5:]]
    assert list(errors[0]) == ["channel"]
    assert list(errors[1]) == ["accuracy_m"]
    assert list(errors[2]) == ["location"]
    assert list(errors[3]) == ["colour"]
    assert list(errors[4]) == ["accuracy_m"]
    assert list(errors[5]) == ["findings.household_size"]
    assert list(errors[6]) == ["visited_at"]
    assert list(errors[7]) == ["household_id"]
    assert list(errors[8]) == ["visited_at"]
    assert list(errors[9]) == ["_schema"]


def test_the_schema_still_refuses_what_the_hand_reader_passes_on():
    with pytest.raises(ValidationError):
        _SCHEMA.load({**vf.visit_payload(3), "channel": "letter"})


def test_visits_are_written_out_as_the_schema_writes_them(client, worker, home, areas, db):
    vf.standard(areas.county, 800)
    results = _post(client, worker, _batch(home.id)[:5])
    supervisor = factories.user("supervisor", areas.town_a)
    client.patch(
        f"/api/v1/visits/{results[0]['id']}/review",
        json={"state": "has_issues", "comment": "照片不清"},
        headers=factories.headers_for(supervisor),
    )
    db.expire_all()
    visits = db.scalars(select(Visit).where(Visit.id.in_([r["id"] for r in results]))).all()
    just_made = Visit(id=1, client_uuid="u", household_id=home.id, area_id=home.area_id)
    schema = schemas.VisitSchema()
    for visit in [*visits, just_made]:
        assert schemas.dump_visit(visit) == Schema.dump(schema, visit)
    assert any(visit.reviews for visit in visits)
    assert schema.dump(visits, many=True) == Schema.dump(schema, visits, many=True)


def test_a_batch_answer_is_written_out_as_the_schema_writes_it(client, worker, home, monkeypatch):
    items = _batch(home.id)
    by_hand = _post(client, worker, [*items, *items[:2]])  # created, refused, sent twice
    resent_by_hand = _post(client, worker, items)  # stored before: duplicates
    monkeypatch.setattr(schemas.BatchOutSchema, "dump", Schema.dump)
    again = _sent_again(items)
    by_schema = _post(client, worker, [*again, *again[:2]])
    resent_by_schema = _post(client, worker, again)

    assert _without_ids(by_hand) == _without_ids(by_schema)
    assert _without_ids(resent_by_hand) == _without_ids(resent_by_schema)
    assert {r["result"] for r in by_hand} == {"created", "duplicate", "error"}
    assert {r["result"] for r in resent_by_hand} == {"duplicate", "error"}


def test_a_new_visit_is_answered_as_it_reads_back(client, worker, home):
    headers = factories.headers_for(worker)
    sent = [vf.visit_payload(home.id) for _ in range(3)]
    batch = _post(client, worker, sent)
    alone = client.post("/api/v1/visits", json=vf.visit_payload(home.id), headers=headers)
    assert alone.status_code == 201
    for answer in [*(result["visit"] for result in batch), alone.json]:
        stored = client.get(f"/api/v1/visits/{answer['id']}", headers=headers)
        assert stored.json == answer
