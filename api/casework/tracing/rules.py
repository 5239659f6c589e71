"""The status machine of a family-tracing case, as a table of allowed steps.

::

    open ─► searching ─► lead_found ─► verifying ─► reunited
      │        │   ▲          │            │  ├──► settled_locally
      │        │   └──────────┴────────────┘  └──► closed_other
      │        └──► settled_locally, closed_other
      └──► closed_other            (every open status may end as closed_other)

- A lead that fails sends ``lead_found`` or ``verifying`` back to ``searching``.
- ``reunited`` needs a verified lead: only from ``verifying``.
- ``settled_locally`` (no family found, or the family cannot take the person back) from
  ``searching`` or ``verifying``.
- ``closed_other`` (the person died, left, was transferred…) from any open status.
- ``reunited``, ``settled_locally`` and ``closed_other`` are final.
"""

from __future__ import annotations

from api.errors import Conflict

STATUSES = (
    "open",
    "searching",
    "lead_found",
    "verifying",
    "reunited",
    "settled_locally",
    "closed_other",
)
FINAL_STATUSES = ("reunited", "settled_locally", "closed_other")
OPEN_STATUSES = tuple(s for s in STATUSES if s not in FINAL_STATUSES)
# Final statuses that carry an outcome and discharge the resident (POST .../outcome).
OUTCOME_STATUSES = ("reunited", "settled_locally")

ALLOWED_STEPS: dict[str, tuple[str, ...]] = {
    "open": ("searching", "closed_other"),
    "searching": ("lead_found", "settled_locally", "closed_other"),
    "lead_found": ("verifying", "searching", "closed_other"),
    "verifying": ("reunited", "settled_locally", "searching", "closed_other"),
    "reunited": (),
    "settled_locally": (),
    "closed_other": (),
}


def allowed_steps(status: str) -> tuple[str, ...]:
    """The statuses a case in ``status`` may move to (none for a final status)."""
    return ALLOWED_STEPS.get(status, ())


def is_allowed(from_status: str, to_status: str) -> bool:
    return to_status in allowed_steps(from_status)


def check_step(from_status: str, to_status: str) -> None:
    """Nothing if the step is allowed; else a 409 that names the allowed steps."""
    if is_allowed(from_status, to_status):
        return
    allowed = allowed_steps(from_status)
    where = ", ".join(allowed) if allowed else "none (the case is closed)"
    raise Conflict(
        f"A case in status {from_status} cannot move to {to_status}; allowed: {where}.",
        current_status=from_status,
        allowed_steps=list(allowed),
    )
