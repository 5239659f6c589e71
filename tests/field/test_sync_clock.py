"""The change clock under concurrent writers (api/common/sync_clock.py), on real
PostgreSQL transactions: a stamp taken early and committed late is not skipped."""

from __future__ import annotations

from sqlalchemy import BigInteger, column, select, values

from api.common import sync_clock
from api.common.sync_clock import current_sync_xid, next_sync_version


def _stamp(connection):
    return tuple(connection.execute(select(next_sync_version(), current_sync_xid())).one())


def _changed_since(connection, stamps, token):
    table = values(
        column("sync_version", BigInteger), column("sync_xid", BigInteger), name="stamps"
    ).data(stamps)
    query = select(table.c.sync_version).where(sync_clock.changed_since(table.c, token))
    return sorted(connection.scalars(query))


def test_a_stamp_committed_after_a_later_one_comes_next_time(app):
    engine = app.extensions["doudi.engine"]
    with engine.connect() as slow, engine.connect() as fast, engine.connect() as reader:
        slow_stamp = _stamp(slow)  # a long batch: stamped first...
        fast_stamp = _stamp(fast)
        fast.commit()  # ...a short one stamped later commits first
        token = sync_clock.read_clock(reader)
        reader.rollback()
        # The phone's sync now sees the fast row only; a cursor on the counter alone
        # ("after the highest stamp seen") would lie past the slow row's stamp.
        assert slow_stamp[0] < fast_stamp[0] <= token.highest
        slow.commit()
        # The next sync, from that token, answers the slow row and not the fast one.
        assert _changed_since(reader, [slow_stamp, fast_stamp], token) == [slow_stamp[0]]
        # Once the slow row is committed and seen, a later token answers neither.
        later = sync_clock.read_clock(reader)
        assert _changed_since(reader, [slow_stamp, fast_stamp], later) == []


def test_a_timestamp_or_counter_token_alone_is_not_what_is_stored():
    # The token keeps the reader's snapshot on PostgreSQL (see the module's docstring).
    token = sync_clock.Token(5, "10:12:11")
    assert token.as_dict() == {"h": 5, "s": "10:12:11"}
