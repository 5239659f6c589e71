"""Factories for test data: plain functions that add rows through the app's own services
and flush, so tests read like the situation they set up."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

from shapely.geometry import box
from sqlalchemy import select

from api.areas.models import Area
from api.areas.scope import SYSTEM, set_actor
from api.areas.services import create_area
from api.auth.models import DeviceSession, User
from api.auth.services import access_token_serializer, hash_password
from api.db import session, utcnow

PASSWORD = "correct horse battery"
_PASSWORD_HASH = hash_password(PASSWORD)  # hashed once: argon2 is slow on purpose
_counter = itertools.count(1)


@dataclass
class AreaTree:
    """A county with two towns (each with two villages), like Wengyuan in miniature.

    Town A (龙仙镇-like) sits around (114.13, 24.35), town B (江尾镇-like) around
    (114.22, 24.21); every boundary is a box.
    """

    county: Area
    town_a: Area
    town_b: Area
    village_a1: Area
    village_a2: Area
    village_b1: Area
    village_b2: Area


def area_tree() -> AreaTree:
    set_actor(None, SYSTEM)
    n = next(_counter)
    code = f"{440000 + n:06d}"
    county = create_area(code, f"测试县{n}", "county", None, box(113.9, 24.1, 114.4, 24.6))
    town_a = create_area(f"{code}100", "甲镇", "town", county, box(114.08, 24.30, 114.18, 24.40))
    town_b = create_area(f"{code}101", "乙镇", "town", county, box(114.17, 24.16, 114.27, 24.26))
    return AreaTree(
        county=county,
        town_a=town_a,
        town_b=town_b,
        village_a1=create_area(
            f"{code}100001", "甲一村", "village", town_a, box(114.08, 24.30, 114.13, 24.40)
        ),
        village_a2=create_area(
            f"{code}100002", "甲二村", "village", town_a, box(114.13, 24.30, 114.18, 24.40)
        ),
        village_b1=create_area(
            f"{code}101001", "乙一村", "village", town_b, box(114.17, 24.16, 114.22, 24.26)
        ),
        village_b2=create_area(
            f"{code}101002", "乙二村", "village", town_b, box(114.22, 24.16, 114.27, 24.26)
        ),
    )


def user(role: str, area: Area, username: str | None = None, active: bool = True) -> User:
    set_actor(None, SYSTEM)
    account = User(
        username=username or f"{role}-{next(_counter)}",
        display_name=f"测试{role}",
        role=role,
        area_id=area.id,
        password_hash=_PASSWORD_HASH,
        active=active,
    )
    session.add(account)
    session.flush()
    return account


def token_for(account: User, device_id: str = "test-device") -> str:
    """An access token for ``account`` without going through the (throttled) login."""
    from flask import current_app

    device = DeviceSession(
        user_id=account.id,
        device_id=device_id,
        refresh_token_hash=f"test-{next(_counter)}-{account.id}",
        expires_at=utcnow() + timedelta(days=1),
    )
    session.add(device)
    session.flush()
    return access_token_serializer(current_app.config["SECRET_KEY"]).dumps(
        {"sid": device.id, "uid": account.id}
    )


def headers_for(account: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(account)}"}


def area_by_code(code: str) -> Area:
    return session.scalar(select(Area).where(Area.code == code))
