"""Passwords, device sessions, tokens and user administration.

Access tokens are short-lived signed tokens naming a device session; every request checks
that session (not revoked, user active), so logout, deactivation and "revoke all tokens of
this user" (a lost phone) take effect at once, not when the token expires.

Refresh tokens are random, stored only as a SHA-256 hash, bound to a device (a refresh
names the device it was issued to, or is refused like an unknown token), and not rotated
on use: phones in the hills lose responses, and a rotated token whose answer was lost would
sign the worker out in the field. They expire, and are revoked per device or per user
instead. A password change or reset ends every sign-in of the user but the device session
that made the change.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, bindparam, select, update

from api.areas.models import Area
from api.areas.scope import SYSTEM, Actor, set_actor, subtree, visible_area
from api.auth import throttle
from api.auth.models import ROLES, DeviceSession, User
from api.auth.throttle import ThrottleSettings
from api.db import session, utcnow
from api.errors import Conflict, Invalid, NotFound, Unauthorized

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


@functools.cache
def access_token_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="doudi-access-token")


@dataclass(frozen=True)
class TokenSettings:
    secret_key: str
    access_ttl: int
    refresh_ttl: int


def _issue(device: DeviceSession, settings: TokenSettings, refresh_token: str | None) -> dict:
    access = access_token_serializer(settings.secret_key).dumps(
        {"sid": device.id, "uid": device.user_id}
    )
    tokens: dict[str, Any] = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": settings.access_ttl,
        "device_id": device.device_id,
    }
    if refresh_token:
        tokens["refresh_token"] = refresh_token
    return tokens


def login(
    username: str,
    password: str,
    device_id: str | None,
    address: str,
    settings: TokenSettings,
    throttle_settings: ThrottleSettings,
) -> dict:
    """Tokens for a new device session, or 401/429.

    A device that sends no ``device_id`` gets a random one, returned with the tokens: the
    refresh token is bound to it. A failed attempt is flushed before the 401 is raised;
    the caller must commit it even though the request fails (the login route does), or
    throttling would never count.
    """
    set_actor(None, SYSTEM)
    device_id = device_id or secrets.token_urlsafe(24)
    trusted = throttle.check(username, address, device_id, throttle_settings)
    user = session.scalar(select(User).where(User.username == username))
    valid = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    ok = bool(user and valid and user.active)
    throttle.record(username, address, device_id, trusted, succeeded=ok)
    session.flush()
    if not ok:
        raise Unauthorized("Wrong username or password, or the account is deactivated.")
    assert user is not None
    refresh_token = secrets.token_urlsafe(32)
    device = DeviceSession(
        user_id=user.id,
        device_id=device_id,
        refresh_token_hash=_token_hash(refresh_token),
        expires_at=utcnow() + timedelta(seconds=settings.refresh_ttl),
    )
    session.add(device)
    session.flush()
    return _issue(device, settings, refresh_token)


def refresh(refresh_token: str, device_id: str, settings: TokenSettings) -> dict:
    """A new access token for a device's refresh token. A token presented by another
    device answers exactly like an unknown one: the caller learns nothing."""
    set_actor(None, SYSTEM)
    device = session.scalar(
        select(DeviceSession).where(DeviceSession.refresh_token_hash == _token_hash(refresh_token))
    )
    now = utcnow()
    if (
        device is None
        or not hmac.compare_digest(device.device_id.encode(), device_id.encode())
        or device.revoked_at is not None
        or device.expires_at <= now
    ):
        raise Unauthorized("The refresh token is not valid; sign in again.")
    user = session.get(User, device.user_id)
    if user is None or not user.active:
        raise Unauthorized("The account is deactivated.")
    device.last_used_at = now
    return _issue(device, settings, None)


@dataclass(frozen=True)
class SignedIn:
    """Who a request's access token stands for, as the request needs it."""

    actor: Actor
    device_session_id: int
    must_change_password: bool


_USERS, _DEVICES, _AREAS = User.__table__, DeviceSession.__table__, Area.__table__
# One statement, read as a plain row: the sign-in check runs on every request, and loading
# the user, its area and the device session as ORM objects cost more than the statement.
_SIGN_IN = (
    select(
        _USERS.c.role,
        _USERS.c.area_id,
        _AREAS.c.path,
        _USERS.c.active,
        _USERS.c.must_change_password,
        _DEVICES.c.revoked_at,
    )
    .select_from(_USERS)
    .join(_DEVICES, _DEVICES.c.user_id == _USERS.c.id)
    .join(_AREAS, _AREAS.c.id == _USERS.c.area_id)
    .where(_DEVICES.c.id == bindparam("sid"), _USERS.c.id == bindparam("uid"))
)


def authenticate(token: str, secret_key: str, access_ttl: int) -> SignedIn:
    """The user and device session an access token stands for, or 401. The session is read
    afresh on every request (never cached): a sign-out, "revoke all tokens", a password
    change or a deactivation holds from the next request on."""
    try:
        claims = access_token_serializer(secret_key).loads(token, max_age=access_ttl)
    except SignatureExpired as exc:
        raise Unauthorized("The access token has expired; refresh it.") from exc
    except BadSignature as exc:
        raise Unauthorized("The access token is not valid.") from exc
    sid, uid = claims.get("sid"), claims.get("uid")
    if not isinstance(sid, int) or not isinstance(uid, int):
        raise Unauthorized("The access token is not valid.")
    row = session.connection().execute(_SIGN_IN, {"sid": sid, "uid": uid}).first()
    if row is None:
        raise Unauthorized("The access token is not valid.")
    if row.revoked_at is not None or not row.active:
        raise Unauthorized("This sign-in was revoked; sign in again.")
    actor = Actor(user_id=uid, role=row.role, area_id=row.area_id, area_path=row.path)
    return SignedIn(actor, sid, row.must_change_password)


def actor_for(user: User) -> Actor:
    return Actor(user_id=user.id, role=user.role, area_id=user.area_id, area_path=user.area.path)


def signed_in_user(actor: Actor) -> User:
    """The signed-in user as an object (the few views that show or change it)."""
    user = session.get(User, actor.user_id, execution_options={"skip_scope": True})
    assert user is not None  # the request's sign-in check found it in this transaction
    return user


def logout(device_session_id: int) -> None:
    session.execute(
        update(DeviceSession)
        .where(DeviceSession.id == device_session_id, DeviceSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_all_tokens(user: User, keep_session_id: int | None = None) -> int:
    """End every device session of ``user`` at once (a lost or stolen phone, a password
    change) but ``keep_session_id``, and withdraw those devices' trust for sign-in
    throttling, signed out or not. Returns how many sessions were still signed in."""
    others = [DeviceSession.user_id == user.id]
    if keep_session_id is not None:
        others.append(DeviceSession.id != keep_session_id)
    result = session.execute(
        update(DeviceSession)
        .where(*others, DeviceSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), trusted=False)
    )
    session.execute(
        update(DeviceSession).where(*others, DeviceSession.trusted.is_(True)).values(trusted=False)
    )
    return result.rowcount or 0


def set_password(user: User, password: str, keep_session_id: int | None = None) -> int:
    """Change ``user``'s password and end every sign-in of theirs but ``keep_session_id``
    (the device session that changed its own user's password stays signed in). The audit
    log records that the password changed, by whom, never the password or its hash.
    Returns how many sessions were ended."""
    user.password_hash = hash_password(password)
    user.must_change_password = False
    ended = revoke_all_tokens(user, keep_session_id)
    session.flush()
    return ended


# Easy to read out over the phone: no 0/O, 1/l/I.
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TEMPORARY_PASSWORD_LENGTH = 10


def reset_password(user: User, caller_id: int, password: str | None = None) -> dict[str, Any]:
    """An admin's reset (a forgotten password, a lost phone): ``user`` gets a temporary
    password (``password``, or a random one) that they must change at their next sign-in,
    and every sign-in of theirs ends. The audit log records that the password changed and
    must be changed, never the password. An admin changes their own through /me/password."""
    if user.id == caller_id:
        raise Invalid({"user_id": ["Change your own password under /me/password."]})
    temporary = password or "".join(
        secrets.choice(_TEMPORARY_ALPHABET) for _ in range(TEMPORARY_PASSWORD_LENGTH)
    )
    ended = set_password(user, temporary)
    user.must_change_password = True
    session.flush()
    return {"temporary_password": temporary, "revoked_sessions": ended}


def device_sessions_of(user: User) -> Select:
    """The user's sign-ins, newest first (which phone is which, when it was last used)."""
    return (
        select(DeviceSession)
        .where(DeviceSession.user_id == user.id)
        .order_by(DeviceSession.created_at.desc(), DeviceSession.id.desc())
    )


def change_own_password(
    user: User,
    device_session_id: int,
    current_password: str,
    new_password: str,
    address: str,
    throttle_settings: ThrottleSettings,
) -> None:
    """The signed-in user's own change: the current password is checked, and throttled
    and counted like a sign-in, so a stolen access token cannot guess it at speed."""
    device_id = session.scalar(
        select(DeviceSession.device_id).where(DeviceSession.id == device_session_id)
    )
    trusted = throttle.check(user.username, address, device_id, throttle_settings)
    ok = verify_password(user.password_hash, current_password)
    throttle.record(user.username, address, device_id, trusted, succeeded=ok)
    session.flush()
    if not ok:
        raise Invalid({"current_password": ["This is not your current password."]})
    set_password(user, new_password, keep_session_id=device_session_id)


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


def update_user(user: User, changes: dict[str, Any], keep_session_id: int | None = None) -> User:
    """Apply an admin's ``changes``; a new password ends the user's sign-ins but
    ``keep_session_id`` (the admin's own session, when admins change their own password)."""
    if "role" in changes:
        _check_role(changes["role"])
    if "area_id" in changes:
        visible_area(changes["area_id"])
    password = changes.pop("password", None)
    for key, value in changes.items():
        setattr(user, key, value)
    if password is not None:
        set_password(user, password, keep_session_id)
    if changes.get("active") is False:
        revoke_all_tokens(user)
    session.flush()
    return user


def users_query(
    role: str | None = None,
    area_id: int | None = None,
    active: bool | None = None,
    q: str | None = None,
):
    stmt = select(User).order_by(User.username)
    if q:
        # A part of a name or username as typed at a desk (% and _ taken literally).
        stmt = stmt.where(
            User.username.icontains(q, autoescape=True)
            | User.display_name.icontains(q, autoescape=True)
        )
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
