"""Demo help requests: a few weeks of calls, visits to town offices and online requests,
handled in time or late, some closed with each outcome, so the supervisors' panel shows a
plausible past. Their follow-up tasks and escalations come from the rules, as in use.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app

from api.casework.leads import services
from api.db import session, utcnow
from api.jobs.runner import resolve

# (days ago, channel, town, village or None, urgency, reasons, about, street, description,
#  hours to first contact or None, contact kind, hours to closing or None, outcome, detail)
REQUESTS: list[tuple[Any, ...]] = [
    (20, "hotline", "龙仙镇", "青云村", "urgent", ["no_food"], "self", False,
     "丈夫住院，家里断粮三天", 5, "visit", 70, "temporary_assistance_given", None),
    (18, "town_office", "江尾镇", None, "normal", [], "self", False,
     "孩子上学费用困难，想了解低保", 30, "visit", 200, "assistance_applied", None),
    (15, "village_cadre", "龙仙镇", "城东社区", "normal", [], "other", False,
     "独居老人腿脚不便，无人照料", 90, "visit", 300, "referred", "县残联（辅具适配）"),
    (12, "grid_worker", "江尾镇", None, "urgent", ["no_shelter"], "other", False,
     "房屋漏雨倒塌一角，一家人借住亲戚家", 30, "visit", None, None, None),
    (9, "online_form", "龙仙镇", "城西社区", "normal", [], "self", False,
     "失业半年，医药费开销大", 20, "phone", 150, "not_eligible", "家庭收入高于低保标准"),
    (6, "hotline", None, None, "urgent", ["sudden_illness"], "other", True,
     "火车站广场有人躺地上，神志不清", 2, "visit", 10, "referred", "县人民医院急诊"),
    (4, "hotline", "龙仙镇", "青云村", "normal", [], "other", False,
     "邻居家老人很久没出门", None, None, None, None, None),
    (1, "online_form", "江尾镇", None, "urgent", ["violence"], "self", False,
     "家中遭受暴力，需要临时住处", None, None, None, None, None),
]  # fmt: skip


def seed(context: dict[str, Any]) -> None:
    areas = context["areas"]
    worker = context["users"]["demo-worker"]
    now = utcnow()
    made = []
    for (
        days, channel, town, village, urgency, reasons, about, street, text,
        contact_h, contact_kind, close_h, outcome, detail,
    ) in REQUESTS:  # fmt: skip
        reported = areas.county if town is None else areas.towns[town]
        if village is not None:
            reported = next(v for v in areas.villages[town] if v.name == village)
        lead, _code = services.create_lead(
            {
                "channel": channel,
                "requester_name": "演示求助人",
                "requester_phone": "13800000000",
                "about": about,
                "about_street_person": street,
                "address": None,
                "description": text,
                "urgency": urgency,
                "urgent_reasons": reasons,
            },
            county_id=areas.county.id,
            reported=reported,
            settings=current_app.config,
            created_by_id=None if channel == "online_form" else worker.id,
        )
        shift = timedelta(days=days)
        lead.created_at -= shift
        lead.respond_by -= shift
        lead.at_risk_at -= shift
        if contact_h is not None:
            lead.first_contact_at = lead.created_at + timedelta(hours=contact_h)
            lead.first_contact_kind = contact_kind
            if contact_kind == "visit":
                lead.visited_at = lead.first_contact_at
                lead.status = "visited"
        if close_h is not None and lead.created_at + timedelta(hours=close_h) < now:
            lead.status = "closed"
            lead.outcome = outcome
            lead.outcome_detail = detail
            lead.closed_at = lead.created_at + timedelta(hours=close_h)
        made.append(lead)
    session.flush()
    for lead in made:
        # The job functions, by name as the outbox names them (workers imports the API).
        resolve("workers.followup.lead_received")(lead.id)
    resolve("workers.followup.help_requests_breached")()
    session.flush()
