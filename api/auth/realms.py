"""Realms: the two sides of the role wall, and who reads each.

Households and their visits are the outreach workers' realm; patrols, encounters, street
people, residents, family tracing and open days are the rescue centre's. Supervisors and
admins read both. Records that point at another record (a follow-up task, a photo) lie in
the realm of what they point at, so they are read by the same roles (``RowRoleRestricted``
in ``api.mixins``; the jurisdiction hook in ``api.areas.scope`` applies it).

``supervision`` is the realm of what only supervisors and admins read: a task about no
record that a supervisor keeps for the supervisors, and the fail-closed default of a rule
that names no realm.
"""

from __future__ import annotations

HOUSEHOLDS = "households"
RESCUE = "rescue"
SUPERVISION = "supervision"

REALM_ROLES: dict[str, frozenset[str]] = {
    HOUSEHOLDS: frozenset({"outreach_worker", "supervisor", "admin"}),
    RESCUE: frozenset({"rescue_staff", "supervisor", "admin"}),
    SUPERVISION: frozenset({"supervisor", "admin"}),
}

# The realm of each kind of record that a task or a photo may point at (a task's
# ``subject_kind``, a photo's ``owner_kind``). Photos and tasks themselves are not here:
# they take the realm of their owner or subject.
RECORD_REALMS: dict[str, str] = {
    "household": HOUSEHOLDS,
    "visit": HOUSEHOLDS,
    "encounter": RESCUE,
    "person": RESCUE,
    "resident": RESCUE,
    "tracing_case": RESCUE,
    "open_day_event": RESCUE,
}


def realms_readable_by(role: str | None) -> list[str]:
    """The realms whose records ``role`` may read (none for no role), in a fixed order."""
    return sorted(realm for realm, roles in REALM_ROLES.items() if role in roles)


def may_read(role: str | None, realm: str) -> bool:
    return role in REALM_ROLES.get(realm, frozenset())


def record_kinds_readable_by(role: str | None) -> list[str]:
    """The kinds of record (``RECORD_REALMS``) that ``role`` may read, in a fixed order."""
    return sorted(kind for kind, realm in RECORD_REALMS.items() if may_read(role, realm))


def realm_of_role(role: str) -> str:
    """The realm a user of ``role`` works in: where their own tasks about no record lie."""
    return {"outreach_worker": HOUSEHOLDS, "rescue_staff": RESCUE}.get(role, SUPERVISION)
