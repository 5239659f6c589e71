"""Leads (help requests): intake, routing, who sees them, contact, link, closing.

Services take plain values and only flush; the request commits. Every read goes through
``visible_leads``: the jurisdiction hook already limits rows to the caller's subtree, and
this adds the queue wall — rescue staff see only the rescue centre's queue (people on the
street), outreach workers never see it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, true

from api.areas.models import Area
from api.areas.scope import Actor, in_area, subtree, visible_area
from api.casework.leads import rules
from api.casework.leads.models import (
    OUTCOMES_NEEDING_DETAIL,
    Lead,
    LeadContact,
    LeadLookupAttempt,
)
from api.common import county_time
from api.db import session, utcnow
from api.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests
from api.jobs.services import schedule_job

# Crockford's base32 without look-alikes (no I, L, O, U): 12 characters are 60 bits.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12
RESCUE_ROLES = ("rescue_staff",)


def keyed_hash(secret_key: str, value: str) -> str:
    """A hash only this service can compute (the tracking code, the client address)."""
    return hmac.new(secret_key.encode(), value.encode(), hashlib.sha256).hexdigest()


def new_tracking_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


_LOOK_ALIKES = str.maketrans("ILO", "110")


def normalize_code(code: str) -> str:
    """What a person types (lower case, spaces, dashes, O for 0, I or L for 1) as the
    stored form."""
    return "".join(ch for ch in code.upper() if ch not in " -").translate(_LOOK_ALIKES)


# -- routing -------------------------------------------------------------------------------


def _facts(area: Area) -> rules.AreaFacts:
    return rules.AreaFacts(id=area.id, level=area.level, name=area.name, parent_id=area.parent_id)


def _county_id(area: Area) -> int:
    return int(area.path.strip("/").split("/")[0])


def route_lead(
    county_id: int, reported: Area | None, address: str | None, street_person: bool
) -> rules.Route:
    """The routed area and queue (looks past the caller's scope: the county's own
    towns and villages are public names, and routing must see all of them)."""
    places = []
    if reported is None or reported.level == "county":
        county = session.scalar(
            select(Area).where(Area.id == county_id).execution_options(skip_scope=True)
        )
        places = [
            _facts(a)
            for a in session.scalars(
                select(Area)
                .where(Area.path.startswith(county.path), Area.level.in_(("town", "village")))
                .execution_options(skip_scope=True)
            )
        ]
    return rules.route(
        county_id, _facts(reported) if reported else None, address, places, street_person
    )


# -- intake --------------------------------------------------------------------------------


def create_lead(
    data: dict[str, Any],
    *,
    county_id: int,
    reported: Area | None,
    settings: dict[str, Any],
    created_by_id: int | None = None,
    submitter_hash: str | None = None,
) -> tuple[Lead, str]:
    """Store a lead (a help request, or ``data["origin"]``'s), routed, with its
    respond-by time; schedule its follow-up task. Returns the lead and its tracking code
    (shown once, stored only hashed)."""
    street = bool(data.get("about_street_person"))
    routed = route_lead(county_id, reported, data.get("address"), street)
    now = utcnow()
    urgency = data.get("urgency") or "normal"
    due = rules.respond_by(
        now, urgency, settings["HELP_URGENT_CONTACT_HOURS"], settings["HELP_NORMAL_CONTACT_HOURS"]
    )
    code = new_tracking_code()
    lead = Lead(
        origin=data.get("origin") or "help_request",
        channel=data.get("channel"),
        requester_name=data.get("requester_name"),
        requester_phone=normalize_phone(data.get("requester_phone")),
        about=data.get("about") or "self",
        subject_name=data.get("subject_name"),
        about_street_person=street,
        reported_area_id=reported.id if reported else None,
        address=data.get("address"),
        area_id=routed.area_id,
        queue=routed.queue,
        description=data["description"],
        urgency=urgency,
        urgent_reasons=list(data.get("urgent_reasons") or []),
        status="received",
        household_id=data.get("household_id"),
        created_by_id=created_by_id,
        created_at=now,
        updated_at=now,
        respond_by=due,
        at_risk_at=rules.at_risk_at(now, due),
        tracking_code_hash=keyed_hash(settings["SECRET_KEY"], code),
        submitter_hash=submitter_hash,
    )
    session.add(lead)
    session.flush()
    schedule_job("workers.followup.lead_received", lead.id)
    return lead, code


def staff_intake(actor: Actor, data: dict[str, Any], settings: dict[str, Any]) -> tuple[Lead, str]:
    """A request taken by staff (hotline, town office, village cadre, grid worker). The
    area defaults to the caller's own; a household named must be visible to the caller."""
    if actor.role in RESCUE_ROLES and not data.get("about_street_person"):
        raise Invalid(
            {"about_street_person": ["Rescue staff take requests about people on the street."]}
        )
    reported = visible_area(data.get("area_id") or actor.area_id)  # type: ignore[arg-type]
    if data.get("household_id") is not None:
        _visible_household(data["household_id"], reported)
    return create_lead(
        data,
        county_id=_county_id(reported),
        reported=reported,
        settings=settings,
        created_by_id=actor.user_id,
    )


# -- reading -------------------------------------------------------------------------------


def get_lead(lead_id: int) -> Lead:
    lead = session.scalar(select(Lead).where(Lead.id == lead_id))
    if lead is None:
        raise NotFound("No such help request.")
    return lead


def leads_query(filters: dict[str, Any], now: datetime) -> Select:
    """A list, newest first; ``response_status`` is computed, so it filters in SQL by the
    same thresholds as ``rules.response_status``."""
    # The scope hook keeps the caller's subtree and their realm's queues.
    stmt = select(Lead)
    if filters.get("area_id") is not None:
        stmt = stmt.where(in_area(Lead.area_id, filters["area_id"]))
    for name in ("status", "channel", "urgency", "queue", "outcome"):
        if filters.get(name):
            stmt = stmt.where(getattr(Lead, name).in_(filters[name]))
    if filters.get("household_id") is not None:
        stmt = stmt.where(Lead.household_id == filters["household_id"])
    if filters.get("created_from") is not None:
        stmt = stmt.where(Lead.created_at >= filters["created_from"])
    if filters.get("created_to") is not None:
        stmt = stmt.where(Lead.created_at < filters["created_to"])
    wanted = filters.get("response_status")
    if wanted:
        stmt = stmt.where(or_(*(_response_status_is(name, now) for name in wanted)))
    return stmt.order_by(Lead.created_at.desc(), Lead.id.desc())


def _response_status_is(name: str, now: datetime) -> ColumnElement[bool]:
    """``rules.response_status`` as SQL."""
    contacted = Lead.first_contact_at.is_not(None)
    breached = or_(
        and_(contacted, Lead.first_contact_at >= Lead.respond_by),
        and_(~contacted, Lead.respond_by <= now),
    )
    if name == "breached":
        return breached
    at_risk = and_(~contacted, Lead.at_risk_at <= now, Lead.respond_by > now)
    if name == "at_risk":
        return at_risk
    return and_(~breached, ~at_risk)


# -- handling ------------------------------------------------------------------------------


def _open(lead: Lead) -> None:
    if lead.status == "closed":
        raise Conflict("The help request is closed.")


def _visible_household(household_id: int, area: Area, field: str = "household_id") -> None:
    from api.visits.models import Household

    area_id = session.scalar(select(Household.area_id).where(Household.id == household_id))
    if area_id is None:
        raise Invalid({field: ["No such household in your area."]})
    if (
        session.scalar(subtree(area).where(Area.id == area_id).execution_options(skip_scope=True))
        is None
    ):
        raise Invalid({field: ["The household is outside the request's area."]})


def link_household(lead: Lead, household_id: int | None) -> Lead:
    """The register household the request is about (None unlinks)."""
    _open(lead)
    if household_id is not None:
        area = session.scalar(
            select(Area).where(Area.id == lead.area_id).execution_options(skip_scope=True)
        )
        _visible_household(household_id, area)
    lead.household_id = household_id
    session.flush()
    return lead


def _link_visit(lead: Lead, visit_id: int) -> None:
    """A visit named on a contact must be one the caller sees, of a household in the
    request's area; a request not linked yet is linked to that household."""
    from api.visits.models import Visit

    household_id = session.scalar(select(Visit.household_id).where(Visit.id == visit_id))
    if household_id is None:
        raise Invalid({"visit_id": ["No such visit in your area."]})
    if lead.household_id is None:
        link_household(lead, household_id)
    elif lead.household_id != household_id:
        raise Invalid({"visit_id": ["The visit is of another household than the request's."]})


def record_contact(actor: Actor, lead: Lead, data: dict[str, Any]) -> LeadContact:
    """A call or a visit. The first one is the request's first contact; a visit makes the
    status ``visited``."""
    _open(lead)
    if data.get("visit_id") is not None:
        _link_visit(lead, data["visit_id"])
    at = data.get("at") or utcnow()
    if at > utcnow():
        raise Invalid({"at": ["A contact cannot be in the future."]})
    if at < lead.created_at:
        raise Invalid({"at": ["A contact cannot precede the request."]})
    contact = LeadContact(
        kind=data["kind"],
        at=at,
        by_id=actor.user_id,
        note=data.get("note"),
        visit_id=data.get("visit_id"),
    )
    lead.contacts.append(contact)
    if lead.first_contact_at is None or at < lead.first_contact_at:
        lead.first_contact_at = at
        lead.first_contact_kind = data["kind"]
    if data["kind"] == "visit":
        lead.visited_at = lead.visited_at or at
        lead.status = "visited"
    session.flush()
    return contact


def _end_task(lead: Lead, actor: Actor, status: str, note: str) -> None:
    """The request's follow-up task, if still active, ends with it."""
    from api.casework.tasks.models import ACTIVE_STATUSES, Task, TaskHistory

    if lead.task_id is None:
        return
    task = session.scalar(
        select(Task).where(Task.id == lead.task_id).execution_options(skip_scope=True)
    )
    if task is None or task.status not in ACTIVE_STATUSES:
        return
    old = task.status
    task.status = status
    task.closed_at = utcnow()
    task.outcome_note = note
    session.add(
        TaskHistory(
            task_id=task.id,
            actor_id=actor.user_id,
            action="closed",
            changes={"status": {"old": old, "new": status}},
            note=f"help request #{lead.id}",
        )
    )


def reroute(actor: Actor, lead: Lead, area_id: int) -> Lead:
    """Supervisors send a request to another place (the county's queue dispatching to a
    town, say): routed again from that place; the old task is cancelled and the new
    place gets its own (the job, through the outbox)."""
    if actor.role not in ("supervisor", "admin"):
        raise Forbidden("Only supervisors re-route a help request.")
    _open(lead)
    reported = visible_area(area_id)
    routed = route_lead(_county_id(reported), reported, lead.address, lead.about_street_person)
    lead.reported_area_id = reported.id
    if (routed.area_id, routed.queue) == (lead.area_id, lead.queue):
        session.flush()
        return lead
    _end_task(lead, actor, "cancelled", f"Help request #{lead.id} re-routed to {reported.name}.")
    lead.area_id, lead.queue = routed.area_id, routed.queue
    lead.task_id = None
    if lead.status == "assigned":
        lead.status, lead.assigned_at = "received", None
    session.flush()
    schedule_job("workers.followup.lead_received", lead.id)
    return lead


def close_lead(actor: Actor, lead: Lead, data: dict[str, Any]) -> Lead:
    """Closed with an outcome; ``referred`` names the department, ``not_eligible`` why.
    The follow-up task closes with it."""
    _open(lead)
    outcome = data["outcome"]
    detail = (data.get("outcome_detail") or "").strip() or None
    if outcome in OUTCOMES_NEEDING_DETAIL and detail is None:
        what = "the department" if outcome == "referred" else "why"
        raise Invalid({"outcome_detail": [f"Say {what} for outcome {outcome}."]})
    now = utcnow()
    lead.status = "closed"
    lead.outcome = outcome
    lead.outcome_detail = detail
    lead.outcome_note = data.get("outcome_note")
    lead.closed_at = now
    lead.closed_by_id = actor.user_id
    _end_task(lead, actor, "done", f"Help request #{lead.id} closed: {outcome}.")
    session.flush()
    return lead


# -- the public form -----------------------------------------------------------------------

# One answer for every limit, so that a refusal tells nothing about a phone or a text.
_TOO_MANY = (
    "提交过于频繁，请稍后再试，或拨打民政求助热线。Too many requests from here; try later "
    "or call the civil-affairs hotline."
)
_NO_MATCH = "没有与此查询码和手机号匹配的求助。No request matches this code and phone."


def normalize_phone(phone: str | None) -> str | None:
    return "".join(ch for ch in phone if ch not in " -") if phone else phone


def public_areas() -> list[Area]:
    """The places a requester picks from (names only; the tree is not a secret)."""
    return list(
        session.scalars(
            select(Area).order_by(Area.path, Area.id).execution_options(skip_scope=True)
        )
    )


def _public_reported_area(area_id: int | None) -> Area:
    if area_id is not None:
        area = session.scalar(
            select(Area).where(Area.id == area_id).execution_options(skip_scope=True)
        )
        if area is None:
            raise Invalid({"area_id": ["No such place."]})
        return area
    counties = session.scalars(
        select(Area).where(Area.parent_id.is_(None)).limit(2).execution_options(skip_scope=True)
    ).all()
    if len(counties) != 1:
        raise Invalid({"area_id": ["Choose your town or village (or the county)."]})
    return counties[0]


def _check_public_limits(
    phone: str, text: str, submitter_hash: str, settings: dict[str, Any]
) -> None:
    since = utcnow() - timedelta(seconds=settings["HELP_PUBLIC_WINDOW_SECONDS"])
    recent = (
        select(func.count())
        .select_from(Lead)
        .where(Lead.channel == "online_form", Lead.created_at >= since)
        .execution_options(skip_scope=True)
    )
    checks = (
        (Lead.submitter_hash == submitter_hash, "HELP_PUBLIC_MAX_PER_ADDRESS"),
        (Lead.requester_phone == phone, "HELP_PUBLIC_MAX_PER_PHONE"),
        (Lead.description == text, "HELP_PUBLIC_MAX_SAME_TEXT"),
        (true(), "HELP_PUBLIC_MAX_TOTAL"),
    )
    for condition, limit in checks:
        if session.scalar(recent.where(condition)) >= settings[limit]:
            raise TooManyRequests(_TOO_MANY, retry_after=settings["HELP_PUBLIC_WINDOW_SECONDS"])


def submit_public(
    data: dict[str, Any], client_address: str, settings: dict[str, Any]
) -> tuple[Lead, str]:
    """A request from the public form (no account), within the form's limits."""
    data = dict(data, channel="online_form", household_id=None)
    data["requester_phone"] = normalize_phone(data["requester_phone"])
    data["description"] = data["description"].strip()
    submitter = keyed_hash(settings["SECRET_KEY"], f"address:{client_address}")
    _check_public_limits(data["requester_phone"], data["description"], submitter, settings)
    reported = _public_reported_area(data.get("area_id"))
    return create_lead(
        data,
        county_id=_county_id(reported),
        reported=reported,
        settings=settings,
        submitter_hash=submitter,
    )


def lookup_status(
    code: str, phone_last4: str, client_address: str, settings: dict[str, Any]
) -> dict[str, Any]:
    """A request's status and dates, for its tracking code and the phone's last four
    digits. Any miss — no such code, other digits — is the same 404; failures count
    per address and per code, so neither codes nor digits can be guessed."""
    secret = settings["SECRET_KEY"]
    submitter = keyed_hash(secret, f"address:{client_address}")
    code_hash = keyed_hash(secret, normalize_code(code))
    since = utcnow() - timedelta(seconds=settings["HELP_LOOKUP_WINDOW_SECONDS"])
    failures = select(func.count()).where(
        LeadLookupAttempt.at >= since, LeadLookupAttempt.succeeded.is_(False)
    )
    limit = settings["HELP_LOOKUP_MAX_FAILURES"]
    if (
        session.scalar(failures.where(LeadLookupAttempt.submitter_hash == submitter)) >= limit
        or session.scalar(failures.where(LeadLookupAttempt.code_hash == code_hash)) >= limit
    ):
        raise TooManyRequests(_TOO_MANY, retry_after=settings["HELP_LOOKUP_WINDOW_SECONDS"])
    lead = session.scalar(
        select(Lead).where(Lead.tracking_code_hash == code_hash).execution_options(skip_scope=True)
    )
    digits = (lead.requester_phone or "") if lead is not None else ""
    ok = (
        lead is not None
        and len(digits) >= 4
        and hmac.compare_digest(digits[-4:].encode(), phone_last4.encode())
    )
    session.add(LeadLookupAttempt(submitter_hash=submitter, code_hash=code_hash, succeeded=ok))
    session.flush()
    if not ok:
        raise NotFound(_NO_MATCH)
    assert lead is not None

    def day(moment: datetime | None) -> Any:
        return county_time.local_date(moment) if moment else None

    return {
        "status": lead.status,
        "received_on": day(lead.created_at),
        "assigned_on": day(lead.assigned_at),
        "visited_on": day(lead.visited_at),
        "closed_on": day(lead.closed_at),
    }


def purge_lookup_attempts() -> int:
    """Status lookups are kept only while they count towards the limits (recurring)."""
    from flask import current_app

    window = timedelta(seconds=current_app.config["HELP_LOOKUP_WINDOW_SECONDS"])
    result = session.execute(
        delete(LeadLookupAttempt).where(LeadLookupAttempt.at < utcnow() - window)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]
