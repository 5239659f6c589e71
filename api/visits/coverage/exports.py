"""Exports for supervisors: coverage, visits and tasks as CSV or XLSX, Chinese headers.

Codes are written as their Chinese labels (``api.common.labels``); times are the county's
wall-clock time (``COUNTY_TIMEZONE``): real date and time cells in XLSX (Excel sorts and
filters them), ``2026-03-01 08:30`` in CSV.

Both formats are streamed: the rows are read from the database in batches
(``yield_per``) while the response is being sent, so a county-wide year never sits in
memory. CSV starts with a UTF-8 byte-order mark, which Excel and WPS need to read Chinese
text; XLSX is written part by part into a zip that is sent while it grows (``xlsx_chunks``).

The first query runs inside the request (``api.common.streaming``): a failure is a problem
answer, not a file broken off. The rest are read on the request's own session, in the
caller's jurisdiction, while the response is sent.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import chain, islice
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import aliased

from api.areas.models import Area
from api.casework.tasks.models import ACTIVE_STATUSES, Task
from api.common.county_time import local_today
from api.common.idnumber import mask_id_number
from api.common.labels import label
from api.db import session
from api.visits.coverage import households, services
from api.visits.coverage.services import Cadence, Period
from api.visits.models import Household, HouseholdMember, Visit

BATCH = 500
CHUNK = 64 * 1024
RATE = object()  # marks a column holding a rate (a fraction) for formatting


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
    ("up_to_date", "未到回访期户数"),
    ("visits", "走访次数"),
    ("visits_in_person", "上门走访次数"),
    ("flagged_visits", "位置核验异常次数"),
    ("flagged_pending_review", "异常待审核次数"),
    ("open_tasks", "未办结任务"),
    ("overdue_tasks", "逾期任务"),
    # Data-matching warnings (docs/data-matching.md) raised in the period.
    ("warnings_raised", "数据比对预警"),
    ("warnings_handled_in_time", "预警按期处置"),
    ("warnings_handled_in_time_rate", "预警处置率"),
    # A count last: a row's empty last cell (no rate) ends an XLSX row early.
    ("warnings_overdue", "预警超期未处置"),
]


def _counts(row: dict[str, Any]) -> bool:
    return any(
        row[key] for key in (*services.HOUSEHOLD_KEYS, *services.VISIT_KEYS, *services.TASK_KEYS)
    )


def _with_warnings(row: dict[str, Any], stats: dict[str, Any] | None) -> dict[str, Any]:
    stats = stats or {}
    return {
        **row,
        "warnings_raised": stats.get("raised", 0),
        "warnings_handled_in_time": stats.get("handled_in_time", 0),
        "warnings_overdue": stats.get("overdue", 0),
        "warnings_handled_in_time_rate": stats.get("handled_in_time_rate"),
    }


def coverage_export(
    area: Area, period: Period, cadence: Cadence, now: datetime | None = None
) -> Export:
    def rows() -> Iterator[list[Any]]:
        from api.matching.services import warning_stats

        report = services.coverage(area, period, cadence, now)
        warnings = warning_stats(area, period.first, period.last)
        by_area = {row["area_id"]: row for row in warnings["areas"]}
        own = _with_warnings(report["own"], warnings["own"])
        # The area's own row only when something lies there: the rows then add up.
        own_rows = (
            [{**own, "name": f"{area.name}本级（不属任何下级区域）"}]
            if _counts(own) or own["warnings_raised"]
            else []
        )
        for row in [
            *(_with_warnings(r, by_area.get(r["area_id"])) for r in report["areas"]),
            *own_rows,
            {**_with_warnings(report["total"], warnings["total"]), "name": f"{area.name}（合计）"},
        ]:
            yield [
                label("area_level", row[key]) if key == "level" else row[key]
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
                label("channel", row.channel),
                who.get("display_name", ""),
                who.get("area_name", ""),
                "是" if row.presence_flagged else "否",
                "；".join(label("presence_reason", str(r)) for r in row.presence_reasons or []),
                None if row.presence_distance_m is None else round(row.presence_distance_m),
                label("review_state", row.review_state),
                row.review_comment or "",
                label("screening_result", row.screening_result),
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
    "户编号",
    "户主",
    "地址",
    "原因",
    "负责人",
    "创建时间",
    "办结时间",
    "办理结果",
]


def tasks_export(
    area: Area, period: Period, listed: Select[Any] | None = None, now: datetime | None = None
) -> Export:
    """Tasks due in the period in the area; or, given ``listed`` (the tasks list's query,
    ``tasks.services.tasks_query``), the tasks it lists, in its order's rows."""
    zone = period.zone
    today = period.today(now)
    place = aliased(Area, name="place")
    town = aliased(Area, name="town")
    if listed is None:
        where: tuple[Any, ...] = (
            place.path.startswith(area.path),
            Task.due_on >= period.first,
            Task.due_on <= period.last,
        )
    else:
        ids = listed.with_only_columns(Task.id).order_by(None)
        where = (place.path.startswith(area.path), Task.id.in_(ids))

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
                Task.household_id,
                Task.reason,
                Task.outcome_note,
                Household.head_name,
                Household.address,
                town.name.label("town_name"),
                place.name.label("place_name"),
                place.level.label("place_level"),
            )
            .join(place, place.id == Task.area_id)
            .outerjoin(town, and_(town.id == place.parent_id, place.level == "village"))
            # The household only where the caller sees it (the jurisdiction hook).
            .outerjoin(Household, Household.id == Task.household_id)
            .where(*where)
            .order_by(Task.due_on, Task.id)
            .execution_options(yield_per=BATCH)
        )
        for row in session.execute(stmt):
            overdue = row.status in ACTIVE_STATUSES and row.due_on < today
            yield [
                row.id,
                label("task_kind", row.kind),
                row.title,
                label("task_status", row.status),
                label("priority", row.priority),
                row.due_on,
                "是" if overdue else "否",
                row.town_name or (row.place_name if row.place_level == "town" else ""),
                row.place_name if row.place_level == "village" else "",
                row.household_id,
                row.head_name or "",
                row.address or "",
                row.reason or "",
                people.get(row.assignee_id, {}).get("display_name", ""),
                _local(row.created_at, zone),
                _local(row.closed_at, zone),
                row.outcome_note or "",
            ]

    return Export(_file_name("跟进任务", area, period), TASK_HEADERS, rows)


MEMBER_HEADERS = [
    "户编号",
    "镇",
    "村/社区",
    "地址",
    "户主",
    "姓名",
    "与户主关系",
    "性别",
    "出生日期",
    "出生年份",
    "身份证号",
    "健康状况",
    "就业状况",
]


def members_export(area: Area) -> Export:
    """The register's people in the area: one row per member, the head first in each
    household, relations by their Chinese labels, ID numbers masked."""
    place = aliased(Area, name="place")
    town = aliased(Area, name="town")

    def rows() -> Iterator[list[Any]]:
        stmt = (
            select(
                Household.id,
                Household.address,
                Household.head_name,
                town.name.label("town_name"),
                place.name.label("place_name"),
                HouseholdMember.name,
                HouseholdMember.relation,
                HouseholdMember.sex,
                HouseholdMember.birth_date,
                HouseholdMember.birth_year,
                HouseholdMember.id_number,
                HouseholdMember.health,
                HouseholdMember.work_status,
            )
            .join(HouseholdMember, HouseholdMember.household_id == Household.id)
            .join(place, place.id == Household.area_id)
            .outerjoin(town, town.id == place.parent_id)
            .where(place.path.startswith(area.path))
            .order_by(Household.id, HouseholdMember.position, HouseholdMember.id)
            .execution_options(yield_per=BATCH)
        )
        for row in session.execute(stmt):
            yield [
                row.id,
                row.town_name or "",
                row.place_name,
                row.address,
                row.head_name,
                row.name,
                label("relation", row.relation),
                label("sex", row.sex),
                row.birth_date.isoformat() if row.birth_date else "",
                row.birth_year,
                mask_id_number(row.id_number) or "",
                row.health or "",
                row.work_status or "",
            ]

    return Export(f"家庭成员_{area.name}_{local_today():%Y%m%d}", MEMBER_HEADERS, rows)


def households_export(area: Area, period: Period, cadence: Cadence, status: str | None) -> Export:
    """The focus households of the area (``households.households_select``)."""
    stmt = households.households_select(area, period, cadence, status)

    def rows() -> Iterator[list[Any]]:
        for row in households.households_rows(stmt):
            yield households.export_values(row, period.zone)

    title = "重点户" + (f"_{label('household_status', status)}" if status else "")
    return Export(_file_name(title, area, period), households.EXPORT_HEADERS, rows)


def _local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    """The county's wall-clock time of a stored (UTC) time: what a spreadsheet shows."""
    return value.astimezone(zone).replace(tzinfo=None) if value else None


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
    rows = iter(export.rows())
    first = next(rows, None)  # the first query runs before the first chunk is handed out
    yield CSV_BOM + buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    for row in chain([first], rows) if first is not None else ():
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
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        # Spreadsheets run cells that start like a formula; text from phones must not.
        return "'" + value
    return value


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


# XLSX is written here as its parts (Office Open XML) into a zip that is sent while it is
# made: XlsxWriter needs ~30 µs a cell on this machine (a year of the county, 16 M cells,
# took longer than the benchmark's ten minutes) and finishes the file before the first
# byte can leave. Cells are inline strings and numbers; three styles: plain, bold header,
# percent.
XLSX_MAX_ROWS = 1_048_576  # a sheet's rows in Excel; more data continues on another sheet
XLSX_MAX_SHEET_BYTES = 1 << 30  # a sheet's XML stays well below zip's 32-bit sizes
XLSX_MAX_TEXT = 32_767  # characters of a cell in Excel
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="0.0%"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="166" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)
_BOLD, _PERCENT, _DATE, _DATETIME = 1, 2, 3, 4
# Excel's day 0 (its serial numbers count days from here; 1900's phantom leap day included).
_EXCEL_EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001 (a spreadsheet's times have no zone)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPE_LIKE = re.compile(r"(_x[0-9a-fA-F]{4}_)")


class _Sink:
    """What the zip writes, kept until the response takes it (not seekable: the zip
    then writes each entry's sizes after its data)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        self.size = 0
        return data


def _column_letters(index: int) -> str:
    letters, n = "", index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text_cell(ref: str, value: str, style: int = 0) -> str:
    value = value[:XLSX_MAX_TEXT]
    # As Excel reads them: control characters as _xHHHH_, a literal _xHHHH_ protected.
    value = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", _ESCAPE_LIKE.sub(r"_x005F\1", value))
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
    styled = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{styled} t="inlineStr"><is><t{space}>{value}</t></is></c>'


def _xlsx_row(
    number: int, row: list[Any], columns: list[str], rates: frozenset[int], text_style: int = 0
) -> str:
    cells = []
    for c, value in enumerate(row):
        if value is None:
            continue
        ref = f"{columns[c]}{number}"
        if isinstance(value, Decimal):
            value = float(value)
        if isinstance(value, bool):
            cells.append(_text_cell(ref, "是" if value else "否"))
        elif isinstance(value, (int, float)) and math.isfinite(value):
            styled = f' s="{_PERCENT}"' if c in rates else ""
            cells.append(f'<c r="{ref}"{styled}><v>{value!r}</v></c>')
        elif isinstance(value, datetime) and value.tzinfo is None:
            serial = (value - _EXCEL_EPOCH).total_seconds() / 86400
            cells.append(f'<c r="{ref}" s="{_DATETIME}"><v>{serial!r}</v></c>')
        elif isinstance(value, date) and not isinstance(value, datetime):
            serial = (value - _EXCEL_EPOCH.date()).days
            cells.append(f'<c r="{ref}" s="{_DATE}"><v>{serial}</v></c>')
        elif isinstance(value, datetime):  # aware: the caller forgot the county's zone
            cells.append(_text_cell(ref, value.isoformat()))
        else:
            cells.append(_text_cell(ref, str(value), text_style))
    return f'<row r="{number}">{"".join(cells)}</row>'


def xlsx_chunks(export: Export, sheet_name: str = "数据") -> Iterator[bytes]:
    """The table as an XLSX workbook, sent in chunks while it is being written."""
    columns = [_column_letters(c) for c in range(len(export.headers))]
    rows = iter(export.rows())
    # The first rows are read before the sheet starts: its column widths come first.
    sample = list(islice(rows, WIDTH_SAMPLE))
    rows = chain(sample, rows)
    widths = "".join(
        f'<col min="{c}" max="{c}" width="{width}" customWidth="1"/>'
        for c, width in enumerate(_column_widths(export.headers, sample), start=1)
    )
    head = (
        f'{_XML}<worksheet xmlns="{_MAIN}"><sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft"/></sheetView></sheetViews>'
        f"<cols>{widths}</cols><sheetData>"
        + _xlsx_row(1, export.headers, columns, frozenset(), _BOLD)
    ).encode()
    tail = b"</sheetData></worksheet>"
    sink = _Sink()
    sheets = 0
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as package:
        row = next(rows, None)
        while sheets == 0 or row is not None:
            sheets += 1
            with package.open(f"xl/worksheets/sheet{sheets}.xml", "w") as sheet:
                sheet.write(head)
                number, written, batch = 1, len(head), []
                while row is not None and number < XLSX_MAX_ROWS:
                    number += 1
                    batch.append(_xlsx_row(number, row, columns, export.rate_columns))
                    row = next(rows, None)
                    if len(batch) == BATCH:
                        data = "".join(batch).encode()
                        sheet.write(data)
                        written += len(data)
                        batch.clear()
                        if sink.size >= CHUNK:
                            yield sink.take()
                        if written >= XLSX_MAX_SHEET_BYTES:
                            break
                sheet.write("".join(batch).encode() + tail)
        names = [sheet_name] + [f"{sheet_name}{n}" for n in range(2, sheets + 1)]
        _write_workbook_parts(package, names)
    yield sink.take()


WIDTH_SAMPLE = 200  # rows read to size the columns
MAX_WIDTH = 60  # characters: longer text wraps in the cell's own width


def _shown(value: Any) -> str:
    if isinstance(value, datetime):
        return "2026-03-01 08:30"
    if isinstance(value, date):
        return "2026-03-01"
    return "" if value is None else str(value)


def _display_width(text: str) -> int:
    """Width in Excel's character units: a Chinese character is two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _column_widths(headers: list[str], sample: list[list[Any]]) -> list[int]:
    """Each column as wide as its header or its widest value among the first rows."""
    widths = []
    for c, header in enumerate(headers):
        widest = max([_display_width(header), *(_display_width(_shown(row[c])) for row in sample)])
        widths.append(min(MAX_WIDTH, max(8, widest + 2)))
    return widths


def _write_workbook_parts(package: zipfile.ZipFile, sheet_names: list[str]) -> None:
    """The parts naming the sheets, written last: only now is their number known."""
    count = len(sheet_names)
    sheets = "".join(
        f'<sheet name="{_xml_attribute(name)}" sheetId="{n}" r:id="rId{n}"/>'
        for n, name in enumerate(sheet_names, start=1)
    )
    package.writestr(
        "xl/workbook.xml",
        f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/>'
        f"</bookViews><sheets>{sheets}</sheets></workbook>",
    )
    relations = "".join(
        f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, count + 1)
    )
    package.writestr(
        "xl/_rels/workbook.xml.rels",
        f'{_XML}<Relationships xmlns="{_PACKAGE_REL}">{relations}'
        f'<Relationship Id="rId{count + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
        "</Relationships>",
    )
    package.writestr("xl/styles.xml", _STYLES)
    package.writestr(
        "_rels/.rels",
        f'{_XML}<Relationships xmlns="{_PACKAGE_REL}"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    )
    spreadsheet = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
        f'ContentType="{spreadsheet}.worksheet+xml"/>'
        for n in range(1, count + 1)
    )
    package.writestr(
        "[Content_Types].xml",
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{spreadsheet}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{spreadsheet}.styles+xml"/>'
        f"{overrides}</Types>",
    )


def _xml_attribute(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


FORMATS = {
    "csv": ("text/csv; charset=utf-8", csv_chunks),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx_chunks),
}
