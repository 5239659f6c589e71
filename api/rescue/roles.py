"""Who may see the rescue side's records about people: street people, patrol encounters,
rescue-centre residents and their tracing cases.

These tables mix in ``RoleRestricted`` with ``visible_to_roles = RESCUE_ROLES``, so every
query of any domain, whatever joins or area filters it uses, finds none of their rows for
another role (outreach workers above all: a resident or encounter in their own town stays
invisible to them). One set for all of them, so that the walls cannot drift apart.
"""

RESCUE_ROLES = frozenset({"rescue_staff", "supervisor", "admin"})
