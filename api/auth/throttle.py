"""Sign-in throttling that slows password guessing but lets nobody lock a user out.

A hard lock after N failures hands the lock to whoever can type a username: five wrong
passwords from anywhere would keep the user out. Instead, failed sign-ins within
``LOGIN_FAILURE_WINDOW`` are counted three ways, and past a free allowance each further
failure makes the next try wait twice as long (1, 2, 4 … seconds after the last failure,
at most ``LOGIN_MAX_DELAY``; the window is much longer than that, so a patient guesser
stays at one guess per longest delay instead of starting afresh):

- per username *and* client address, or, on a trusted device, per username and device
  (both since the last success there: a user's own typos are forgiven on signing in);
- per username, over the failures of untrusted devices from every address (a guesser
  who spreads over many addresses);
- per client address, over the failures of untrusted devices for every username
  (spraying one password over many accounts).

A device is *trusted* for a username when it signed in as that user before
(``DeviceSession.trusted``; phones send a persistent random ``device_id``, after
OWASP's "device cookie"). A trusted device answers only to its own failures, so an
attacker elsewhere, or behind the same proxy, cannot keep the user's own phone out. A
try during a delay is refused with 429 and ``Retry-After`` before the password is looked
at (a right password must not end the delay) and is not counted (hammering does not
lengthen it).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, func, select

from api.auth.models import DeviceSession, LoginAttempt, User
from api.db import session, utcnow
from api.errors import TooManyRequests

# A device id shorter than this (a constant such as "dashboard", a made-up "phone-1") is
# easy to guess, so it never earns trust: anyone could claim to be that device.
TRUSTABLE_DEVICE_ID_LENGTH = 16
# 2**31 seconds is far beyond any window; the exponent stops here instead of growing.
_MAX_DOUBLINGS = 31


@dataclass(frozen=True)
class ThrottleSettings:
    window_seconds: int
    max_delay_seconds: int
    free_per_pair: int
    free_per_username: int
    free_per_address: int
    trusted_device_days: int


def _serialise_tries_for(username: str) -> None:
    """Take the username's turn until the transaction ends (PostgreSQL), so that parallel
    guesses cannot all read the counters before any of them is counted. SQLite, the
    single-process embedded default, has no such lock; its writes are serial anyway."""
    if session.connection().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(username.encode()).digest()[:8], "big", signed=True)
    session.execute(select(func.pg_advisory_xact_lock(key)))


def is_trusted_device(username: str, device_id: str, throttle: ThrottleSettings) -> bool:
    if len(device_id) < TRUSTABLE_DEVICE_ID_LENGTH:
        return False
    since = utcnow() - timedelta(days=throttle.trusted_device_days)
    return bool(
        session.scalar(
            select(
                exists().where(
                    DeviceSession.user_id == User.id,
                    User.username == username,
                    DeviceSession.device_id == device_id,
                    DeviceSession.trusted.is_(True),
                    DeviceSession.created_at >= since,
                )
            )
        )
    )


def _wait(
    now: datetime,
    free: int,
    throttle: ThrottleSettings,
    *scope: ColumnElement[bool],
    since_success: bool = False,
) -> int:
    """Seconds until the next try is allowed for the failures matching ``scope``; 0: now.
    ``since_success=True`` counts only failures after the scope's last success (the one
    who succeeded there is the user, whose earlier typos are forgiven)."""
    counted = [
        LoginAttempt.succeeded.is_(False),
        LoginAttempt.at >= now - timedelta(seconds=throttle.window_seconds),
        *scope,
    ]
    if since_success:
        last_success = (
            select(func.max(LoginAttempt.id))
            .where(LoginAttempt.succeeded.is_(True), *scope)
            .scalar_subquery()
        )
        counted.append(LoginAttempt.id > func.coalesce(last_success, 0))
    failures, last = session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(*counted)
    ).one()
    if failures < free:
        return 0
    delay = min(2 ** min(failures - free, _MAX_DOUBLINGS), throttle.max_delay_seconds)
    return max(0, math.ceil((last + timedelta(seconds=delay) - now).total_seconds()))


def check(username: str, address: str, device_id: str, throttle: ThrottleSettings) -> bool:
    """Refuse (429) a sign-in that must wait; otherwise whether the device is trusted."""
    _serialise_tries_for(username)
    now = utcnow()
    trusted = is_trusted_device(username, device_id, throttle)
    by_user = LoginAttempt.username == username
    by_address = LoginAttempt.address == address
    untrusted = LoginAttempt.trusted_device.is_(False)
    if trusted:
        by_device = LoginAttempt.device_id == device_id
        waits = [
            _wait(now, throttle.free_per_pair, throttle, by_user, by_device, since_success=True)
        ]
    else:
        waits = [
            _wait(now, throttle.free_per_pair, throttle, by_user, by_address, since_success=True),
            _wait(now, throttle.free_per_username, throttle, by_user, untrusted),
            _wait(now, throttle.free_per_address, throttle, by_address, untrusted),
        ]
    retry_after = max(waits)
    if retry_after:
        raise TooManyRequests(
            "Too many failed sign-ins; wait before trying again.", retry_after=retry_after
        )
    return trusted


def record(username: str, address: str, device_id: str, trusted: bool, succeeded: bool) -> None:
    session.add(
        LoginAttempt(
            username=username,
            address=address,
            device_id=device_id,
            trusted_device=trusted,
            succeeded=succeeded,
        )
    )
