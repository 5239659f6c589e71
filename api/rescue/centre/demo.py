"""Demo residents of the county rescue centre and a 6·19 open day.

Adds ``context["residents"]``: key -> Resident, for the tracing seeder. Stays run from a few
days to well over a year; ``long_*`` keys are long-stay residents (90 days or more), the
``gone_*`` ones have left. The ``"escorted"`` patrol encounter (if the patrols seeder ran)
becomes an admission, the way staff would do it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from api.common import county_time
from api.db import utcnow
from api.rescue.centre import services

# key: (days ago admitted, route, what the person said and looked like)
RESIDENTS: dict[str, tuple[int, str, dict[str, Any]]] = {
    "long_hunan": (
        400,
        "patrol_escort",
        {
            "stated_name": "老周",
            "stated_home_place": "说是“湖南邵阳那边”",
            "dialect": "湘语",
            "sex": "male",
            "estimated_birth_year": 1958,
            "physical_marks": "右耳缺损",
            "health": "阿尔茨海默病早期，记忆混乱",
            "belongings": ["旧军大衣", "搪瓷杯"],
            "bed": "1-1",
        },
    ),
    "long_mute": (
        230,
        "police",
        {
            "sex": "female",
            "estimated_birth_year": 1985,
            "description": "不能言语，会写少量汉字",
            "physical_marks": "左手腕有刺青“芳”",
            "health": "听力障碍",
            "bed": "2-1",
        },
    ),
    "long_guangxi": (
        150,
        "hospital",
        {
            "stated_name": "阿明",
            "stated_home_place": "广西某县",
            "dialect": "桂柳话",
            "sex": "male",
            "estimated_birth_year": 1972,
            "health": "糖尿病，需每日用药",
            "belongings": ["身份证复印件（模糊）"],
            "bed": "1-3",
        },
    ),
    "long_elder": (
        95,
        "walk_in",
        {
            "stated_name": "陈阿婆",
            "dialect": "客家话",
            "sex": "female",
            "estimated_birth_year": 1946,
            "health": "高血压",
            "bed": "2-4",
        },
    ),
    "recent_youth": (
        20,
        "police",
        {
            "stated_name": "小刘",
            "stated_home_place": "江西赣州",
            "sex": "male",
            "estimated_birth_year": 2004,
            "description": "与家人争吵后离家",
            "bed": "1-5",
        },
    ),
    "recent_worker": (
        4,
        "walk_in",
        {
            "stated_name": "黄师傅",
            "stated_home_place": "广东清远",
            "sex": "male",
            "estimated_birth_year": 1979,
            "description": "务工被欠薪，身无分文",
            "bed": "1-6",
        },
    ),
    "gone_reunited": (
        200,
        "patrol_escort",
        {
            "stated_name": "李大爷",
            "stated_home_place": "湖南衡阳",
            "dialect": "湘语",
            "sex": "male",
            "estimated_birth_year": 1950,
            "bed": "1-2",
        },
    ),
    "gone_settled": (
        500,
        "police",
        {
            "sex": "male",
            "estimated_birth_year": 1965,
            "description": "智力残疾，无法表达来处",
            "bed": "1-4",
        },
    ),
    "gone_other": (
        160,
        "walk_in",
        {
            "stated_name": "王某",
            "sex": "male",
            "estimated_birth_year": 1980,
            "bed": "2-2",
        },
    ),
}


def seed(context: dict[str, Any]) -> None:
    county = context["areas"].county
    now = utcnow()
    residents = {}
    for key, (days_ago, route, facts) in RESIDENTS.items():
        resident, _ = services.admit_resident(
            {
                "area_id": county.id,
                "admitted_at": now - timedelta(days=days_ago, hours=3),
                "admission_route": route,
                **facts,
            }
        )
        residents[key] = resident
    escorted = (context.get("encounters") or {}).get("escorted")
    if escorted is not None:
        resident, _ = services.admit_resident(
            {
                "area_id": county.id,
                "encounter_id": escorted.id,
                "bed": "3-1",
                "admitted_at": min(escorted.occurred_at + timedelta(hours=1), now),
            }
        )
        residents["from_patrol"] = resident
    context["residents"] = residents

    today = county_time.local_today()
    last_year = today.year - 1 if today < date(today.year, 6, 19) else today.year
    services.create_open_day_event(
        {
            "area_id": county.id,
            "held_on": date(last_year, 6, 19),
            "title": f"{last_year}年“6·19”救助管理机构开放日",
            "theme": "大爱寻亲，温暖回家",
            "visitor_count": 86,
            "groups": [
                {"name": "翁源县第一中学志愿者", "size": 25},
                {"name": "县人大代表、政协委员", "size": 8},
                {"name": "龙仙镇社区居民", "size": 40},
            ],
            "activities": ["参观受助人员生活区", "寻亲成果展", "救助政策宣传", "志愿者座谈"],
            "media_coverage": [
                {"outlet": "翁源电视台", "title": "县救助站开放日迎来八十余名市民"},
                {"outlet": "翁源发布（微信公众号）", "title": "走进救助站：温暖回家路"},
            ],
            "notes": "发放宣传册300份；现场登记救助线索2条。",
        }
    )
