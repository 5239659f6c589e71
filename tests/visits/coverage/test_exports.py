"""Exports: CSV (UTF-8 BOM) and XLSX open and carry the same numbers as the API."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from functools import partial

import openpyxl

from tests.visits.coverage.conftest import PERIOD, get
from tests.visits.coverage.test_coverage import COUNTY_ROWS, COUNTY_TOTAL
from tests.visits.factories import household, valid_id_number

# What a spreadsheet cell holds: the county's wall-clock time, with no zone.
wall_clock = partial(datetime, tzinfo=None)

# Export columns in the order of test_coverage.KEYS.
COVERAGE_HEADERS = (
    "重点户数",
    "期内已走访户数",
    "期内上门走访户数",
    "超期未回访户数",
    "从未走访户数",
    "走访次数",
    "上门走访次数",
    "位置核验异常次数",
    "异常待审核次数",
    "未办结任务",
    "逾期任务",
)


def export(client, headers, kind, area, file_format):
    response = get(
        client,
        f"/api/v1/exports/{kind}",
        headers,
        area_id=area.id,
        format=file_format,
        **PERIOD,
    )
    assert response.status_code == 200, response.data[:500]
    return response


def csv_rows(response):
    assert response.data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def xlsx_rows(response):
    workbook = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    values = list(workbook.active.iter_rows(values_only=True))
    headers = values[0]
    return [dict(zip(headers, row, strict=True)) for row in values[1:]]


def numbers(row):
    return tuple(int(row[h]) for h in COVERAGE_HEADERS)


def test_coverage_csv_has_bom_chinese_headers_and_the_figures(client, scenario, supervisor_headers):
    response = export(client, supervisor_headers, "coverage", scenario.county, "csv")
    assert response.mimetype == "text/csv"
    rows = csv_rows(response)
    by_name = {row["区域名称"]: row for row in rows}
    assert numbers(by_name["甲镇"]) == COUNTY_ROWS["town_a"]
    assert numbers(by_name["乙镇"]) == COUNTY_ROWS["town_b"]
    assert numbers(rows[-1]) == COUNTY_TOTAL
    assert rows[-1]["走访覆盖率"] == "60.0%"


def test_coverage_xlsx_opens_and_carries_the_same_numbers(client, scenario, supervisor_headers):
    response = export(client, supervisor_headers, "coverage", scenario.county, "xlsx")
    rows = xlsx_rows(response)
    by_name = {row["区域名称"]: row for row in rows}
    assert numbers(by_name["甲镇"]) == COUNTY_ROWS["town_a"]
    assert numbers(rows[-1]) == COUNTY_TOTAL
    assert rows[-1]["走访覆盖率"] == 0.6
    assert by_name["乙镇"]["层级"] == "镇"


def test_export_is_streamed_with_a_chinese_file_name(client, scenario, supervisor_headers):
    response = export(client, supervisor_headers, "visits", scenario.county, "xlsx")
    assert response.is_streamed
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E8%B5%B0%E8%AE%BF%E8%AE%B0%E5%BD%95" in disposition  # 走访记录


def test_visits_csv_lists_every_visit_of_the_period(client, scenario, supervisor_headers):
    rows = csv_rows(export(client, supervisor_headers, "visits", scenario.county, "csv"))
    assert len(rows) == COUNTY_TOTAL[5]
    times = [row["走访时间"] for row in rows]
    assert times[0] == "2026-03-01 00:00" and times[-1] == "2026-03-31 23:30"
    flagged = [row for row in rows if row["位置核验异常"] == "是"]
    assert len(flagged) == 2
    assert {row["核验说明"] for row in flagged} == {"距离住址过远"}


def test_visits_xlsx_has_the_same_rows_as_csv(client, scenario, supervisor_headers):
    from_csv = csv_rows(export(client, supervisor_headers, "visits", scenario.county, "csv"))
    from_xlsx = xlsx_rows(export(client, supervisor_headers, "visits", scenario.county, "xlsx"))
    assert [int(r["走访编号"]) for r in from_csv] == [r["走访编号"] for r in from_xlsx]
    assert [r["走访方式"] for r in from_csv] == [r["走访方式"] for r in from_xlsx]


def test_visits_export_names_a_worker_from_another_town(client, scenario):
    from tests import factories

    town_b = factories.headers_for(factories.user("supervisor", scenario.town_b))
    rows = csv_rows(export(client, town_b, "visits", scenario.town_b, "csv"))
    assert scenario.worker_a.display_name in {row["走访人"] for row in rows}
    assert {row["走访人所属区域"] for row in rows} == {"甲镇", "乙镇"}


def test_tasks_export_lists_tasks_due_in_the_period(client, scenario, supervisor_headers):
    rows = xlsx_rows(export(client, supervisor_headers, "tasks", scenario.county, "xlsx"))
    assert sorted((r["截止日期"], r["状态"], r["是否逾期"]) for r in rows) == [
        (wall_clock(2026, 3, 10), "待办", "是"),
        (wall_clock(2026, 3, 22), "已办结", "否"),
    ]
    assert {r["村/社区"] for r in rows} == {"乙一村"}


def test_members_export_lists_the_people_with_relation_labels(
    db, client, scenario, supervisor_headers
):
    number = valid_id_number("440229198001010020")
    home = household(scenario.a1, head_name="周芳", head_id_number=number, members=2)
    response = get(client, "/api/v1/exports/members", supervisor_headers, area_id=scenario.a1.id)
    assert response.status_code == 200, response.data[:500]
    rows = [r for r in csv_rows(response) if r["户编号"] == str(home.id)]
    assert [(r["姓名"], r["与户主关系"], r["户主"]) for r in rows] == [
        ("周芳", "户主", "周芳"),
        (home.members[1].name, "其他", "周芳"),
    ]
    head = rows[0]
    assert (head["性别"], head["出生日期"], head["村/社区"]) == ("女", "1980-01-01", "甲一村")
    assert head["身份证号"] == number[:4] + "*" * 10 + number[-4:]
    everyone = csv_rows(
        get(client, "/api/v1/exports/members", supervisor_headers, area_id=scenario.town_b.id)
    )
    assert everyone and all(r["镇"] == "乙镇" for r in everyone)


def test_csv_cells_never_start_a_formula(db, scenario, client, supervisor_headers):
    scenario.households["H1"].head_name = "=HYPERLINK(1)"
    db.flush()
    rows = csv_rows(export(client, supervisor_headers, "visits", scenario.a1, "csv"))
    assert "'=HYPERLINK(1)" in {row["户主"] for row in rows}


# --- the XLSX writer itself (exports.xlsx_chunks) ---------------------------------------


def _workbook(export_table, monkeypatch=None, max_rows=None):
    from api.visits.coverage import exports

    if max_rows is not None:
        monkeypatch.setattr(exports, "XLSX_MAX_ROWS", max_rows)
    data = b"".join(exports.xlsx_chunks(export_table))
    return openpyxl.load_workbook(io.BytesIO(data))


def _table(rows, rate_columns=frozenset()):
    from api.visits.coverage.exports import Export

    return Export("t", ["名称", "数", "比例"], lambda: iter(rows), frozenset(rate_columns))


def test_xlsx_keeps_awkward_text_as_text():
    from decimal import Decimal

    awkward = [
        ["=1+1", 1, None],  # a formula's look stays text
        ["<b>&amp;</b>", Decimal("2.5"), 0.5],
        ["  两端有空格  ", True, None],
        ["控制\x01字符\x1f", False, None],
        ["_x0041_ literal", date(2026, 3, 1), None],
        ["很长" * 20_000, float("nan"), None],
    ]
    sheet = _workbook(_table(awkward, {2})).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("名称", "数", "比例")
    assert values[1] == ("=1+1", 1, None)
    assert sheet["A2"].data_type == "s"  # a string, not a formula
    assert values[2] == ("<b>&amp;</b>", 2.5, 0.5)
    assert sheet["C3"].number_format == "0.0%"
    assert values[3] == ("  两端有空格  ", "是", None)
    # XML cannot hold control characters: they are written as Excel's _xHHHH_ escapes,
    # and text that looks like one is protected (_x005F_ is "_"). Excel decodes both;
    # openpyxl shows them as written.
    assert values[4] == ("控制_x0001_字符_x001F_", "否", None)
    assert values[5] == ("_x005F_x0041_ literal", wall_clock(2026, 3, 1), None)
    assert sheet["B6"].number_format == "yyyy-mm-dd"
    assert len(values[6][0]) == 32_767  # Excel's limit for a cell
    assert values[6][1] == "nan"  # not a number Excel could store
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b


def test_xlsx_continues_on_another_sheet_past_a_sheets_rows(monkeypatch):
    rows = [[f"户{i}", i, None] for i in range(7)]
    workbook = _workbook(_table(rows), monkeypatch, max_rows=4)  # header + 3 rows a sheet
    assert workbook.sheetnames == ["数据", "数据2", "数据3"]
    read = [
        row for sheet in workbook.worksheets for row in list(sheet.iter_rows(values_only=True))[1:]
    ]
    assert read == [(f"户{i}", i, None) for i in range(7)]
    assert all(sheet["A1"].value == "名称" for sheet in workbook.worksheets)


def test_xlsx_of_no_rows_is_a_sheet_with_its_header():
    workbook = _workbook(_table([]))
    assert list(workbook.active.iter_rows(values_only=True)) == [("名称", "数", "比例")]


# --- what a reader of the files sees (issue 14: labels, Excel dates, widths) ----------------


def test_visits_export_shows_the_screening_label_not_the_code(
    db, scenario, client, supervisor_headers
):
    from api.visits.models import Visit

    visit = db.query(Visit).filter_by(household_id=scenario.households["H1"].id).one()
    visit.screening_result = "likely_dibao"
    db.flush()
    for file_format, read in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        rows = read(export(client, supervisor_headers, "visits", scenario.county, file_format))
        shown = {row["筛查建议"] for row in rows}
        assert "疑似符合低保" in shown and "likely_dibao" not in shown


def test_xlsx_times_are_county_local_date_cells(client, scenario, supervisor_headers):
    response = export(client, supervisor_headers, "visits", scenario.county, "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    headers = [cell.value for cell in sheet[1]]
    visited = headers.index("走访时间") + 1
    cells = [sheet.cell(row=r, column=visited) for r in range(2, sheet.max_row + 1)]
    assert all(cell.is_date and cell.number_format == "yyyy-mm-dd hh:mm" for cell in cells)
    # 00:00 and 23:30 in Shanghai: the county's wall clock, not UTC (16:00 and 15:30).
    assert cells[0].value == wall_clock(2026, 3, 1, 0, 0)
    assert cells[-1].value == wall_clock(2026, 3, 31, 23, 30)


def test_xlsx_columns_are_as_wide_as_their_text(client, scenario, supervisor_headers):
    response = export(client, supervisor_headers, "visits", scenario.county, "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    headers = {cell.value: cell.column_letter for cell in sheet[1]}
    width = lambda name: sheet.column_dimensions[headers[name]].width  # noqa: E731
    assert width("走访时间") >= len("2026-03-01 08:30")  # a whole time shows
    assert width("与住址距离（米）") >= 2 * len("与住址距离（米）")  # Chinese: 2 units each
    assert width("走访编号") < width("走访时间")


def test_tasks_export_names_the_household_and_the_reason(db, scenario, client, supervisor_headers):
    from tests.visits.coverage import factories as coverage_factories

    task = coverage_factories.task(scenario.a1, date(2026, 3, 15), "open", scenario.worker_a)
    task.household_id = scenario.households["H1"].id
    task.reason = "走访发现生活困难"
    task.priority = "high"
    db.flush()
    rows = csv_rows(export(client, supervisor_headers, "tasks", scenario.county, "csv"))
    row = next(r for r in rows if r["任务编号"] == str(task.id))
    assert row["户编号"] == str(scenario.households["H1"].id)
    assert row["户主"] == scenario.households["H1"].head_name
    assert row["原因"] == "走访发现生活困难"
    assert (row["类型"], row["优先级"], row["截止日期"]) == ("回访", "高", "2026-03-15")


def test_tasks_export_as_listed_follows_the_list_filters(db, scenario, client, supervisor_headers):
    from tests.visits.coverage import factories as coverage_factories

    waiting = coverage_factories.task(scenario.b1, date(2030, 1, 1), "open")  # nobody holds it
    db.flush()
    query = "as_listed=true&unassigned=true&format=csv"
    response = client.get(
        f"/api/v1/exports/tasks?area_id={scenario.county.id}&{query}", headers=supervisor_headers
    )
    rows = csv_rows(response)
    listed = client.get(
        f"/api/v1/tasks?area_id={scenario.county.id}&unassigned=true", headers=supervisor_headers
    ).json
    assert [int(row["任务编号"]) for row in rows] == [task["id"] for task in listed]
    assert waiting.id in {task["id"] for task in listed}
    assert {row["负责人"] for row in rows} == {""}
