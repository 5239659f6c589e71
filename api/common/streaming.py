"""Streamed answers (CSV/XLSX exports) start inside the request and keep its transaction.

``streamed(chunks)`` takes the first chunk while the request is still being handled: by
then the arguments were checked and the first query has run, so a failure is an ordinary
problem answer, never a 200 broken off mid-file. The rest is read while the body is sent,
on the same session (the same transaction, the same actor, an open cursor): the request's
commit hook and session teardown leave that session to the stream (``g.stream_owns_session``),
which commits what the request did and closes the session when it ends.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import g, stream_with_context

from api.db import session


def streamed(chunks: Iterator[bytes]) -> Iterator[bytes]:
    first = next(chunks, b"")
    g.stream_owns_session = True

    def body() -> Iterator[bytes]:
        failed = False
        try:
            yield first
            yield from chunks
        except Exception:
            failed = True
            session.rollback()
            raise
        finally:
            # Also when the client went away (GeneratorExit): what the request did stands.
            if not failed:
                session.commit()
            session.remove()

    return stream_with_context(body())
