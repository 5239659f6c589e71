"""The jurisdiction and role matrix: every operation of the OpenAPI spec, every role in
town A, in a village of town A and at county level, against records seeded alike in town A
and town B (tests/live_seed.py), checked against ONE expectation table.

- ``OPERATIONS``: which roles may use each operation at all (else 403) and which seeded
  kinds its rows are. An operation in the spec that is missing here fails the test, as
  does a path parameter with no seeded kind (``PARAM_KINDS``): a new endpoint is covered
  the day it appears, or the test says what to add. Only ``NO_RECORD`` operations (sign-in,
  health, the static page, one's own password) are left out, each with its reason.
- ``REALM``: which roles may see each kind of record, derived records included (a task, a
  photo, a duplicate flag or a failed job inherits the walls of the record it is about).
- A record is *visible* to a caller when the caller's role is in its realm and its area
  lies in the caller's subtree. A record that is not visible must answer exactly like an id
  that does not exist (status and body, less the request id); a visible one must not.
- Every 2xx answer is scanned (JSON, GeoJSON, CSV): no ``area_id`` outside the caller's
  subtree, no list row, reference (``household_id``, ``other_household_id``,
  ``subject``...) or nested record naming an invisible seeded record, and X-Total-Count
  equal to the rows; a list that shows no seeded row to anyone fails (its check is void).
- Records named in bodies: tasks made by hand (``HIDDEN_TASK_TARGETS``, rule-only kinds)
  and every writable ``*_id`` field of a write (``REF_FIELDS``): another town's record is
  refused exactly like a missing one.

About 3,000 requests run in a thread pool against one live gunicorn; the module takes one
to two and a half minutes, seeding and server start included.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.live import TINY_JPEG, Live, live_server, multipart, request

ROLES = ("admin", "supervisor", "outreach_worker", "rescue_staff")
# Callers: every role in town A and in village A1; the county holds no outreach workers.
CALLERS = (
    *(f"{role}@a" for role in ROLES),
    *(f"{role}@a1" for role in ROLES),
    "admin@county",
    "supervisor@county",
    "rescue_staff@county",
)
CALLER_AREA = {"a": "town_a", "a1": "village_a1", "county": "county"}
MISSING_ID = 987654
PAGE_SIZE = 500  # lists are asked for in one page (the seed is small)
PARAM = re.compile(r"\{(\w+)\}")

# --- the expectation table ----------------------------------------------------------------

EVERYONE = frozenset(ROLES)
ADMIN = frozenset({"admin"})
SUPERVISING = frozenset({"admin", "supervisor"})
# Households and visits (docs/visits.md): outreach workers and those who supervise them.
FIELD = frozenset({"outreach_worker", "supervisor", "admin"})
# Patrols, encounters, residents, tracing (docs/patrols.md, docs/rescue-centre.md): rescue
# staff and those who supervise them; outreach workers never.
RESCUE = frozenset({"rescue_staff", "supervisor", "admin"})
# Patrol records are written by rescue staff and admins; supervisors only read them.
RESCUE_WRITE = frozenset({"rescue_staff", "admin"})

TASKS = (
    "task_household",
    "task_visit",
    "task_escalation_household",
    "task_other",
    "task_encounter",
    "task_resident",
    "task_escalation_resident",
    "task_tracing",
)
PHOTOS = ("photo_visit", "photo_encounter", "photo_resident", "photo_open_day")
HOUSEHOLDS = ("household", "household_shared")

# Who may see a record of each seeded kind (inside their subtree). Derived records take
# the realm of the record they are about: that is the wall the review found open.
REALM: dict[str, frozenset[str]] = {
    "area": EVERYONE,  # everyone sees the areas of their own subtree
    "user": SUPERVISING,  # accounts: admins and supervisors (docs/accounts.md)
    "household": FIELD,
    "household_shared": FIELD,
    "visit": FIELD,
    "photo_visit": FIELD,  # a visit's photo is the visit's (rescue staff never)
    "task_household": FIELD,  # a household's task is hidden from rescue staff
    "task_visit": FIELD,
    "task_escalation_household": FIELD,  # an escalation is about its task's subject
    "duplicate_flag": FIELD,  # names households: the household's realm
    "programme_standard": SUPERVISING,  # read by supervisors, set by admins
    # A task about no record lies on its assignee's side of the wall (an outreach worker's
    # here), so naming nothing does not carry a task past the wall.
    "task_other": FIELD,
    "campaign": RESCUE,
    "patrol": RESCUE,
    # A town's rescue staff as patrol team candidates (id and name): listed to those who
    # start patrols, of their own subtree only (docs/patrols.md).
    "team_candidate": RESCUE_WRITE,
    "street_person": RESCUE,
    "encounter": RESCUE,
    "photo_encounter": RESCUE,  # the encounter is 403 to outreach workers, so its photo too
    "task_encounter": RESCUE,  # an encounter's task is hidden from outreach workers
    "resident": RESCUE,  # residents never reach outreach workers, whatever their area
    "photo_resident": RESCUE,
    "task_resident": RESCUE,
    "task_escalation_resident": RESCUE,
    "tracing_case": RESCUE,
    "tracing_lead": RESCUE,
    "task_tracing": RESCUE,
    # The open-day log itself is for any signed-in user (docs/rescue-centre.md: a public
    # event); its photos (visitors' faces, residents) follow the centre's walls.
    "open_day_event": EVERYONE,
    "photo_open_day": RESCUE,
    # A help request in a town's queue is the households side's (docs/help-requests.md);
    # one about a person on the street sits in the rescue centre's queue at the county.
    "help_request": FIELD,
    # Data matching (docs/data-matching.md): sources, lists and their rows are the
    # supervisors' and admins'; warnings also the outreach workers' of their area.
    "matching_source": SUPERVISING,
    "matching_list": SUPERVISING,
    "matching_row": SUPERVISING,  # a row is its list's
    "matching_warning": FIELD,
    "failed_job": ADMIN,  # a job names its record: admins, and only their subtree's jobs
    "rq_failed_job": ADMIN,  # the same jobs in RQ's failed registry
}

# The seeded kinds a path parameter takes (tried in town A and in town B).
PARAM_KINDS: dict[str, tuple[str, ...]] = {
    "user_id": ("user",),
    "area_id": ("area",),
    "household_id": ("household",),
    "visit_id": ("visit",),
    "standard_id": ("programme_standard",),
    "photo_id": PHOTOS,
    "campaign_id": ("campaign",),
    "patrol_id": ("patrol",),
    "encounter_id": ("encounter",),
    "person_id": ("street_person",),
    "resident_id": ("resident",),
    "event_id": ("open_day_event",),
    "case_id": ("tracing_case",),
    "lead_id": ("tracing_lead",),
    "task_id": TASKS,
    "help_request_id": ("help_request",),
    "source_id": ("matching_source",),
    "list_id": ("matching_list",),
    "row_id": ("matching_row",),
    "warning_id": ("matching_warning",),
}

# Operations that take no record, so no jurisdiction applies (each says why).
NO_RECORD = {
    "POST /api/v1/auth/login",  # before sign-in: there is no caller yet
    "POST /api/v1/auth/refresh",  # a refresh token, bound to its own device session
    "POST /api/v1/auth/logout",  # ends the caller's own session
    "POST /api/v1/me/password",  # the caller's own password (and it would end the tokens)
    "GET /healthz",  # process liveness, public
    "GET /readyz",  # database and queue readiness, public
    "GET /",  # the supervisors' static page: it holds no data
    "GET /dashboard",  # the same page
    "GET /field/",  # the field app's static page: its data is in the phone and behind sign-in
    "GET /field/sw.js",  # its service worker: caches only the static shell
    # The public help form (docs/help-requests.md): no sign-in, so no caller to wall in;
    # its own tests prove it answers nothing about anyone (tests/casework/leads).
    "GET /help/",
    "GET /desk/admin/",  # the admins' static page: it holds no data
    "GET /desk/rescue/",  # the rescue centre's desk page: it holds no data
    "GET /desk/matching/",  # the data-matching desk page: it holds no data
    "GET /api/v1/help/areas",  # the county's town and village names for the form
    "POST /api/v1/help/requests",
    "POST /api/v1/help/status",
}


@dataclass(frozen=True)
class Op:
    roles: frozenset[str]  # who may use the operation at all; other roles get 403
    rows: tuple[str, ...] = ()  # seeded kinds the answer's rows (``id``) are
    # Roles that may filter the list by ?area_id= (their own area is tried); None: ``roles``.
    area_filter: frozenset[str] | None = None
    # Only for callers at the county level (others get 403): data that carries no area.
    county_only: bool = False


# One entry per operation of the spec (docs/*.md and the require_roles of the routes).
OPERATIONS: dict[str, Op] = {
    # Accounts and areas (docs/accounts.md).
    "GET /api/v1/me": Op(EVERYONE),
    "GET /api/v1/users": Op(SUPERVISING),  # rows carry area_id: the subtree's users only
    "POST /api/v1/users": Op(ADMIN),
    "GET /api/v1/users/{user_id}": Op(SUPERVISING),
    "PATCH /api/v1/users/{user_id}": Op(ADMIN),
    "POST /api/v1/users/{user_id}/revoke-tokens": Op(ADMIN),
    "POST /api/v1/users/{user_id}/password": Op(ADMIN),  # {} is valid: a random password
    "GET /api/v1/users/{user_id}/sessions": Op(ADMIN),  # rows are the user's devices
    "GET /api/v1/areas": Op(EVERYONE, ("area",)),
    "POST /api/v1/areas": Op(ADMIN),
    # A multipart file (see send); another town as parent answers like an unknown code.
    "POST /api/v1/areas/import": Op(ADMIN),
    "GET /api/v1/areas/{area_id}": Op(EVERYONE),
    "GET /api/v1/audit": Op(SUPERVISING),
    "GET /api/v1/dashboard/config": Op(EVERYONE),
    "GET /api/v1/labels": Op(EVERYONE),
    # Jobs (docs/workers.md): admins only; outbox rows carry the area of their record.
    "GET /api/v1/jobs/failed": Op(ADMIN, ("failed_job",)),
    # RQ's own registry knows no areas: county admins only.
    "GET /api/v1/jobs/rq-failed": Op(ADMIN, ("rq_failed_job",), county_only=True),
    # Households, visits, photos, screening (docs/visits.md): FIELD roles; reviews and
    # programme standards are supervisors' (standards are set by admins).
    "GET /api/v1/households": Op(FIELD, HOUSEHOLDS),
    # The field app's delta sync and forms (docs/field-app.md): the sync pages wrap their
    # rows ({"records": [...], "tombstones": [...]}), each list scanned as rows.
    "GET /api/v1/sync/households": Op(FIELD, HOUSEHOLDS),
    "GET /api/v1/sync/tasks": Op(EVERYONE, TASKS),
    "GET /api/v1/forms/visit": Op(FIELD),
    "GET /api/v1/forms/household": Op(FIELD),
    "GET /api/v1/forms/encounter": Op(RESCUE_WRITE),
    "POST /api/v1/households": Op(FIELD),
    "GET /api/v1/households/duplicates": Op(FIELD, ("duplicate_flag",)),
    "GET /api/v1/households/{household_id}": Op(FIELD),
    "PATCH /api/v1/households/{household_id}": Op(FIELD),
    "GET /api/v1/households/{household_id}/visits": Op(FIELD, ("visit",)),
    "GET /api/v1/visits": Op(FIELD, ("visit",)),
    "POST /api/v1/visits": Op(FIELD),
    "POST /api/v1/visits/batch": Op(FIELD),
    "GET /api/v1/visits/{visit_id}": Op(FIELD),
    "PATCH /api/v1/visits/{visit_id}/review": Op(SUPERVISING),
    "GET /api/v1/visits/{visit_id}/photos": Op(FIELD, PHOTOS),
    "POST /api/v1/visits/{visit_id}/photos": Op(FIELD),
    "GET /api/v1/programme-standards": Op(SUPERVISING, ("programme_standard",)),
    "POST /api/v1/programme-standards": Op(ADMIN),
    "PATCH /api/v1/programme-standards/{standard_id}": Op(ADMIN),
    # Photos by id (docs/visits.md): any role may ask; the owner's realm decides (REALM).
    "GET /api/v1/photos/{photo_id}": Op(EVERYONE),
    "GET /api/v1/photos/{photo_id}/thumbnail": Op(EVERYONE),
    "GET /api/v1/photos/{photo_id}/metadata": Op(EVERYONE),
    # Coverage, maps and exports (docs/supervisors.md): supervisors and admins.
    "GET /api/v1/coverage": Op(SUPERVISING),
    "GET /api/v1/coverage/workers": Op(SUPERVISING),
    "GET /api/v1/coverage/households": Op(SUPERVISING, HOUSEHOLDS),
    "GET /api/v1/maps/visits": Op(SUPERVISING, ("visit",)),
    "GET /api/v1/maps/households": Op(SUPERVISING, HOUSEHOLDS),
    "GET /api/v1/maps/areas": Op(SUPERVISING, ("area",)),
    "GET /api/v1/maps/patrols": Op(SUPERVISING),  # features "encounter-1": REFERENCES check
    "GET /api/v1/exports/coverage": Op(SUPERVISING),
    "GET /api/v1/exports/visits": Op(SUPERVISING, ("visit",)),
    "GET /api/v1/exports/tasks": Op(SUPERVISING, TASKS),
    # Rows are members (no seeded kind); their 户编号 is checked as a household reference.
    "GET /api/v1/exports/members": Op(SUPERVISING),
    "GET /api/v1/exports/households": Op(SUPERVISING),  # 户编号: the REFERENCES check
    # Patrols (docs/patrols.md): RESCUE read, RESCUE_WRITE write.
    "GET /api/v1/campaigns": Op(RESCUE, ("campaign",)),
    "POST /api/v1/campaigns": Op(RESCUE_WRITE),
    "GET /api/v1/campaigns/{campaign_id}": Op(RESCUE),
    "PATCH /api/v1/campaigns/{campaign_id}": Op(RESCUE_WRITE),
    "GET /api/v1/campaigns/{campaign_id}/stats": Op(RESCUE),
    "GET /api/v1/patrols": Op(RESCUE, ("patrol",)),
    "POST /api/v1/patrols": Op(RESCUE_WRITE),
    "GET /api/v1/patrols/map": Op(RESCUE, ("patrol",)),
    "GET /api/v1/patrols/team-candidates": Op(RESCUE_WRITE, ("team_candidate",)),
    "GET /api/v1/patrols/{patrol_id}": Op(RESCUE),
    "PATCH /api/v1/patrols/{patrol_id}": Op(RESCUE_WRITE),
    "GET /api/v1/patrols/{patrol_id}/track": Op(RESCUE),
    "POST /api/v1/patrols/{patrol_id}/track": Op(RESCUE_WRITE),
    "GET /api/v1/patrols/{patrol_id}/encounters": Op(RESCUE, ("encounter",)),
    "POST /api/v1/patrols/{patrol_id}/encounters": Op(RESCUE_WRITE),
    "GET /api/v1/encounters": Op(RESCUE, ("encounter",)),
    "GET /api/v1/encounters/map": Op(RESCUE, ("encounter",)),
    "GET /api/v1/encounters/{encounter_id}": Op(RESCUE),
    "PATCH /api/v1/encounters/{encounter_id}": Op(RESCUE_WRITE),
    "GET /api/v1/encounters/{encounter_id}/photos": Op(RESCUE, PHOTOS),
    "POST /api/v1/encounters/{encounter_id}/photos": Op(RESCUE_WRITE),
    "GET /api/v1/street-people": Op(RESCUE, ("street_person",)),
    "POST /api/v1/street-people": Op(RESCUE_WRITE),
    "GET /api/v1/street-people/{person_id}": Op(RESCUE),
    "PATCH /api/v1/street-people/{person_id}": Op(RESCUE_WRITE),
    # Rescue centre and tracing (docs/rescue-centre.md): RESCUE, reads and writes alike;
    # open-day logs are read by everyone, written by RESCUE.
    "GET /api/v1/residents": Op(RESCUE, ("resident",)),
    "POST /api/v1/residents": Op(RESCUE),
    "GET /api/v1/residents/{resident_id}": Op(RESCUE),
    "PATCH /api/v1/residents/{resident_id}": Op(RESCUE),
    "POST /api/v1/residents/{resident_id}/discharge": Op(RESCUE),
    # Rows wrap the record ({"resident": {...}}): NESTED checks it.
    "GET /api/v1/residents/long-stay": Op(RESCUE),
    "GET /api/v1/residents/admissible-encounters": Op(RESCUE, ("encounter",)),
    "GET /api/v1/residents/{resident_id}/photos": Op(RESCUE, PHOTOS),
    "POST /api/v1/residents/{resident_id}/photos": Op(RESCUE),
    "GET /api/v1/open-day-events": Op(EVERYONE, ("open_day_event",)),
    "POST /api/v1/open-day-events": Op(RESCUE),
    "GET /api/v1/open-day-events/{event_id}": Op(EVERYONE),
    "PATCH /api/v1/open-day-events/{event_id}": Op(RESCUE),
    "GET /api/v1/open-day-events/{event_id}/photos": Op(RESCUE, PHOTOS),
    "POST /api/v1/open-day-events/{event_id}/photos": Op(RESCUE),
    "GET /api/v1/tracing-cases": Op(RESCUE, ("tracing_case",)),
    "POST /api/v1/tracing-cases": Op(RESCUE),
    "GET /api/v1/tracing-cases/{case_id}": Op(RESCUE),
    "PATCH /api/v1/tracing-cases/{case_id}": Op(RESCUE),
    "POST /api/v1/tracing-cases/{case_id}/status": Op(RESCUE),
    "POST /api/v1/tracing-cases/{case_id}/outcome": Op(RESCUE),
    "GET /api/v1/tracing-cases/{case_id}/actions": Op(RESCUE),
    "POST /api/v1/tracing-cases/{case_id}/actions": Op(RESCUE),
    "GET /api/v1/tracing-cases/{case_id}/leads": Op(RESCUE, ("tracing_lead",)),
    "POST /api/v1/tracing-cases/{case_id}/leads": Op(RESCUE),
    "PATCH /api/v1/tracing-cases/{case_id}/leads/{lead_id}": Op(RESCUE),
    "GET /api/v1/tracing-cases/stale": Op(RESCUE, ("tracing_case",)),
    "GET /api/v1/tracing-cases/reports/open": Op(RESCUE),
    "GET /api/v1/tracing-cases/reports/outcomes": Op(RESCUE),
    "GET /api/v1/tracing-cases/reports/long-stay": Op(RESCUE),
    # Tasks (docs/workers.md): every role; which tasks is the REALM of their subject.
    # Everyone lists their own tasks; only supervisors name an area (a worker gets 403).
    "GET /api/v1/tasks": Op(EVERYONE, TASKS, area_filter=SUPERVISING),
    "POST /api/v1/tasks": Op(EVERYONE),
    "GET /api/v1/tasks/{task_id}": Op(EVERYONE),
    "PATCH /api/v1/tasks/{task_id}": Op(EVERYONE),
    "GET /api/v1/tasks/{task_id}/history": Op(EVERYONE),
    "POST /api/v1/tasks/reassign": Op(SUPERVISING),  # many at once, all or none
    # Help requests (docs/help-requests.md): every role takes and works them; which ones is
    # the REALM of their queue. Figures and exports are supervisors'.
    "GET /api/v1/help-requests": Op(EVERYONE, ("help_request",)),
    "POST /api/v1/help-requests": Op(EVERYONE),
    "GET /api/v1/help-requests/stats": Op(SUPERVISING),
    "GET /api/v1/help-requests/stats/export": Op(SUPERVISING),
    "GET /api/v1/help-requests/{help_request_id}": Op(EVERYONE),
    "PATCH /api/v1/help-requests/{help_request_id}": Op(EVERYONE),
    "POST /api/v1/help-requests/{help_request_id}/contacts": Op(EVERYONE),
    "POST /api/v1/help-requests/{help_request_id}/close": Op(EVERYONE),
    # Data matching (docs/data-matching.md): admins define sources; supervisors upload,
    # read lists and rows, review and see the figures; warnings are FIELD's.
    "GET /api/v1/matching/sources": Op(SUPERVISING, ("matching_source",)),
    "POST /api/v1/matching/sources": Op(ADMIN),
    "GET /api/v1/matching/sources/{source_id}": Op(SUPERVISING),
    "PATCH /api/v1/matching/sources/{source_id}": Op(ADMIN),
    "GET /api/v1/matching/lists": Op(SUPERVISING, ("matching_list",)),
    "POST /api/v1/matching/lists": Op(SUPERVISING),  # multipart: send() gives it a file
    "GET /api/v1/matching/lists/{list_id}": Op(SUPERVISING),
    "GET /api/v1/matching/lists/{list_id}/rows": Op(SUPERVISING, ("matching_row",)),
    "GET /api/v1/matching/review": Op(SUPERVISING),  # rows wrap the row: NESTED checks it
    "POST /api/v1/matching/review/{row_id}": Op(SUPERVISING),
    "GET /api/v1/matching/warnings": Op(FIELD, ("matching_warning",)),
    "GET /api/v1/matching/warnings/{warning_id}": Op(FIELD),
    "GET /api/v1/matching/stats": Op(SUPERVISING),
}

# Query parameters a list needs to show the seeded rows (their dates, thresholds).
LIST_QUERIES: dict[str, str] = {
    "GET /api/v1/maps/patrols": "from=2026-07-01&to=2026-07-31",  # the seeded patrols' month
    "GET /api/v1/patrols": "from=2026-07-01&to=2026-07-31",
    "GET /api/v1/patrols/map": "from=2026-07-01&to=2026-07-31",
    "GET /api/v1/encounters": "from=2026-07-01&to=2026-07-31",
    "GET /api/v1/encounters/map": "from=2026-07-01&to=2026-07-31",
    "GET /api/v1/residents/admissible-encounters": "from=2026-07-01&to=2026-07-31",
    "GET /api/v1/residents/long-stay": "threshold_days=7",  # admitted 30 days ago
    "GET /api/v1/tracing-cases/stale": "as_of=2027-06-01",  # no action since it opened
}

# The smallest valid body of writes whose schema refuses {}: the record must be looked up
# (a 422 for the body would answer the same for every id and prove nothing). "<uuid>" is a
# fresh UUID per request. A write whose missing-id answer is a 422 fails until it is here.
BODIES: dict[str, dict[str, Any]] = {
    "PATCH /api/v1/visits/{visit_id}/review": {"state": "approved"},
    "PATCH /api/v1/programme-standards/{standard_id}": {"valid_to": "2030-12-31"},
    "POST /api/v1/patrols/{patrol_id}/track": {
        "points": [{"lon": 114.2, "lat": 24.2, "recorded_at": "2026-07-06T20:10:00+08:00"}]
    },
    "POST /api/v1/patrols/{patrol_id}/encounters": {
        "client_uuid": "<uuid>",
        "location": {"type": "Point", "coordinates": [114.2, 24.2]},
        "occurred_at": "2026-07-06T20:30:00Z",  # during the seeded patrols
        "outcome": "accepted_aid",
    },
    "POST /api/v1/residents/{resident_id}/discharge": {"reason": "returned_home"},
    "POST /api/v1/tracing-cases/{case_id}/status": {"status": "searching"},
    "POST /api/v1/tracing-cases/{case_id}/outcome": {"outcome": "settled_locally"},
    "POST /api/v1/tracing-cases/{case_id}/actions": {"kind": "phone_call", "details": "called"},
    "POST /api/v1/tracing-cases/{case_id}/leads": {"description": "a lead"},
    "PATCH /api/v1/help-requests/{help_request_id}": {"household_id": None},
    "POST /api/v1/help-requests/{help_request_id}/contacts": {"kind": "phone"},
    "POST /api/v1/help-requests/{help_request_id}/close": {"outcome": "unreachable"},
    "POST /api/v1/matching/review/{row_id}": {"decision": "reject"},
}

# Body fields of writes that name a record, by seeded kind: another town's record named
# there must be refused exactly like one that does not exist (the tasks side door was a
# household_id). A writable ``*_id`` field of the spec that is not here fails the test.
REF_FIELDS: dict[str, str] = {
    "area_id": "area",
    "parent_id": "area",  # a new area's parent
    "household_id": "household",
    "campaign_id": "campaign",
    "street_person_id": "street_person",
    "encounter_id": "encounter",
    "resident_id": "resident",
    "assignee_id": "user",
    "visit_id": "visit",  # a help request's contact names the visit it was
    "team": "user",  # a patrol's team: a list of user ids
    "task_ids": "task_household",  # tasks reassigned in bulk: a list of task ids
}
LIST_FIELDS = {"team", "task_ids"}  # references sent as a list of ids
NOT_REF_FIELDS = {
    "subject_id",  # its kind is subject_kind's: HIDDEN_TASK_TARGETS tries each
    "device_id",  # the phone's own id at sign-in, not a record
}
# A valid body for each write that takes a body reference, in town A; the reference under
# test is put in (``<uuid>``, ``<digits>``: fresh values per request). Writes not here send
# only the reference (their other fields are optional).
REF_BODIES: dict[str, dict[str, Any]] = {
    "POST /api/v1/users": {
        "username": "u<digits>",
        "display_name": "新用户",
        "password": "a long enough password",
        "role": "outreach_worker",
    },
    "POST /api/v1/areas": {"code": "<digits>", "level": "village", "name": "新村"},
    "POST /api/v1/households": {
        "address": "新路1号",
        "head_name": "新户主",
        "urban_rural": "rural",
    },
    "POST /api/v1/visits": {
        "channel": "phone",
        "client_uuid": "<uuid>",
        "visited_at": "2026-11-01T10:00:00+08:00",
    },
    "POST /api/v1/programme-standards": {
        "monthly_amount": 600,
        "programme": "dibao",
        "urban_rural": "rural",
        "valid_from": "2027-01-01",
    },
    "POST /api/v1/campaigns": {
        "kind": "summer_cooling",
        "name": "新行动",
        "starts_on": "2026-07-01",
        "ends_on": "2026-08-31",
    },
    "POST /api/v1/patrols": {
        "client_uuid": "<uuid>",
        "mode": "on_foot",
        "started_at": "2026-07-06T20:00:00+08:00",
    },
    "POST /api/v1/patrols/{patrol_id}/encounters": BODIES[
        "POST /api/v1/patrols/{patrol_id}/encounters"
    ],
    "POST /api/v1/street-people": {"alias": "新无名氏"},
    "POST /api/v1/tasks": {"title": "by hand", "due_on": "2030-06-01"},
    "POST /api/v1/tasks/reassign": {"task_ids": "<seeded task_household a>", "assignee_id": None},
    "POST /api/v1/help-requests": {
        "channel": "hotline",
        "requester_name": "李四",
        "requester_phone": "13812345678",
        "about": "self",
        "description": "家里断粮两天了",
        "urgency": "normal",
    },
    "POST /api/v1/help-requests/{help_request_id}/contacts": {"kind": "phone"},
    "POST /api/v1/matching/sources": {
        "code": "c<digits>",
        "name": "新来源",
        "department": "某局",
        "kind": "other",
        "columns": {"name": "姓名"},
    },
}

# Keys of an answer that name a record of a seeded kind: an invisible one must not appear.
REFERENCES: dict[str, tuple[str, ...]] = {
    "household_id": HOUSEHOLDS,
    "other_household_id": HOUSEHOLDS,  # the duplicate flag's leak
    "visit_id": ("visit",),
    "campaign_id": ("campaign",),
    "patrol_id": ("patrol",),
    "encounter_id": ("encounter",),
    "street_person_id": ("street_person",),
    "person_id": ("street_person",),
    "resident_id": ("resident",),
    "case_id": ("tracing_case",),
}
# Columns of the CSV exports (Chinese headers) that carry ids: a row's own, a household's.
CSV_COLUMNS = {"走访编号": "id", "任务编号": "id", "户编号": "household_id"}
# Keys of an answer that hold a whole record of a seeded kind ({"resident": {...}}).
NESTED: dict[str, tuple[str, ...]] = {
    "resident": ("resident",),
    "row": ("matching_row",),  # the review queue's {"row": {...}, "candidate": {...}}
    "household": HOUSEHOLDS,
    "visit": ("visit",),
    "encounter": ("encounter",),
    "task": TASKS,
}
# A task's ``subject`` ({kind, id}) by subject kind.
SUBJECTS: dict[str, tuple[str, ...]] = {
    "household": HOUSEHOLDS,
    "visit": ("visit",),
    "encounter": ("encounter",),
    "resident": ("resident",),
    "tracing_case": ("tracing_case",),
    "task": TASKS,
    "photo": PHOTOS,
}


# --- the machinery ------------------------------------------------------------------------


@dataclass
class World:
    """What the seed made, and who may see it."""

    seed: dict[str, Any]

    def path(self, area_key: str) -> str:
        return self.seed["paths"][area_key]

    def record(self, kind: str, town: str) -> dict[str, Any]:
        return self.seed["records"][kind][town]

    def visible(self, caller: str, kind: str, town: str) -> bool:
        role, where = caller.split("@")
        record_path = self.path(self.record(kind, town)["area"])
        return role in REALM[kind] and record_path.startswith(self.path(CALLER_AREA[where]))

    def ids(self, kind: str, town: str) -> set[int]:
        record = self.record(kind, town)
        return set(record.get("all", [record["id"]]))

    def invisible_ids(self, caller: str, kinds: tuple[str, ...]) -> set[int]:
        return {
            record_id
            for kind in kinds
            for town in ("a", "b")
            if not self.visible(caller, kind, town)
            for record_id in self.ids(kind, town)
        }


@dataclass
class Probe:
    caller: str
    method: str
    path: str
    op: str
    kind: str | None = None  # the seeded kind tried (None: no record, or the missing id)
    town: str | None = None
    missing: Probe | None = None  # the same request with an id that does not exist
    body: Any = None  # the JSON body (default: {} for writes)
    answer: tuple[int, bytes, dict[str, str]] = field(default=(0, b"", {}))


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    with live_server(workers=2, threads=4, failed_jobs=True) as server:
        yield server


def spec_operations(live: Live) -> dict[str, dict[str, Any]]:
    status, body, _ = request(live, "GET", "/api/v1/openapi.json")
    assert status == 200
    spec = json.loads(body)
    return {
        f"{method.upper()} {template}": operation
        for template, operations in spec["paths"].items()
        for method, operation in operations.items()
        if method in ("get", "post", "put", "patch", "delete")
    }


def plan(live: Live, world: World) -> tuple[list[Probe], list[str]]:
    """A probe per operation, caller and seeded record (plus the missing id); and every
    operation the matrix cannot try, which fails the test."""
    operations = spec_operations(live)
    gaps = [f"{op}: in OPERATIONS but not in the spec" for op in OPERATIONS if op not in operations]
    probes: list[Probe] = []
    for op, operation in operations.items():
        if op in NO_RECORD:
            continue
        if op not in OPERATIONS:
            gaps.append(f"{op}: no entry in OPERATIONS (who may use it, what its rows are)")
            continue
        method, template = op.split(" ", 1)
        params = PARAM.findall(template)
        unknown = [p for p in params if p not in PARAM_KINDS]
        if unknown:
            gaps.append(f"{op}: no seeded kind for {unknown} (add it to PARAM_KINDS)")
            continue
        missing_kinds = [
            kind
            for p in params
            for kind in PARAM_KINDS[p]
            if set(world.seed["records"].get(kind, {})) != {"a", "b"}
        ]
        if missing_kinds:
            gaps.append(f"{op}: the seed made no record of {missing_kinds} in both towns")
            continue
        query = list_query(op, operation)
        for caller in CALLERS:
            if not params:
                probes.append(Probe(caller, method, template + query, op))
                area_query = own_area_query(op, operation, caller, world)
                if method == "GET" and area_query:
                    probes.append(Probe(caller, method, template + area_query, op))
                continue
            missing = Probe(caller, method, fill(template, params, world, None, None), op)
            probes.append(missing)
            for kind in PARAM_KINDS[params[-1]]:
                for town in ("a", "b"):
                    path = fill(template, params, world, kind, town)
                    probes.append(Probe(caller, method, path, op, kind, town, missing))
    return probes, gaps


def fill(template: str, params: list[str], world: World, kind: str | None, town: str | None):
    """The path with the seeded record of ``kind`` in ``town`` (earlier parameters: its
    parents of the same town); with no kind, the first parameter is an id that does not
    exist (and the others are town A's)."""
    path = template
    for param in params:
        if kind is None:
            value = (
                MISSING_ID if param == params[0] else world.record(PARAM_KINDS[param][0], "a")["id"]
            )
        elif param == params[-1]:
            value = world.record(kind, town)["id"]
        else:
            parent = world.record(kind, town).get(param.removesuffix("_id"))
            value = parent or world.record(PARAM_KINDS[param][0], town)["id"]
        path = path.replace(f"{{{param}}}", str(value))
    return path


def list_query(op: str, operation: dict[str, Any]) -> str:
    names = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
    query = [f"page_size={PAGE_SIZE}"] if "page_size" in names else []
    query += [LIST_QUERIES[op]] if op in LIST_QUERIES else []
    return "?" + "&".join(query) if query else ""


def own_area_query(op: str, operation: dict[str, Any], caller: str, world: World) -> str:
    """Lists filtered by area, with the caller's own area: the widest answer they get."""
    names = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
    area_filter = OPERATIONS[op].area_filter or OPERATIONS[op].roles
    if "area_id" not in names or caller.split("@")[0] not in area_filter:
        return ""
    area = world.seed["areas"][CALLER_AREA[caller.split("@")[1]]]
    query = list_query(op, operation)
    return f"{query}&area_id={area}" if query else f"?area_id={area}"


def send(live: Live, probe: Probe) -> None:
    token = live.token(probe.caller)
    if probe.method in ("GET", "DELETE"):
        probe.answer = request(live, probe.method, probe.path, token)
    elif probe.path.endswith("/areas/import"):
        # Who may import at all: an empty collection (a 422 for admins). The codes a file
        # names are walled in tests/areas/test_import.py.
        empty = json.dumps({"type": "FeatureCollection", "features": []}).encode()
        data, content_type = multipart({}, empty, "areas.geojson", "application/geo+json")
        probe.answer = request(
            live, probe.method, probe.path, token, data=data, content_type=content_type
        )
    elif probe.path.endswith("/photos"):
        data, content_type = multipart(
            {"client_uuid": str(uuid.uuid4())}, TINY_JPEG, "x.jpg", "image/jpeg"
        )
        probe.answer = request(
            live, probe.method, probe.path, token, data=data, content_type=content_type
        )
    elif probe.op == "POST /api/v1/matching/lists":
        # A list for a source that does not exist: the role wall answers before it.
        data, content_type = multipart(
            {"source_id": str(MISSING_ID)}, "姓名\n张三\n".encode(), "l.csv", "text/csv"
        )
        probe.answer = request(
            live, probe.method, probe.path, token, data=data, content_type=content_type
        )
    else:
        body = expand(BODIES.get(probe.op, {}) if probe.body is None else probe.body)
        probe.answer = request(live, probe.method, probe.path, token, body=body)


def normalised(raw: bytes) -> Any:
    try:
        document = json.loads(raw)
    except ValueError:
        return raw
    if isinstance(document, dict):
        document.pop("request_id", None)
    return document


def parsed(body: bytes, headers: dict[str, str]) -> Any:
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if "csv" in content_type:
        text = body.decode("utf-8-sig")
        return [
            {CSV_COLUMNS.get(k, k): int(v) if v and v.isdigit() else v for k, v in row.items()}
            for row in csv.DictReader(io.StringIO(text))
        ]
    if "json" in content_type:
        return json.loads(body)
    return None


def leaks(world: World, probe: Probe) -> list[str]:
    """What a 2xx answer shows that the caller may not see."""
    _, body, headers = probe.answer
    document = parsed(body, headers)
    if document is None:
        return []
    own_path = world.path(CALLER_AREA[probe.caller.split("@")[1]])
    area_paths = {world.seed["areas"][key]: path for key, path in world.seed["paths"].items()}
    found: list[str] = []
    row_kinds = OPERATIONS[probe.op].rows
    hidden_rows = world.invisible_ids(probe.caller, row_kinds)

    def walk(node: Any, top_row: bool) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, top_row)
            return
        if not isinstance(node, dict):
            return
        if node.get("type") == "FeatureCollection":
            walk(node.get("features", []), True)
            return
        if node.get("type") == "Feature":
            properties = dict(node.get("properties") or {})
            properties.setdefault("id", node.get("id"))
            walk(properties, top_row)
            return
        if top_row and node.get("id") in hidden_rows:
            found.append(f"row id {node['id']} of an invisible {row_kinds} record")
        area = node.get("area_id")
        if (
            isinstance(area, int)
            and area in area_paths
            and not area_paths[area].startswith(own_path)
        ):
            found.append(f"area_id {area} is outside the caller's subtree")
        for key, kinds in REFERENCES.items():
            value = node.get(key)
            if isinstance(value, int) and value in world.invisible_ids(probe.caller, kinds):
                found.append(f"{key}={value} names an invisible {kinds} record")
        for key, kinds in NESTED.items():
            record = node.get(key)
            if isinstance(record, dict) and record.get("id") in world.invisible_ids(
                probe.caller, kinds
            ):
                found.append(f"{key} {record['id']} is an invisible record")
        subject = node.get("subject")
        if isinstance(subject, dict) and subject.get("kind") in SUBJECTS:
            kinds = SUBJECTS[subject["kind"]]
            if subject.get("id") in world.invisible_ids(probe.caller, kinds):
                found.append(f"subject {subject} is an invisible record")
        for value in node.values():
            if isinstance(value, (dict, list)):
                walk(value, top_row=False)

    # The rows of a list: the list itself, a FeatureCollection's features, or the list
    # inside a report ({"residents": [...]}); every other node is walked as a non-row.
    if isinstance(document, dict) and document.get("type") != "FeatureCollection":
        for value in document.values():
            if isinstance(value, list):
                walk(value, top_row=True)
        walk({k: v for k, v in document.items() if not isinstance(v, list)}, top_row=False)
    else:
        walk(document, top_row=True)
    # A count is a list too: X-Total-Count of a list that fits one page is its length.
    total = {k.lower(): v for k, v in headers.items()}.get("x-total-count")
    fits = isinstance(document, list) and len(document) < PAGE_SIZE
    if total is not None and fits and int(total) != len(document):
        found.append(f"X-Total-Count {total} for {len(document)} rows")
    return found


def judge(world: World, probe: Probe) -> str | None:
    """The problem with one answer, or None."""
    status, body, _ = probe.answer
    role, where = probe.caller.split("@")
    op = OPERATIONS[probe.op]
    allowed = role in op.roles and (where == "county" or not op.county_only)
    if status >= 500 or status == 0:
        return f"{status} {body[:200]!r}"
    if not allowed:
        return None if status == 403 else f"{status}, expected 403 (role may not use it)"
    if status == 403 and probe.method == "GET":
        return "403, but the role may use this operation"
    if probe.kind is None and PARAM.search(probe.op) and status == 422:
        return "the body is refused before the record is looked up: give it a valid one in BODIES"
    if probe.kind is not None:
        answer, missing_answer = (
            (status, normalised(body)),
            (
                probe.missing.answer[0],
                normalised(probe.missing.answer[1]),
            ),
        )
        if world.visible(probe.caller, probe.kind, probe.town):
            if answer == missing_answer and missing_answer[0] == 404:
                return "answers like a missing id, but the caller may see the record"
        elif answer != missing_answer:
            return f"{status} {body[:150]!r}, but a missing id answers {missing_answer[0]} " + (
                f"{probe.missing.answer[1][:150]!r}"
            )
    if 200 <= status < 300:
        shown = leaks(world, probe)
        if shown:
            return "shows " + "; ".join(sorted(set(shown))[:5])
    return None


def test_every_operation_for_every_role_and_area(live: Live) -> None:
    world = World(live.seed)
    probes, gaps = plan(live, world)
    assert not gaps, "operations the matrix cannot try:\n" + "\n".join(gaps)
    # Missing ids (and lists) first: the records tried next may change (a photo added...).
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda p: send(live, p), [p for p in probes if p.kind is None]))
        list(pool.map(lambda p: send(live, p), [p for p in probes if p.kind is not None]))
    problems = []
    for probe in probes:
        problem = judge(world, probe)
        if problem:
            what = f"{probe.kind}@{probe.town}" if probe.kind else probe.path
            problems.append(f"{probe.caller} {probe.op} [{what}]: {problem}")
    # A list whose rows nobody saw proves nothing about its rows: each shows a seeded row.
    for op, rows in seen_rows(world, probes).items():
        if not rows:
            problems.append(f"{op}: showed no seeded row to anyone (seed one it shows)")
    assert not problems, f"{len(problems)} of {len(probes)} answers:\n" + "\n".join(problems)


def seen_rows(world: World, probes: list[Probe]) -> dict[str, set[Any]]:
    """For each list with row kinds: the seeded row ids any caller was shown."""
    seen: dict[str, set[Any]] = {}
    for probe in probes:
        rows = OPERATIONS[probe.op].rows
        if not rows:
            continue
        seeded = {i for kind in rows for town in ("a", "b") for i in world.ids(kind, town)}
        status, body, headers = probe.answer
        document = parsed(body, headers) if 200 <= status < 300 else None
        if isinstance(document, dict):
            document = [row for v in document.values() if isinstance(v, list) for row in v]
        shown = {row.get("id") for row in document or [] if isinstance(row, dict)}
        seen.setdefault(probe.op, set()).update(shown & seeded)
    return seen


# --- records made by hand that point at other records ---------------------------------------

# POST /tasks naming a record the creator may not see (another town's, or a realm the role
# may not see in its own town) must answer exactly as naming one that does not exist.
# (caller, how the task names it: "household" = household_id, "subject" = subject_kind/id,
# seeded kind, town)
HIDDEN_TASK_TARGETS = (
    ("outreach_worker@a", "household", "household", "b"),  # the review's revisit side door
    ("outreach_worker@a", "subject", "household", "b"),
    ("outreach_worker@a", "subject", "visit", "b"),
    ("outreach_worker@a", "subject", "resident", "a"),  # own town, but never a resident
    ("outreach_worker@a", "subject", "encounter", "a"),
    ("outreach_worker@a", "subject", "tracing_case", "a"),
    ("outreach_worker@a", "subject", "task_resident", "a"),  # a task inherits its subject
    ("outreach_worker@a1", "household", "household", "b"),
    ("rescue_staff@a", "household", "household", "a"),  # rescue staff never see households
    ("rescue_staff@a", "subject", "visit", "a"),
    ("rescue_staff@a", "subject", "resident", "b"),
    ("supervisor@a", "subject", "resident", "b"),
    ("supervisor@a1", "subject", "encounter", "a"),  # a town's encounter, not the village's
)
# The same, naming records the creator does see: made (201).
VISIBLE_TASK_TARGETS = (
    ("outreach_worker@a", "household", "household", "a"),
    ("rescue_staff@a", "subject", "resident", "a"),
    ("supervisor@county", "subject", "resident", "b"),
    ("admin@a", "subject", "encounter", "a"),
)
# Kinds no role makes by hand: only their rules know when they are due (an escalation of
# an overdue task, a flagged visit's review, a long stay's or a stale case's tracing, a
# duplicate across areas).
RULE_ONLY_KINDS = (
    "escalation",
    "presence_review",
    "tracing_start",
    "tracing_review",
    "duplicate_review",
)
SUBJECT_KIND = {"task_resident": "task"}


def task_body(world: World, caller: str, how: str, kind: str, town: str, record_id: int):
    record = world.record(kind, town)
    body: dict[str, Any] = {
        "title": "by hand",
        "due_on": "2030-06-01",
        "area_id": world.seed["areas"][CALLER_AREA[caller.split("@")[1]]],
    }
    if kind == "household" and how == "household":
        # The task sits where its household is (inside the caller's area when visible).
        body["area_id"] = world.seed["areas"][record["area"]] if town == "a" else body["area_id"]
        body["household_id"] = record_id
    else:
        body["subject_kind"] = SUBJECT_KIND.get(kind, kind)
        body["subject_id"] = record_id
        if world.visible(caller, kind, town):
            body["area_id"] = world.seed["areas"][record["area"]]
    return body


def test_tasks_and_households_made_by_hand_respect_the_walls(live: Live) -> None:
    world = World(live.seed)
    probes: list[tuple[str, Probe]] = []
    for caller, how, kind, town in HIDDEN_TASK_TARGETS:
        record_id = world.record(kind, town)["id"]
        assert not world.visible(caller, kind, town), (caller, kind, town)
        body = task_body(world, caller, how, kind, town, record_id)
        missing = Probe(caller, "POST", "/api/v1/tasks", "POST /api/v1/tasks")
        missing.body = {
            **body,
            **{k: MISSING_ID for k in body if k.endswith("_id") and body[k] == record_id},
        }
        hidden = Probe(caller, "POST", "/api/v1/tasks", "POST /api/v1/tasks", kind, town, missing)
        hidden.body = body
        probes += [("hidden", missing), ("hidden", hidden)]
    for caller, how, kind, town in VISIBLE_TASK_TARGETS:
        probe = Probe(caller, "POST", "/api/v1/tasks", "POST /api/v1/tasks", kind, town)
        probe.body = task_body(world, caller, how, kind, town, world.record(kind, town)["id"])
        probes.append(("made", probe))
    for caller in CALLERS:
        for task_kind in RULE_ONLY_KINDS:
            probe = Probe(caller, "POST", "/api/v1/tasks", "POST /api/v1/tasks")
            probe.body = {
                **task_body(world, caller, "subject", "task_other", "a", 0),
                "kind": task_kind,
            }
            probe.body.pop("subject_kind"), probe.body.pop("subject_id")
            probes.append(("refused", probe))
    # Registering a household whose ID number another town holds: the duplicate is still
    # found, but the answer names no household the worker cannot see.
    for caller in ("outreach_worker@a", "outreach_worker@a1", "admin@a"):
        probe = Probe(caller, "POST", "/api/v1/households", "POST /api/v1/households")
        probe.body = {
            "area_id": world.seed["areas"]["village_a1"],
            "address": "重复路1号",
            "urban_rural": "rural",
            "head_name": "重复户主",
            "head_id_number": world.record("household_shared", "a")["id_number"],
        }
        probes.append(("made", probe))
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda p: send(live, p[1]), probes))
    problems = []
    for expected, probe in probes:
        status, body, _ = probe.answer
        where = f"{probe.caller} {probe.op} {json.dumps(probe.body, ensure_ascii=False)}"
        if expected == "hidden" and probe.missing is not None:
            missing_answer = (probe.missing.answer[0], normalised(probe.missing.answer[1]))
            if status not in (404, 422) or (status, normalised(body)) != missing_answer:
                problems.append(
                    f"{where}: {status} {body[:150]!r}, naming a missing id: "
                    f"{missing_answer[0]} {probe.missing.answer[1][:150]!r}"
                )
        elif expected == "made" and status != 201:
            problems.append(f"{where}: {status} {body[:200]!r}, expected 201")
        elif expected == "refused" and status not in (403, 422):
            problems.append(f"{where}: {status} {body[:200]!r}, expected 403 or 422")
        if 200 <= status < 300 and (shown := leaks(world, probe)):
            problems.append(f"{where}: shows " + "; ".join(sorted(set(shown))))
    assert not problems, "\n".join(problems)


# Who tries a body reference: the first of these who may use the operation on town A's
# record (supervisors and admins may name others as assignees).
REF_CALLERS = ("admin@a", "supervisor@a", "rescue_staff@a", "outreach_worker@a")


def body_fields(operation: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    """The writable fields of an operation's JSON body."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return []
    schema = content["schema"]
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return [k for k, v in schema.get("properties", {}).items() if not v.get("readOnly")]


def expand(body: dict[str, Any]) -> dict[str, Any]:
    """Fresh values for the placeholders of a body."""
    fresh = uuid.uuid4()
    return {
        k: v.replace("<uuid>", str(fresh)).replace("<digits>", str(fresh.int)[:10])
        if isinstance(v, str)
        else v
        for k, v in body.items()
    }


def seeded(world: World, body: dict[str, Any]) -> dict[str, Any]:
    """A body with its "<seeded KIND TOWN>" placeholders as that record's id (in a list)."""
    out = {}
    for key, value in body.items():
        if isinstance(value, str) and value.startswith("<seeded "):
            kind, town = value.removeprefix("<seeded ").removesuffix(">").split()
            value = [world.record(kind, town)["id"]]
        out[key] = value
    return out


def echoed(raw: bytes, value: Any) -> str:
    """An answer less its request id, with the id it was given ("No such user: 17.") as
    ``<id>``: echoing what the caller sent tells nothing."""
    value = value[0] if isinstance(value, list) else value
    text = json.dumps(normalised(raw), ensure_ascii=False, sort_keys=True)
    return re.sub(rf"\b{value}\b", "<id>", text)


def test_records_named_in_a_body_are_behind_the_walls(live: Live) -> None:
    world = World(live.seed)
    status, raw, _ = request(live, "GET", "/api/v1/openapi.json")
    assert status == 200
    spec = json.loads(raw)
    gaps, pairs = [], []
    for op, operation in spec_operations(live).items():
        method, template = op.split(" ", 1)
        if op in NO_RECORD or method not in ("POST", "PATCH", "PUT"):
            continue
        fields = body_fields(operation, spec)
        refs = [f for f in fields if f in REF_FIELDS or f.endswith(("_id", "_ids"))]
        for name in refs:
            if name in NOT_REF_FIELDS:
                continue
            if name not in REF_FIELDS:
                gaps.append(f"{op}: body field {name} names no seeded kind (add to REF_FIELDS)")
                continue
            params = PARAM.findall(template)
            caller = next(
                (
                    c
                    for c in REF_CALLERS
                    if c.split("@")[0] in OPERATIONS[op].roles
                    and all(world.visible(c, PARAM_KINDS[p][0], "a") for p in params)
                ),
                None,
            )
            if caller is None:
                gaps.append(f"{op}: no caller in REF_CALLERS may use it on town A's record")
                continue
            path = (
                fill(template, params, world, PARAM_KINDS[params[-1]][0], "a")
                if params
                else template
            )
            base = seeded(world, REF_BODIES.get(op, {}))
            if "area_id" in fields and name != "area_id" and method == "POST":
                base["area_id"] = world.seed["areas"][CALLER_AREA[caller.split("@")[1]]]
            other_town = world.record(REF_FIELDS[name], "b")["id"]
            made = []
            for value in (MISSING_ID, other_town):
                probe = Probe(caller, method, path, op, REF_FIELDS[name], "b")
                probe.body = {**base, name: [value] if name in LIST_FIELDS else value}
                made.append(probe)
            pairs.append((name, made[0], made[1]))
    assert not gaps, "body references the matrix cannot try:\n" + "\n".join(gaps)
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda p: send(live, p), [p for _, *two in pairs for p in two]))
    problems = []
    for name, missing, other in pairs:
        where = f"{other.caller} {other.op} {name}"
        (status, body, _), (status_b, body_b, _) = missing.answer, other.answer
        errors = normalised(body).get("errors", {}) if status == 422 else {}
        if 200 <= status < 300:
            problems.append(f"{where}: a missing record was accepted: {status} {body[:150]!r}")
        elif status == 422 and any(not k.startswith(name) for k in errors):
            problems.append(f"{where}: REF_BODIES lacks a valid body; refused: {errors}")
        elif echoed(body, MISSING_ID) != echoed(body_b, other.body[name]):
            problems.append(
                f"{where}: town B's answers {status_b} {body_b[:150]!r}, "
                f"a missing one {status} {body[:150]!r}"
            )
    assert not problems, f"{len(problems)} of {len(pairs)} references:\n" + "\n".join(problems)
