"""Eligibility screening: a suggestion for follow-up, never a decision.

Rule (figures per person per month, CNY; ``S`` is the dibao standard in force on the visit's
date, in the county's zone, for the household's urban/rural status, taken from the nearest
area up the tree (village, town, county) that has one):

1. per-capita income < S                                   -> ``likely_dibao``
2. (income - rigid expenses) per capita < EXPENDITURE_HARDSHIP_FACTOR x S
                                                           -> ``likely_expenditure_hardship``
3. per-capita income < MARGINAL_INCOME_FACTOR x S          -> ``likely_marginal``
4. otherwise                                               -> ``none``

Only visits whose findings carry ``monthly_income_total`` are screened. The household size
is the findings' ``household_size``, else the number of registered members, else 1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from api.db import session
from api.visits.models import ProgrammeStandard


@dataclass(frozen=True)
class Standard:
    id: int
    area_id: int
    monthly_amount: float
    valid_from: date
    valid_to: date | None


def screen(
    findings: dict[str, Any],
    registered_members: int,
    dibao_standard: Standard | None,
    marginal_factor: float,
    extreme_poverty_factor: float,
    expenditure_factor: float = 1.0,
) -> tuple[str | None, dict[str, Any] | None]:
    """(result, figures) for a visit's findings; (None, None) when there is nothing to screen."""
    income = findings.get("monthly_income_total")
    if income is None:
        return None, None
    size = int(findings.get("household_size") or registered_members or 1)
    rigid = float(findings.get("rigid_expenses_monthly") or 0)
    if dibao_standard is None:
        return None, {
            "household_size": size,
            "note": "No dibao standard is in force for this area and date; not screened.",
        }
    line = dibao_standard.monthly_amount
    per_capita = float(income) / size
    per_capita_after_rigid = (float(income) - rigid) / size
    marginal_line = round(line * marginal_factor, 2)
    expenditure_line = round(line * expenditure_factor, 2)
    if per_capita < line:
        result = "likely_dibao"
    elif per_capita_after_rigid < expenditure_line:
        result = "likely_expenditure_hardship"
    elif per_capita < marginal_line:
        result = "likely_marginal"
    else:
        result = "none"
    figures = {
        "household_size": size,
        "monthly_income_total": float(income),
        "rigid_expenses_monthly": rigid,
        "per_capita_income": round(per_capita, 2),
        "per_capita_income_after_rigid_expenses": round(per_capita_after_rigid, 2),
        "dibao_standard": line,
        "marginal_line": marginal_line,
        "expenditure_hardship_line": expenditure_line,
        "marginal_income_factor": marginal_factor,
        "extreme_poverty_line": round(line * extreme_poverty_factor, 2),
        "standard_id": dibao_standard.id,
        "standard_area_id": dibao_standard.area_id,
        "standard_valid_from": dibao_standard.valid_from.isoformat(),
        "note": "A suggestion for follow-up, not a decision: eligibility needs an "
        "application, an economic check and approval.",
    }
    return result, figures


def standards_along(area_paths: Iterable[str], programme: str = "dibao") -> list[ProgrammeStandard]:
    """Every standard for ``programme`` set on any of the areas or above them, urban and
    rural, whatever its dates: one query for all the areas a request's visits lie in."""
    ancestor_ids = {area_id for path in area_paths for area_id in ancestor_ids_of(path)}
    if not ancestor_ids:
        return []
    return list(
        session.scalars(
            select(ProgrammeStandard)
            .where(
                ProgrammeStandard.programme == programme,
                ProgrammeStandard.area_id.in_(ancestor_ids),
            )
            # Standards are set by the county (or a town) above the caller's own area: a
            # worker in a village must be screened against them although they lie outside
            # their scope.
            .execution_options(skip_scope=True)
        )
    )


def in_force(
    candidates: list[ProgrammeStandard], area_path: str, urban_rural: str, on: date
) -> Standard | None:
    """Of ``candidates`` (``standards_along`` the area, and maybe others), the one for
    ``urban_rural`` in force on ``on`` for the nearest area on ``area_path``."""
    depth = {area_id: index for index, area_id in enumerate(ancestor_ids_of(area_path))}
    rows = [
        row
        for row in candidates
        if row.area_id in depth
        and row.urban_rural == urban_rural
        and row.valid_from <= on
        and (row.valid_to is None or row.valid_to >= on)
    ]
    if not rows:
        return None
    best = max(rows, key=lambda row: (depth[row.area_id], row.valid_from, row.id))
    amount = best.monthly_amount
    return Standard(
        id=best.id,
        area_id=best.area_id,
        monthly_amount=float(amount if isinstance(amount, Decimal) else Decimal(str(amount))),
        valid_from=best.valid_from,
        valid_to=best.valid_to,
    )


def ancestor_ids_of(area_path: str) -> list[int]:
    return [int(part) for part in area_path.strip("/").split("/") if part]
