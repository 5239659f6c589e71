"""Offline-safe writes keyed by the phone's ``client_uuid``.

A phone that lost the response sends the same record again. The stored record keeps a
fingerprint of the content it was created from: the same ``client_uuid`` with the same
fingerprint is a replay (answer 200 with the stored record, create nothing); with another
fingerprint it is a conflict (409). A unique constraint on ``client_uuid`` settles a race
between two concurrent sends of the same record.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any, TypeVar

from sqlalchemy import select

from api.db import session
from api.errors import Conflict

T = TypeVar("T")


def fingerprint(payload: Any) -> str:
    """A stable hash of a request payload (key order and formatting do not matter)."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def find_replay(model: type[T], client_uuid: uuid.UUID | str, content_hash: str) -> T | None:
    """The record already stored for ``client_uuid``, or None; 409 if its content differs.

    The lookup skips jurisdiction scoping on purpose, so that a uuid taken by a record the
    caller cannot see answers 409 (without that record) instead of failing on the unique
    index; a replay is only returned when the caller may see it.
    """
    column = model.client_uuid  # type: ignore[attr-defined]
    existing = session.scalar(
        select(model).where(column == str(client_uuid)).execution_options(skip_scope=True)
    )
    if existing is None:
        return None
    visible = session.scalar(select(model.id).where(column == str(client_uuid)))  # type: ignore[attr-defined]
    if existing.content_hash != content_hash or visible is None:  # type: ignore[attr-defined]
        raise reused_client_uuid(client_uuid)
    return existing


def reused_client_uuid(client_uuid: uuid.UUID | str) -> Conflict:
    return Conflict(
        "This client_uuid was already used for a record with different content; "
        "send new records with a new client_uuid.",
        client_uuid=str(client_uuid),
    )
