"""Exports for supervisors: coverage, visits and tasks as CSV or XLSX, Chinese headers.

Both formats are streamed: the rows are read from the database in batches
(``yield_per``) while the response is being sent, so a county-wide year never sits in
memory. CSV starts with a UTF-8 byte-order mark, which Excel and WPS need to read Chinese
text; XLSX is written by XlsxWriter in ``constant_memory`` mode to a temporary file (a
zip must be finished before it is sent) and sent in chunks, then deleted.

The queries run inside the generator, after the request's commit, in the caller's
jurisdiction (the actor stays on the session until the response is finished).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter
from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from api.areas.models import Area
from api.casework.tasks.models import ACTIVE_STATUSES, Task
from api.db import session
from api.visits.coverage import services
from api.visits.coverage.services import Cadence, Period
from api.visits.models import Household, Visit

BATCH = 500
CHUNK = 64 * 1024
RATE = object()  # marks a column holding a rate (a fraction) for formatting

CHANNELS = {"in_person": "上门", "phone": "电话", "video": "视频"}
REVIEW_STATES = {
    "pending": "待审核",
    "approved": "通过",
    "has_issues": "有问题",
    "rejected": "退回",
}
TASK_STATUSES = {"open": "待办", "in_progress": "办理中", "done": "已办结", "cancelled": "已取消"}
TASK_KINDS = {
    "assist_application": "协助申请",
    "temporary_assistance": "临时救助",
    "revisit": "回访",
    "presence_review": "走访核验",
    "return_visit": "再次走访",
    "hospital_checkup": "就医跟进",
    "tracing_start": "寻亲启动",
    "tracing_review": "寻亲复核",
    "escalation": "逾期上报",
    "other": "其他",
}
LEVELS = {"county": "县", "town": "镇", "village": "村/社区"}
PRESENCE_REASONS = {
    "far_from_household": "距离住址过远",
    "poor_accuracy": "定位精度差",
}


@dataclass
class Export:
    """A table to send: a file name, Chinese column headers and rows read lazily."""

    name: str
    headers: list[str]
    rows: Callable[[], Iterable[list[Any]]]
    rate_columns: frozenset[int] = frozenset()


# ---------------------------------------------------------------------------------------
# Tables

COVERAGE_COLUMNS = [
    ("code", "区域代码"),
    ("name", "区域名称"),
    ("level", "层级"),
    ("focus_households", "重点户数"),
    ("visited", "期内已走访户数"),
    ("visited_in_person", "期内上门走访户数"),
    ("coverage_rate", "走访覆盖率"),
    ("in_person_rate", "上门覆盖率"),
    ("overdue", "超期未回访户数"),
    ("never_visited", "从未走访户数"),
    ("visits", "走访次数"),
    ("visits_in_person", "上门走访次数"),
    ("flagged_visits", "位置核验异常次数"),
    ("flagged_pending_review", "异常待审核次数"),
    ("open_tasks", "未办结任务"),
    ("overdue_tasks", "逾期任务"),
]


def coverage_export(
    area: Area, period: Period, cadence: Cadence, now: datetime | None = None
) -> Export:
    def rows() -> Iterator[list[Any]]:
        report = services.coverage(area, period, cadence, now)
        for row in [*report["areas"], {**report["total"], "name": f"{area.name}（合计）"}]:
            yield [
                LEVELS.get(row[key], row[key]) if key == "level" else row[key]
                for key, _ in COVERAGE_COLUMNS
            ]

    rate_columns = frozenset(
        i for i, (key, _) in enumerate(COVERAGE_COLUMNS) if key.endswith("_rate")
    )
    return Export(
        _file_name("走访覆盖", area, period),
        [label for _, label in COVERAGE_COLUMNS],
        rows,
        rate_columns,
    )


VISIT_HEADERS = [
    "走访编号",
    "走访时间",
    "上传时间",
    "镇",
    "村/社区",
    "户编号",
    "户主",
    "地址",
    "走访方式",
    "走访人",
    "走访人所属区域",
    "位置核验异常",
    "核验说明",
    "与住址距离（米）",
    "审核状态",
    "审核意见",
    "筛查建议",
]


def visits_export(area: Area, period: Period) -> Export:
    zone = period.zone
    place = aliased(Area, name="place")
    town = aliased(Area, name="town")
    where = (
        place.path.startswith(area.path),
        Visit.visited_at >= period.start,
        Visit.visited_at < period.end,
    )

    def rows() -> Iterator[list[Any]]:
        worker_ids = list(
            session.scalars(
                select(Visit.worker_id)
                .distinct()
                .join(place, place.id == Visit.area_id)
                .where(*where, Visit.worker_id.is_not(None))
            )
        )
        workers = services.worker_names(worker_ids)
        stmt = (
            select(
                Visit.id,
                Visit.visited_at,
                Visit.received_at,
                town.name.label("town_name"),
                place.name.label("place_name"),
                Visit.household_id,
                Household.head_name,
                Household.address,
                Visit.channel,
                Visit.worker_id,
                Visit.presence_flagged,
                Visit.presence_reasons,
                Visit.presence_distance_m,
                Visit.review_state,
                Visit.review_comment,
                Visit.screening_result,
            )
            .join(place, place.id == Visit.area_id)
            .outerjoin(town, town.id == place.parent_id)
            # A household that has since moved out of the caller's area stays unnamed.
            .outerjoin(Household, Household.id == Visit.household_id)
            .where(*where)
            .order_by(Visit.visited_at, Visit.id)
            .execution_options(yield_per=BATCH)
        )
        for row in session.execute(stmt):
            who = workers.get(row.worker_id, {})
            yield [
                row.id,
                _local(row.visited_at, zone),
                _local(row.received_at, zone),
                row.town_name or "",
                row.place_name,
                row.household_id,
                row.head_name or "",
                row.address or "",
                CHANNELS.get(row.channel, row.channel),
                who.get("display_name", ""),
                who.get("area_name", ""),
                "是" if row.presence_flagged else "否",
                "；".join(PRESENCE_REASONS.get(r, str(r)) for r in row.presence_reasons or []),
                None if row.presence_distance_m is None else round(row.presence_distance_m),
                REVIEW_STATES.get(row.review_state, row.review_state),
                row.review_comment or "",
                row.screening_result or "",
            ]

    return Export(_file_name("走访记录", area, period), VISIT_HEADERS, rows)


TASK_HEADERS = [
    "任务编号",
    "类型",
    "标题",
    "状态",
    "优先级",
    "截止日期",
    "是否逾期",
    "镇",
    "村/社区",
    "负责人",
    "创建时间",
    "办结时间",
]
PRIORITIES = {"low": "低", "normal": "普通", "high": "高"}


def tasks_export(area: Area, period: Period, now: datetime | None = None) -> Export:
    """Tasks due in the period in the area."""
    zone = period.zone
    today = period.today(now)
    place = aliased(Area, name="place")
    town = aliased(Area, name="town")
    where = (
        place.path.startswith(area.path),
        Task.due_on >= period.first,
        Task.due_on <= period.last,
    )

    def rows() -> Iterator[list[Any]]:
        assignee_ids = list(
            session.scalars(
                select(Task.assignee_id)
                .distinct()
                .join(place, place.id == Task.area_id)
                .where(*where, Task.assignee_id.is_not(None))
            )
        )
        people = services.worker_names(assignee_ids)
        stmt = (
            select(
                Task.id,
                Task.kind,
                Task.title,
                Task.status,
                Task.priority,
                Task.due_on,
                Task.assignee_id,
                Task.created_at,
                Task.closed_at,
                town.name.label("town_name"),
                place.name.label("place_name"),
                place.level.label("place_level"),
            )
            .join(place, place.id == Task.area_id)
            .outerjoin(town, and_(town.id == place.parent_id, place.level == "village"))
            .where(*where)
            .order_by(Task.due_on, Task.id)
            .execution_options(yield_per=BATCH)
        )
        for row in session.execute(stmt):
            overdue = row.status in ACTIVE_STATUSES and row.due_on < today
            yield [
                row.id,
                TASK_KINDS.get(row.kind, row.kind),
                row.title,
                TASK_STATUSES.get(row.status, row.status),
                PRIORITIES.get(row.priority, row.priority),
                row.due_on.isoformat(),
                "是" if overdue else "否",
                row.town_name or (row.place_name if row.place_level == "town" else ""),
                row.place_name if row.place_level == "village" else "",
                people.get(row.assignee_id, {}).get("display_name", ""),
                _local(row.created_at, zone),
                _local(row.closed_at, zone),
            ]

    return Export(_file_name("跟进任务", area, period), TASK_HEADERS, rows)


def _local(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""


def _file_name(title: str, area: Area, period: Period) -> str:
    return f"{title}_{area.name}_{period.first:%Y%m%d}-{period.last:%Y%m%d}"


# ---------------------------------------------------------------------------------------
# Formats

CSV_BOM = "\ufeff".encode()


def csv_chunks(export: Export) -> Iterator[bytes]:
    """The table as CSV (UTF-8 with a BOM, CRLF line ends), in chunks of many rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(export.headers)
    yield CSV_BOM + buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    for row in export.rows():
        writer.writerow(
            [_percent(v) if i in export.rate_columns else _csv_value(v) for i, v in enumerate(row)]
        )
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        # Spreadsheets run cells that start like a formula; text from phones must not.
        return "'" + value
    return value


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def xlsx_chunks(export: Export, sheet_name: str = "数据") -> Iterator[bytes]:
    """The table as an XLSX workbook, built row by row on disk, then sent in chunks."""
    handle, path = tempfile.mkstemp(prefix="doudi-export-", suffix=".xlsx")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(
            path, {"constant_memory": True, "in_memory": False, "strings_to_formulas": False}
        )
        sheet = workbook.add_worksheet(sheet_name)
        bold = workbook.add_format({"bold": True})
        percent = workbook.add_format({"num_format": "0.0%"})
        sheet.write_row(0, 0, export.headers, bold)
        sheet.freeze_panes(1, 0)
        for col, header in enumerate(export.headers):
            sheet.set_column(col, col, max(10, len(header) * 2 + 2))
        for r, row in enumerate(export.rows(), start=1):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if c in export.rate_columns:
                    sheet.write_number(r, c, value, percent)
                elif isinstance(value, bool):
                    sheet.write_string(r, c, "是" if value else "否")
                elif isinstance(value, (int, float)):
                    sheet.write_number(r, c, value)
                elif isinstance(value, (date, datetime)):
                    sheet.write_string(r, c, value.isoformat())
                else:
                    sheet.write_string(r, c, str(value))
        workbook.close()
        with open(path, "rb") as stream:
            while chunk := stream.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


FORMATS = {
    "csv": ("text/csv; charset=utf-8", csv_chunks),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx_chunks),
}
