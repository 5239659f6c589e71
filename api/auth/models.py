from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.areas.models import Area
from api.db import Base, utcnow
from api.mixins import AreaScoped, Audited

ROLES = ("admin", "supervisor", "outreach_worker", "rescue_staff")
MIN_PASSWORD_LENGTH = 8


class User(AreaScoped, Audited, Base):
    __tablename__ = "users"
    audit_exclude = frozenset({"password_hash"})
    # A password change is logged (who changed whose password), never the hash.
    audit_secret = frozenset({"password_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Set by an admin's password reset (a temporary password): until the user chooses
    # their own, they may only do that (api.auth.permissions).
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    area: Mapped[Area] = relationship(lazy="joined")


class DeviceSession(Base):
    """One signed-in device: holds the (hashed) refresh token; revoking it ends the
    device's access tokens too, since each request checks its session.

    A device that once signed in as the user is *trusted* by sign-in throttling (an
    attacker elsewhere cannot slow it down, ``api.auth.throttle``) until every sign-in of
    the user is ended (a lost phone, a password change): logging out keeps the trust."""

    __tablename__ = "device_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[str] = mapped_column(String(128))
    refresh_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    trusted: Mapped[bool] = mapped_column(default=True)


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    succeeded: Mapped[bool]
    device_id: Mapped[str | None] = mapped_column(String(128))
    # Whether the device was trusted for this username when it tried: failures of
    # untrusted devices are the ones that slow other untrusted devices down.
    trusted_device: Mapped[bool] = mapped_column(default=False)
