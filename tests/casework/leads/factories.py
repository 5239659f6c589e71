"""Help requests for tests: through the staff API's own service, then moved in time by
setting their instants in the database (the county's clock, never a sleep)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app

from api.areas.scope import SYSTEM, set_actor
from api.casework.leads import services
from api.casework.leads.models import Lead
from api.db import session, utcnow


def payload(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "hotline",
        "requester_name": "李四",
        "requester_phone": "13812345678",
        "about": "self",
        "description": "家里断粮两天了",
        "urgency": "normal",
    }
    body.update(extra)
    return body


def lead(area, created_by=None, **extra: Any) -> Lead:
    """A help request reported in ``area`` (routed as the staff API routes it)."""
    set_actor(None, SYSTEM)
    data = payload(**extra)
    data["area_id"] = area.id
    county_id = int(area.path.strip("/").split("/")[0])
    made, _code = services.create_lead(
        data,
        county_id=county_id,
        reported=area,
        settings=current_app.config,
        created_by_id=created_by.id if created_by else None,
    )
    return made


_INSTANTS = ("created_at", "respond_by", "at_risk_at", "assigned_at", "first_contact_at")


def passes(made: Lead, time: timedelta) -> Lead:
    """Let ``time`` pass: every instant of the request moves that far into the past."""
    made = session.get(Lead, made.id)  # a job may have closed the session it came from
    session.refresh(made)
    for name in _INSTANTS:
        value = getattr(made, name)
        if value is not None:
            setattr(made, name, value - time)
    for contact in made.contacts:
        contact.at -= time
    session.flush()
    return made


def created_ago(made: Lead, age: timedelta) -> Lead:
    """A request created ``age`` ago (its deadlines with it)."""
    return passes(made, made.created_at - (utcnow() - age))
