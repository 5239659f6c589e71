"""Demo tracing cases, one at every status, with realistic action logs and leads.

Uses ``context["residents"]`` from the centre's seeder. Cases are opened a week after the
admission; their status history is spread over the time since, so the reports show a
plausible past too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from api.casework.tracing import services
from api.casework.tracing.models import TracingStatusChange
from api.common import county_time
from api.db import session, utcnow

# resident key -> (steps through the status machine, actions (days after opening, kind,
# details, result, published_in), leads)
CASES: dict[str, dict[str, Any]] = {
    "long_elder": {"steps": [], "actions": [], "leads": []},
    "long_mute": {
        "steps": ["searching"],
        "actions": [
            (2, "dna_sample_taken", "采集血样送公安机关录入全国打拐DNA数据库", "已入库", None),
            (
                10,
                "media_appeal",
                "发布寻亲公告，附正面照片与刺青特征",
                "阅读量3.1万，暂无有效线索",
                "今日头条·头条寻亲",
            ),
            (40, "document_check", "比对周边省份走失人员登记", "未比中", None),
        ],
        "leads": [],
    },
    "long_guangxi": {
        "steps": ["searching", "lead_found"],
        "actions": [
            (
                1,
                "police_database_check",
                "请派出所按自述姓名和籍贯查询人口信息",
                "同名者23人",
                None,
            ),
            (15, "phone_call", "联系广西某县民政局协查", "对方答复将在村里张贴照片", None),
        ],
        "leads": [
            {
                "description": "某县民政局回电：一村民称照片像本村走失多年的黄某明",
                "place": "广西壮族自治区某县某村",
                "contact_name": "村委会黄主任",
                "contact_phone": "0775-0000000",
                "relation_to_resident": "村干部",
                "source": "民政协查",
                "status": "checking",
            },
        ],
    },
    "long_hunan": {
        "steps": ["searching", "lead_found", "verifying"],
        "actions": [
            (3, "dna_sample_taken", "采集血样", "已入库", None),
            (
                20,
                "face_comparison",
                "公安人像比对系统比对",
                "疑似邵阳市某县走失人员，相似度92%",
                None,
            ),
            (25, "phone_call", "联系疑似家属周某", "家属称父亲2019年走失，愿来核实", None),
            (60, "dna_match_requested", "申请与家属DNA比对", "等待比对结果", None),
        ],
        "leads": [
            {
                "description": "人像比对疑似邵阳走失人员，家属已联系",
                "place": "湖南省邵阳市某县",
                "contact_name": "周建华",
                "contact_phone": "13900000000",
                "relation_to_resident": "儿子（待核实）",
                "source": "人像比对",
                "status": "checking",
            },
        ],
    },
    "gone_reunited": {
        "steps": ["searching", "lead_found", "verifying"],
        "actions": [
            (2, "police_database_check", "按自述姓名籍贯查询", "比中衡阳市某镇李某", None),
            (5, "phone_call", "联系当地派出所与家属", "家属确认，约定来接", None),
            (12, "field_trip", "工作人员护送至车站与家属会合前核实身份", "身份一致", None),
        ],
        "leads": [
            {
                "description": "派出所比中户籍信息",
                "place": "湖南省衡阳市某镇",
                "contact_name": "李秀英",
                "relation_to_resident": "女儿",
                "status": "confirmed",
            },
        ],
        "outcome": {
            "outcome": "reunited",
            "collected_by": "李秀英",
            "collector_relationship": "女儿",
            "destination": "湖南省衡阳市某镇",
            "notes": "家属来站接回，签署交接单",
        },
    },
    "gone_settled": {
        "steps": ["searching"],
        "actions": [
            (3, "dna_sample_taken", "采集血样", "已入库", None),
            (30, "media_appeal", "报纸寻亲启事", "无线索", "韶关日报"),
            (200, "document_check", "全国救助寻亲网发布信息满一年", "无人认领", None),
        ],
        "leads": [
            {
                "description": "热心市民称在清远见过相似的人",
                "place": "广东省清远市",
                "status": "ruled_out",
                "notes": "核实后排除",
            },
        ],
        "outcome": {
            "outcome": "settled_locally",
            "settled_place": "翁源县社会福利院",
            "settlement_programme": "特困人员救助供养",
            "notes": "寻亲未果，经县民政局批准落户安置",
        },
    },
    "gone_other": {
        "steps": ["searching"],
        "actions": [(5, "phone_call", "按其提供的号码联系亲属", "号码为空号", None)],
        "leads": [],
        "discharge": "left",
    },
}


def seed(context: dict[str, Any]) -> None:
    residents = context.get("residents") or {}
    now = utcnow()
    for key, plan in CASES.items():
        resident = residents.get(key)
        if resident is None:
            continue
        case, _ = services.ensure_open_case(resident.id, "manual")
        opened_at = resident.admitted_at + timedelta(days=7)
        case.opened_at = opened_at
        case.last_activity_on = county_time.local_date(opened_at)
        for step in plan["steps"]:
            services.change_status(case, step)
        for days, kind, details, result, published_in in plan["actions"]:
            day = county_time.local_date(min(opened_at + timedelta(days=days), now))
            services.add_action(
                case,
                {
                    "kind": kind,
                    "performed_on": day,
                    "details": details,
                    "result": result,
                    "published_in": published_in,
                },
            )
        for lead in plan["leads"]:
            services.add_lead(case, lead)
        if "outcome" in plan:
            services.record_outcome(case, {**plan["outcome"], "at": now - timedelta(days=10)})
        if "discharge" in plan:
            services.discharge(resident, plan["discharge"], at=now - timedelta(days=30))
        _spread_history(case.id, opened_at, now - timedelta(days=10))
    session.flush()


def _spread_history(case_id: int, start, end) -> None:
    """Date the case's status changes evenly from its opening to ``end``."""
    changes = list(
        session.scalars(
            select(TracingStatusChange)
            .where(TracingStatusChange.case_id == case_id)
            .order_by(TracingStatusChange.id)
        )
    )
    if not changes:
        return
    span = max(end - start, timedelta(days=1))
    for index, change in enumerate(changes):
        if index == 0:
            change.changed_at = start
        elif change.to_status in ("reunited", "settled_locally", "closed_other"):
            continue  # the outcome's own time
        else:
            change.changed_at = start + span * index / len(changes)
