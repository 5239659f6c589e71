"""Passwords, device sessions, tokens and user administration.

Access tokens are short-lived signed tokens naming a device session; every request checks
that session (not revoked, user active), so logout, deactivation and "revoke all tokens of
this user" (a lost phone) take effect at once, not when the token expires.

Refresh tokens are random, stored only as a SHA-256 hash, bound to a device, and not
rotated on use: phones in the hills lose responses, and a rotated token whose answer was
lost would sign the worker out in the field. They expire, and are revoked per device or
per user instead.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update

from api.areas.models import Area
from api.areas.scope import SYSTEM, Actor, set_actor, subtree, visible_area
from api.auth.models import ROLES, DeviceSession, LoginAttempt, User
from api.db import session, utcnow
from api.errors import Conflict, Invalid, NotFound, TooManyRequests, Unauthorized

_hasher = PasswordHasher()
# Verified against when the username is unknown, so that a miss costs the same time as a
# wrong password and usernames cannot be probed by timing.
_DUMMY_HASH = _hasher.hash("not-a-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def access_token_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="doudi-access-token")


@dataclass(frozen=True)
class TokenSettings:
    secret_key: str
    access_ttl: int
    refresh_ttl: int


@dataclass(frozen=True)
class ThrottleSettings:
    window_seconds: int
    max_per_username: int
    max_per_address: int


def _issue(device: DeviceSession, settings: TokenSettings, refresh_token: str | None) -> dict:
    access = access_token_serializer(settings.secret_key).dumps(
        {"sid": device.id, "uid": device.user_id}
    )
    tokens: dict[str, Any] = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": settings.access_ttl,
    }
    if refresh_token:
        tokens["refresh_token"] = refresh_token
    return tokens


def _check_throttle(username: str, address: str, throttle: ThrottleSettings) -> None:
    since = utcnow() - timedelta(seconds=throttle.window_seconds)
    failures = select(func.count()).where(
        LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False)
    )
    by_user = session.scalar(failures.where(LoginAttempt.username == username))
    by_address = session.scalar(failures.where(LoginAttempt.address == address))
    if by_user >= throttle.max_per_username or by_address >= throttle.max_per_address:
        raise TooManyRequests(
            "Too many failed sign-ins; wait a few minutes before trying again.",
            retry_after=throttle.window_seconds,
        )


def login(
    username: str,
    password: str,
    device_id: str | None,
    address: str,
    settings: TokenSettings,
    throttle: ThrottleSettings,
) -> dict:
    """Tokens for a new device session, or 401/429.

    A failed attempt is flushed before the 401 is raised; the caller must commit it even
    though the request fails (the login route does), or throttling would never count.
    """
    set_actor(None, SYSTEM)
    _check_throttle(username, address, throttle)
    user = session.scalar(select(User).where(User.username == username))
    valid = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    ok = bool(user and valid and user.active)
    session.add(LoginAttempt(username=username, address=address, succeeded=ok))
    session.flush()
    if not ok:
        raise Unauthorized("Wrong username or password, or the account is deactivated.")
    assert user is not None
    refresh_token = secrets.token_urlsafe(32)
    device = DeviceSession(
        user_id=user.id,
        device_id=device_id or "unnamed",
        refresh_token_hash=_token_hash(refresh_token),
        expires_at=utcnow() + timedelta(seconds=settings.refresh_ttl),
    )
    session.add(device)
    session.flush()
    return _issue(device, settings, refresh_token)


def refresh(refresh_token: str, settings: TokenSettings) -> dict:
    set_actor(None, SYSTEM)
    device = session.scalar(
        select(DeviceSession).where(DeviceSession.refresh_token_hash == _token_hash(refresh_token))
    )
    now = utcnow()
    if device is None or device.revoked_at is not None or device.expires_at <= now:
        raise Unauthorized("The refresh token is not valid; sign in again.")
    user = session.get(User, device.user_id)
    if user is None or not user.active:
        raise Unauthorized("The account is deactivated.")
    device.last_used_at = now
    return _issue(device, settings, None)


def authenticate(token: str, secret_key: str, access_ttl: int) -> tuple[User, int]:
    """The user and device session an access token stands for, or 401."""
    try:
        claims = access_token_serializer(secret_key).loads(token, max_age=access_ttl)
    except SignatureExpired as exc:
        raise Unauthorized("The access token has expired; refresh it.") from exc
    except BadSignature as exc:
        raise Unauthorized("The access token is not valid.") from exc
    row = session.execute(
        select(User, DeviceSession)
        .join(DeviceSession, DeviceSession.user_id == User.id)
        .where(DeviceSession.id == claims.get("sid"), User.id == claims.get("uid"))
        .execution_options(skip_scope=True)
    ).first()
    if row is None:
        raise Unauthorized("The access token is not valid.")
    user, device = row
    if device.revoked_at is not None or not user.active:
        raise Unauthorized("This sign-in was revoked; sign in again.")
    return user, device.id


def actor_for(user: User) -> Actor:
    return Actor(user_id=user.id, role=user.role, area_id=user.area_id, area_path=user.area.path)


def logout(device_session_id: int) -> None:
    session.execute(
        update(DeviceSession)
        .where(DeviceSession.id == device_session_id, DeviceSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_all_tokens(user: User) -> int:
    """End every device session of ``user`` at once (a lost or stolen phone)."""
    result = session.execute(
        update(DeviceSession)
        .where(DeviceSession.user_id == user.id, DeviceSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount or 0


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise Invalid({"role": [f"Must be one of: {', '.join(ROLES)}."]})


def create_user(username: str, display_name: str, role: str, area_id: int, password: str) -> User:
    _check_role(role)
    visible_area(area_id)
    taken = session.scalar(
        select(User.id).where(User.username == username).execution_options(skip_scope=True)
    )
    if taken:
        raise Conflict(f"The username {username!r} is taken.")
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        area_id=area_id,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    return user


def get_user(user_id: int) -> User:
    user = session.scalar(select(User).where(User.id == user_id))
    if user is None:
        raise NotFound("No such user.")
    return user


def update_user(user: User, changes: dict[str, Any]) -> User:
    if "role" in changes:
        _check_role(changes["role"])
    if "area_id" in changes:
        visible_area(changes["area_id"])
    if "password" in changes:
        user.password_hash = hash_password(changes.pop("password"))
    for key, value in changes.items():
        setattr(user, key, value)
    if changes.get("active") is False:
        revoke_all_tokens(user)
    session.flush()
    return user


def users_query(role: str | None = None, area_id: int | None = None, active: bool | None = None):
    stmt = select(User).order_by(User.username)
    if role:
        stmt = stmt.where(User.role == role)
    if area_id:
        area = session.get(Area, area_id)
        if area is None:
            raise NotFound("No such area.")
        stmt = stmt.where(User.area_id.in_(subtree(area)))
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    return stmt
