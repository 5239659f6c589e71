"""The change clock under concurrent writers (api/common/sync_clock.py), on real
PostgreSQL transactions: a stamp taken early and committed late is not skipped."""

from __future__ import annotations

from sqlalchemy import BigInteger, column, select, values

from api.common import sync_clock
from api.common.sync_clock import current_sync_xid, next_sync_version
from api.field.sync import CURSOR_MAX_CHARS, Cursor


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


def test_a_long_snapshot_is_cut_conservatively_and_the_cursor_fits_a_url():
    first = 10**17
    busy = f"{first}:{first + 100}:" + ",".join(str(first + i) for i in range(0, 60, 2))
    cut = sync_clock._bounded(busy)
    _xmin, xmax, listed = cut.split(":")
    kept = [int(xid) for xid in listed.split(",")]
    assert len(kept) == sync_clock.MAX_IN_PROGRESS
    # Every id the full snapshot counted unseen is still unseen (in the list or >= xmax).
    unseen = [first + i for i in range(0, 60, 2)]
    assert all(xid in kept or xid >= int(xmax) for xid in unseen)
    token = sync_clock.Token(2**61, cut)
    cursor = Cursor("households", token, token, "tombstones", 2**31 - 1).encode()
    assert len(cursor) <= CURSOR_MAX_CHARS
