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
    # A member's relation to the head (api.visits.people), in the order forms list them.
    "relation": {
        "head": "户主",
        "spouse": "配偶",
        "child": "子女",
        "son_in_law": "女婿",
        "daughter_in_law": "儿媳",
        "grandchild": "孙子女",
        "parent": "父母",
        "grandparent": "祖父母",
        "sibling": "兄弟姐妹",
        "other": "其他",
    },
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
        "warning_visit": "预警走访",
        "warning_review": "预警核查",
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
    "warning_level": {"red": "红色预警", "orange": "橙色预警", "yellow": "黄色预警"},
    "warning_action": {"visit": "入户核查", "review": "复核保障人数与待遇"},
    "source_kind": {
        "medical_bills": "医保大额自付",
        "unemployment": "失业登记",
        "disability": "残疾人证",
        "deaths": "死亡人员",
        "utility_arrears": "水电欠费",
        "school_aid": "教育资助",
        "other": "其他",
    },
    "source_encoding": {"auto": "自动识别", "utf-8": "UTF-8", "gbk": "GBK", "gb18030": "GB18030"},
    "mapped_field": {
        "name": "姓名",
        "id_number": "身份证号",
        "birth_date": "出生日期",
        "sex": "性别",
        "address": "地址",
        "village_code": "村（社区）代码",
        "village": "村（社区）名称",
        "amount": "金额",
        "event_date": "发生日期",
    },
    "list_status": {"queued": "排队中", "running": "比对中", "done": "已完成", "failed": "失败"},
    "row_status": {"bad": "无效行", "matched": "已匹配", "review": "待复核", "unmatched": "未匹配"},
    "match_method": {
        "id_exact": "身份证号一致",
        "id_repaired": "身份证号纠错",
        "probabilistic": "姓名等概率匹配",
    },
    "bad_reason": {
        "missing_name": "缺少姓名",
        "unreadable_id_number": "身份证号无法识别",
        "unknown_village": "村（社区）不在本县",
        "unreadable_text": "文字无法识别（编码错误或含空字符）",
        "row_too_long": "行过长",
        "bad_date": "日期格式不对",
        "bad_amount": "金额格式不对",
    },
    "review_decision": {"accept": "确认是同一人", "reject": "不是同一人"},
    "audit_action": {
        "create": "新建",
        "update": "修改",
        "delete": "删除",
        "reveal": "查看完整身份证号",
        "export": "导出",
        "map": "地图查看",
    },
    # The kinds of record the audit log names (its table_name): every Audited table, and
    # the log's own months.
    "audit_table": {
        "areas": "行政区划",
        "users": "账号",
        "households": "家庭户",
        "visits": "走访",
        "photos": "照片",
        "programme_standards": "救助标准",
        "tasks": "跟进任务",
        "leads": "求助线索",
        "campaigns": "专项行动",
        "patrols": "巡查",
        "encounters": "街面救助",
        "street_people": "流浪乞讨人员",
        "residents": "受助人员",
        "open_day_events": "开放日",
        "tracing_cases": "寻亲个案",
        "tracing_actions": "寻亲行动",
        "tracing_leads": "寻亲线索",
        "matching_sources": "比对数据源",
        "matching_lists": "比对名单",
        "matching_warnings": "比对预警",
        "matching_review_decisions": "比对复核",
        # The log itself: a month dropped by retention (api.audit.partitions).
        "audit_entries": "审计日志",
    },
    # The rescue side (docs/rescue-centre.md, docs/patrols.md).
    "admission_route": {
        "patrol_escort": "巡查护送",
        "police": "公安送站",
        "hospital": "医院转来",
        "walk_in": "主动求助",
        "other": "其他",
    },
    "discharge_reason": {
        "returned_home": "护送返乡",
        "family_collected": "亲属接回",
        "settled_locally": "就地安置",
        "transferred": "转送其他机构",
        "left": "自行离站",
        "died": "死亡",
    },
    "tracing_status": {
        "open": "已立案",
        "searching": "寻亲中",
        "lead_found": "发现线索",
        "verifying": "核实中",
        "reunited": "已团聚",
        "settled_locally": "就地安置",
        "closed_other": "其他结案",
    },
    # Why a case was opened (a case's first history entry): by hand, or by the long-stay rule.
    "tracing_opened_reason": {"manual": "人工立案", "long_stay": "长期滞留自动立案"},
    "tracing_outcome": {"reunited": "与家人团聚", "settled_locally": "就地安置"},
    "reunion_kind": {"family_collected": "亲属接回", "returned_home": "护送返乡"},
    "tracing_action_kind": {
        "dna_sample_taken": "采集DNA样本",
        "dna_match_requested": "申请DNA比对",
        "police_database_check": "公安信息比对",
        "face_comparison": "人脸识别比对",
        "media_appeal": "媒体寻亲发布",
        "phone_call": "电话联系",
        "field_trip": "实地走访",
        "document_check": "查阅档案",
        "other": "其他",
    },
    "lead_status": {
        "new": "新线索",
        "checking": "核查中",
        "confirmed": "已证实",
        "ruled_out": "已排除",
    },
    "campaign_kind": {
        "summer_cooling": "夏季送清凉",
        "winter_warmth": "寒冬送温暖",
        "other": "其他专项",
    },
    "patrol_mode": {"vehicle": "车巡", "on_foot": "步巡"},
    "aid_kind": {
        "water": "饮用水",
        "food": "食品",
        "hot_meal": "热饭",
        "quilt": "棉被",
        "clothing": "衣物",
        "medicine": "药品",
        "heat_relief": "防暑用品",
        "cash": "现金",
        "other": "其他",
    },
    "encounter_outcome": {
        "accepted_aid": "接受帮助",
        "refused_aid": "拒绝救助",
        "escorted_to_centre": "护送至救助站",
        "sent_to_hospital": "送医",
        "handed_to_police": "移交公安",
        "returned_home": "返乡",
        "referred_to_town": "转介乡镇",
    },
    "vulnerability_kind": {
        "minor": "未成年人",
        "elderly": "老年人",
        "disabled": "残疾人",
        "mentally_ill": "精神障碍",
        "heat_danger": "中暑风险",
        "cold_danger": "冻伤风险",
    },
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
