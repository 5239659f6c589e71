"""How fast the county answers: help requests received in a period, by channel, town,
urgency, outcome and response status; time to first contact and to closure (median and
90th percentile, nearest rank, in hours); the share breached. Read in the caller's
jurisdiction and queues (``services.visible_leads``), and as tables for the exports.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from api.areas.models import Area
from api.areas.scope import subtree
from api.casework.leads.models import CHANNELS, OUTCOMES, STATUSES, URGENCIES, Lead
from api.casework.leads.rules import RESPONSE_STATUSES, response_status
from api.db import session
from api.visits.coverage.exports import Export
from api.visits.coverage.services import Period


def _hours(start: datetime, end: datetime | None) -> float | None:
    return (end - start).total_seconds() / 3600 if end is not None else None


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest rank: the smallest value with at least ``share`` of the values at or below."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


def _times(values: list[float]) -> dict[str, Any]:
    return {
        "count": len(values),
        "median_hours": round(statistics.median(values), 2) if values else None,
        "p90_hours": round(percentile(values, 0.9), 2) if values else None,  # type: ignore[arg-type]
    }


def _leads(area: Area, period: Period) -> list[Lead]:
    return list(
        session.scalars(
            select(Lead)
            .where(
                Lead.area_id.in_(subtree(area)),
                Lead.created_at >= period.start,
                Lead.created_at < period.end,
            )
            .order_by(Lead.id)
        )
    )


def _summary(leads: list[Lead], now: datetime) -> dict[str, Any]:
    statuses = Counter(
        response_status(lead.created_at, lead.respond_by, lead.first_contact_at, now)
        for lead in leads
    )
    contact = [
        h for lead in leads if (h := _hours(lead.created_at, lead.first_contact_at)) is not None
    ]
    closure = [h for lead in leads if (h := _hours(lead.created_at, lead.closed_at)) is not None]
    total = len(leads)
    return {
        "total": total,
        "open": sum(1 for lead in leads if lead.status != "closed"),
        "by_response_status": {name: statuses.get(name, 0) for name in RESPONSE_STATUSES},
        "breached_share": round(statuses["breached"] / total, 4) if total else None,
        "first_contact": _times(contact),
        "closure": _times(closure),
    }


def _counts(leads: list[Lead], attribute: str, names: Sequence[str]) -> dict[str, int]:
    counted = Counter(getattr(lead, attribute) for lead in leads)
    return {name: counted.get(name, 0) for name in names}


def help_stats(area: Area, period: Period, now: datetime) -> dict[str, Any]:
    leads = _leads(area, period)
    by_area: dict[int, list[Lead]] = {}
    for lead in leads:
        by_area.setdefault(lead.area_id, []).append(lead)
    names = dict(
        session.execute(
            select(Area.id, Area.name)
            .where(Area.id.in_(list(by_area)))
            .execution_options(skip_scope=True)
        ).all()
    )
    towns = [
        {
            "area_id": area_id,
            "name": names.get(area_id, ""),
            "queue": group[0].queue,
            **_summary(group, now),
        }
        for area_id, group in sorted(by_area.items(), key=lambda item: names.get(item[0], ""))
    ]
    return {
        "area": {"id": area.id, "name": area.name, "level": area.level},
        "from": period.first,
        "to": period.last,
        **_summary(leads, now),
        "by_channel": _counts(leads, "channel", CHANNELS),
        "by_urgency": _counts(leads, "urgency", URGENCIES),
        "by_status": _counts(leads, "status", STATUSES),
        "by_outcome": _counts(leads, "outcome", OUTCOMES),
        "by_town": towns,
    }


# -- exports ---------------------------------------------------------------------------------

QUEUE_NAMES = {"town": "镇", "county": "县", "rescue_centre": "救助站"}
TOWN_HEADERS = [
    "区域",
    "队列",
    "求助数",
    "未办结",
    "按时",
    "临近超时",
    "超时",
    "超时占比",
    "首次联系中位数（小时）",
    "首次联系90%分位（小时）",
    "办结中位数（小时）",
    "办结90%分位（小时）",
]


def stats_export(area: Area, period: Period, now: datetime) -> Export:
    """Per town (and the county's and the rescue centre's queues), then the total."""

    def rows() -> Iterator[list[Any]]:
        report = help_stats(area, period, now)
        total = {**report, "name": f"{area.name}（合计）", "queue": None}
        for row in [*report["by_town"], total]:
            statuses = row["by_response_status"]
            yield [
                row["name"],
                QUEUE_NAMES.get(row["queue"], ""),
                row["total"],
                row["open"],
                statuses["on_track"],
                statuses["at_risk"],
                statuses["breached"],
                row["breached_share"],
                row["first_contact"]["median_hours"],
                row["first_contact"]["p90_hours"],
                row["closure"]["median_hours"],
                row["closure"]["p90_hours"],
            ]

    return Export(
        f"求助响应统计_{area.name}_{period.first:%Y%m%d}-{period.last:%Y%m%d}",
        TOWN_HEADERS,
        rows,
        frozenset({TOWN_HEADERS.index("超时占比")}),
    )
