"""The Chinese label of every code the API answers: one table for the pages, the field
app's forms and the exports (`GET /api/v1/labels` serves it).

A vocabulary is named after the field that carries its codes. A code with no label here is
shown as the code itself, so a new code is never hidden, only untranslated; the test in
tests/common/test_labels.py checks that every code of the vocabularies listed in
`tests/common/test_labels.py` has its label.
"""

from __future__ import annotations

VOCABULARIES: dict[str, dict[str, str]] = {
    "role": {
        "admin": "管理员",
        "supervisor": "督导",
        "outreach_worker": "走访员",
        "rescue_staff": "救助站工作人员",
    },
    "area_level": {"county": "县", "town": "镇", "village": "村/社区"},
    "channel": {"in_person": "入户走访", "phone": "电话访问", "video": "视频访问"},
    "crs": {"wgs84": "WGS-84（GPS）", "gcj02": "GCJ-02（国测局）", "bd09": "BD-09（百度）"},
    "urban_rural": {"urban": "城镇", "rural": "农村"},
    "sex": {"male": "男", "female": "女", "unknown": "不详"},
    "focus_group": {
        "unemployed": "失业人员",
        "flexible_employment": "灵活就业人员",
        "low_income_marginal": "低收入边缘人员",
        "poverty_return_monitoring": "防止返贫监测对象",
        "not_yet_eligible_in_difficulty": "暂不符合条件但生活困难",
        "insufficient_after_aid": "救助后生活仍困难",
    },
    "programme": {
        "dibao": "最低生活保障",
        "extreme_poverty": "特困人员供养",
        "marginal": "低保边缘",
        "expenditure_hardship": "刚性支出困难",
        "temporary_assistance": "临时救助",
    },
    "screening_result": {
        "likely_dibao": "疑似符合低保",
        "likely_marginal": "疑似符合低保边缘",
        "likely_expenditure_hardship": "疑似刚性支出困难",
        "none": "暂未发现",
    },
    "review_state": {
        "pending": "待审核",
        "approved": "通过",
        "has_issues": "有问题",
        "rejected": "退回",
    },
    "presence_reason": {"far_from_household": "距离住址过远", "poor_accuracy": "定位精度差"},
    "household_status": {
        "visited": "期内已走访",
        "overdue": "超期未回访",
        "never_visited": "从未走访",
        "up_to_date": "未到回访期",
    },
    "task_kind": {
        "assist_application": "协助申请",
        "temporary_assistance": "临时救助",
        "revisit": "回访",
        "presence_review": "走访核验",
        "return_visit": "再次走访",
        "hospital_checkup": "就医跟进",
        "tracing_start": "寻亲启动",
        "tracing_review": "寻亲复核",
        "help_request": "求助响应",
        "escalation": "逾期上报",
        "duplicate_review": "疑似重复核查",
        "review_followup": "审核整改",
        "other": "其他",
    },
    "task_status": {
        "open": "待办",
        "in_progress": "办理中",
        "done": "已办结",
        "cancelled": "已取消",
    },
    "priority": {"low": "低", "normal": "普通", "high": "高"},
    # What a line of a task's history says happened (TaskHistory.action).
    "task_action": {
        "created": "创建",
        "noted": "再次走访记录",
        "updated": "更新",
        "reassigned": "改派",
        "closed": "关闭",
    },
    "help_channel": {
        "hotline": "热线",
        "town_office": "镇办",
        "village_cadre": "村干部",
        "grid_worker": "网格员",
        "online_form": "网上",
    },
    # A visit's needs and circumstances: the codes the demo and the screening rules use; a
    # phone may also send its own words, shown as they are.
    "need": {
        "medical": "医疗",
        "education": "教育",
        "temporary_assistance": "临时救助",
        "employment": "就业",
        "housing": "住房",
        "no_food": "缺粮",
    },
    "circumstance": {
        "unemployed": "失业",
        "serious_illness": "重病",
        "disability": "残疾",
        "no_food": "缺粮",
        "unsafe_housing": "住房不安全",
    },
}


def label(vocabulary: str, code: str | None) -> str:
    """The Chinese label of `code`, or the code itself when it has none ('' for None)."""
    if code is None:
        return ""
    return VOCABULARIES[vocabulary].get(code, code)
