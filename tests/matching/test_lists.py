"""Uploads, the import job on a real RQ worker, warnings -> tasks and leads, exactly once,
re-imports, bad files, jurisdiction (PostgreSQL + Redis)."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from api.areas.scope import SYSTEM, Actor, _mapped_subclasses, set_actor
from api.audit.models import AuditEntry
from api.casework.leads.models import Lead
from api.casework.tasks.models import Task
from api.jobs.services import schedule_job
from api.matching.models import EarlyWarning, ListRow, ListUpload
from api.mixins import RoleRestricted
from tests import factories
from tests.matching.conftest import (
    MEDICAL_HEADER,
    csv_bytes,
    give_programme,
    id_number,
    medical_row,
)


def upload(client, user, source, data: bytes, filename="list.csv", area=None):
    form = {"source_id": str(source.id), "file": (io.BytesIO(data), filename)}
    if area is not None:
        form["area_id"] = str(area.id)
    return client.post(
        "/api/v1/matching/lists",
        data=form,
        content_type="multipart/form-data",
        headers=factories.headers_for(user),
    )


def imported(client, db, run_jobs, user, source, data, **kwargs):
    response = upload(client, user, source, data, **kwargs)
    assert response.status_code == 202, response.json
    run_jobs()
    run_jobs()  # the follow-up jobs the import scheduled
    return db.get(ListUpload, response.json["id"])


def rows_of(db, upload_id):
    return list(
        db.scalars(select(ListRow).where(ListRow.list_id == upload_id).order_by(ListRow.row_no))
    )


def test_upload_answers_at_once_and_the_job_matches_and_warns(
    client, db, run_jobs, county, sources
):
    medical = sources["medical_large_bills"]
    data = csv_bytes(
        [
            MEDICAL_HEADER,
            medical_row("李秀兰", county.head.id_number, "12,860.50"),
            medical_row("陈国平", county.spouse.id_number, "7420"),
        ],
        "gbk",
    )
    response = upload(client, county.supervisor, medical, data)
    assert response.status_code == 202
    assert response.json["status"] == "queued" and response.json["rows_done"] == 0
    run_jobs()
    run_jobs()
    got = client.get(
        f"/api/v1/matching/lists/{response.json['id']}",
        headers=factories.headers_for(county.supervisor),
    ).json
    assert got["status"] == "done" and got["rows_done"] == 2 and got["rows_matched"] == 2
    assert got["rows_per_second"] is not None and got["encoding"] == "gbk"
    [warning] = db.scalars(select(EarlyWarning)).all()  # 7,420 < 10,000 and not monitored
    assert warning.level == "red" and warning.rule_code == "medical_unmonitored"
    assert (
        warning.household_id == county.household.id
        and warning.area_id == county.areas.village_a1.id
    )
    task = db.get(Task, warning.task_id)
    assert task.kind == "warning_visit" and task.household_id == county.household.id
    assert (task.due_on - warning.created_at.date()).days in (2, 3, 4)  # red: 3 county days
    assert task.assignee_id == county.worker.id and task.realm == "households"


def test_monitored_person_warns_from_six_thousand(client, db, run_jobs, county, sources):
    give_programme(db, county.household)
    data = csv_bytes([MEDICAL_HEADER, medical_row("陈国平", county.spouse.id_number, "6000")])
    upload_ = imported(
        client, db, run_jobs, county.supervisor, sources["medical_large_bills"], data
    )
    [warning] = db.scalars(select(EarlyWarning).where(EarlyWarning.list_id == upload_.id)).all()
    assert warning.level == "orange" and warning.rule_code == "medical_monitored"
    assert db.get(Task, warning.task_id).due_on == warning.due_on


def test_tasks_are_made_exactly_once_however_often_the_jobs_run(
    client, db, run_jobs, county, sources
):
    data = csv_bytes([MEDICAL_HEADER, medical_row("李秀兰", county.head.id_number, "20000")])
    upload_ = imported(
        client, db, run_jobs, county.supervisor, sources["medical_large_bills"], data
    )
    warning_ids = list(db.scalars(select(EarlyWarning.id)))
    schedule_job("workers.matching.import_list", upload_.id)
    schedule_job("workers.followup.warnings_raised", *warning_ids)
    schedule_job("workers.followup.warnings_raised", *warning_ids)
    db.commit()
    run_jobs()
    assert db.scalar(select(func.count()).select_from(EarlyWarning)) == 1
    assert (
        db.scalar(select(func.count()).select_from(Task).where(Task.rule == "matching_warning"))
        == 1
    )
    assert db.scalar(select(func.count()).select_from(ListRow)) == 1


def test_head_newly_unemployed_warns_and_the_spouse_does_not(client, db, run_jobs, county, sources):
    header = ["姓名", "身份证号", "居住地址", "登记日期"]
    data = csv_bytes(
        [
            header,
            ["李秀兰", county.head.id_number, "", "2026-10-09"],
            ["陈国平", county.spouse.id_number, "", "2026-10-09"],
        ],
        "gb18030",
    )
    up = imported(
        client, db, run_jobs, county.supervisor, sources["unemployment_registration"], data
    )
    [warning] = db.scalars(select(EarlyWarning).where(EarlyWarning.list_id == up.id)).all()
    assert warning.rule_code == "head_unemployed" and warning.member_id == county.head.id


def test_severe_disability_without_programme_warns(client, db, run_jobs, county, sources, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "公民身份号码", "所在村（社区）", "残疾类别", "残疾等级", "发证日期"])
    sheet.append(["李秀兰", county.head.id_number, "甲一村", "肢体", 2, "2026-10-12"])
    sheet.append(["陈国平", county.spouse.id_number, "甲一村", "视力", 3, "2026-10-12"])
    sheet.append(["无名", id_number("19920130", 62), "不存在村", "听力", 1, "2026-10-28"])
    path = tmp_path / "d.xlsx"
    book.save(path)
    up = imported(
        client,
        db,
        run_jobs,
        county.supervisor,
        sources["disability_certificates"],
        path.read_bytes(),
        filename="d.xlsx",
    )
    assert up.file_format == "xlsx" and up.rows_done == 3 and up.rows_bad == 1
    [warning] = db.scalars(select(EarlyWarning).where(EarlyWarning.list_id == up.id)).all()
    assert warning.rule_code == "severe_disability_no_programme" and warning.level == "orange"
    assert rows_of(db, up.id)[2].bad_reason == "unknown_village"


def test_death_in_a_programme_household_is_a_review_for_the_supervisor(
    client, db, run_jobs, county, sources
):
    give_programme(db, county.household)
    town_supervisor = county.town_supervisor
    data = csv_bytes(
        [
            ["姓名", "身份证号码", "户籍地址", "死亡日期"],
            ["陈国平", county.spouse.id_number, "", "2026-10-03"],
        ],
        "utf-8",
    )
    up = imported(client, db, run_jobs, county.supervisor, sources["deaths"], data)
    [warning] = db.scalars(select(EarlyWarning).where(EarlyWarning.list_id == up.id)).all()
    task = db.get(Task, warning.task_id)
    assert warning.action == "review" and task.kind == "warning_review"
    assert task.assignee_id == town_supervisor.id


def test_unmatched_row_becomes_a_lead_for_the_town_or_the_county(
    client, db, run_jobs, county, sources
):
    data = csv_bytes(
        [
            MEDICAL_HEADER,
            medical_row("黄志强", id_number("19850920", 35), "15300", "翁源县乙镇乙二村5号"),
            medical_row("张桂英", id_number("19490715", 22), "18800", "外省某市"),
            medical_row("小额", id_number("19490715", 39), "800", "乙二村"),
        ]
    )
    up = imported(client, db, run_jobs, county.supervisor, sources["medical_large_bills"], data)
    assert up.rows_unmatched == 3 and up.leads_made == 2
    leads = list(db.scalars(select(Lead).order_by(Lead.id)))
    assert [(lead.origin, lead.queue, lead.area_id) for lead in leads] == [
        ("data_matching", "town", county.areas.town_b.id),
        ("data_matching", "county", county.areas.county.id),
    ]
    assert leads[0].urgency == "urgent" and leads[0].task_id is not None
    assert all(lead.channel is None and "户籍库未找到" in lead.description for lead in leads)


def test_bad_rows_are_kept_with_their_reason(client, db, run_jobs, county, sources):
    data = csv_bytes(
        [
            MEDICAL_HEADER,
            medical_row("", county.head.id_number, "100"),
            medical_row("王五", "4402291990010112", "100"),
            medical_row("赵六", county.head.id_number, "很多"),
            ["钱七", county.head.id_number, "女", "", "100", "2026-13-45", "", ""],
            medical_row("李秀兰", county.head.id_number, "100"),
        ]
    )
    up = imported(client, db, run_jobs, county.supervisor, sources["medical_large_bills"], data)
    assert [r.bad_reason for r in rows_of(db, up.id)] == [
        "missing_name",
        "unreadable_id_number",
        "bad_amount",
        "bad_date",
        None,
    ]
    assert up.rows_bad == 4 and up.rows_matched == 1


def test_a_huge_row_is_a_bad_row_and_the_rest_is_read(client, db, run_jobs, county, sources):
    data = csv_bytes(
        [
            MEDICAL_HEADER,
            medical_row("大行", county.head.id_number, "100", "x" * 40000),
            medical_row("李秀兰", county.head.id_number, "100"),
        ]
    )
    up = imported(client, db, run_jobs, county.supervisor, sources["medical_large_bills"], data)
    assert [(r.bad_reason, r.status) for r in rows_of(db, up.id)] == [
        ("row_too_long", "bad"),
        (None, "matched"),
    ]


def test_bad_files_are_refused_before_any_row_is_stored(client, db, county, sources):
    medical = sources["medical_large_bills"]
    deaths = sources["deaths"]  # declared UTF-8
    cases = [
        (medical, b"", "file"),
        (medical, b"   \n", "file"),
        (medical, csv_bytes([["甲", "乙"], ["1", "2"]], "gbk"), "columns"),
        (medical, csv_bytes([MEDICAL_HEADER], "gbk"), "file"),
        (
            deaths,
            csv_bytes(
                [["姓名", "身份证号码", "户籍地址", "死亡日期"], ["张三", "", "", ""]], "gbk"
            ),
            "file",
        ),
        (medical, b"PK\x03\x04broken", "file"),
    ]
    for source, data, field in cases:
        response = upload(client, county.supervisor, source, data)
        assert response.status_code == 422, (data, response.json)
        assert field in response.json["errors"]
    assert db.scalar(select(func.count()).select_from(ListUpload)) == 0


def test_the_same_file_is_not_imported_twice(client, db, run_jobs, county, sources):
    data = csv_bytes([MEDICAL_HEADER, medical_row("李秀兰", county.head.id_number, "100")])
    imported(client, db, run_jobs, county.supervisor, sources["medical_large_bills"], data)
    again = upload(client, county.town_supervisor, sources["medical_large_bills"], data)
    assert again.status_code == 409


def test_a_row_unchanged_since_the_previous_list_raises_no_new_warning(
    client, db, run_jobs, county, sources
):
    medical = sources["medical_large_bills"]
    first = [MEDICAL_HEADER, medical_row("李秀兰", county.head.id_number, "20000")]
    imported(client, db, run_jobs, county.supervisor, medical, csv_bytes(first))
    second = [*first, medical_row("陈国平", county.spouse.id_number, "11000")]
    up = imported(client, db, run_jobs, county.supervisor, medical, csv_bytes(second, "gbk"))
    rows = rows_of(db, up.id)
    assert [r.unchanged for r in rows] == [True, False]
    [warning] = db.scalars(select(EarlyWarning).where(EarlyWarning.list_id == up.id)).all()
    assert warning.member_id == county.spouse.id


def test_review_queue_accept_and_reject(client, db, run_jobs, county, sources):
    medical = sources["medical_large_bills"]
    typo = county.head.id_number[:-1] + ("0" if county.head.id_number[-1] != "0" else "1")
    data = csv_bytes([MEDICAL_HEADER, medical_row("李秀兰", typo, "20000")])
    up = imported(client, db, run_jobs, county.supervisor, medical, data)
    headers = factories.headers_for(county.supervisor)
    queue = client.get("/api/v1/matching/review", headers=headers).json
    [item] = queue
    assert item["row"]["method"] == "id_repaired" and item["candidate"]["name"] == "李秀兰"
    assert "*" in item["candidate"]["id_number"] and "*" in item["row"]["id_number"]
    assert db.scalar(select(func.count()).select_from(EarlyWarning)) == 0
    done = client.post(
        f"/api/v1/matching/review/{item['row']['id']}", json={"decision": "accept"}, headers=headers
    )
    assert done.status_code == 200 and done.json["status"] == "matched"
    decided = db.scalars(
        select(AuditEntry).where(AuditEntry.table_name == "matching_review_decisions")
    ).all()
    assert [(e.action, e.actor_id) for e in decided] == [("create", county.supervisor.id)]
    run_jobs()
    [warning] = db.scalars(select(EarlyWarning)).all()
    assert warning.task_id is not None
    again = client.post(
        f"/api/v1/matching/review/{item['row']['id']}", json={"decision": "reject"}, headers=headers
    )
    assert again.status_code == 409
    # Next month: the same typo for the same person, rejected this time, is never proposed again.
    data2 = csv_bytes([MEDICAL_HEADER, medical_row("李秀兰", typo, "30000")])
    up2 = imported(client, db, run_jobs, county.supervisor, medical, data2)
    [row2] = rows_of(db, up2.id)
    client.post(f"/api/v1/matching/review/{row2.id}", json={"decision": "reject"}, headers=headers)
    data3 = csv_bytes([MEDICAL_HEADER, medical_row("李秀兰", typo, "40000")])
    up3 = imported(client, db, run_jobs, county.supervisor, medical, data3)
    assert [r.status for r in rows_of(db, up3.id)] == ["unmatched"]
    assert up.rows_review == 0
    # The walls hold on every query, not only on the endpoints: an outreach worker of the
    # very town sees none of the supervisors' matching tables, now that each has rows.
    walled = [
        m for m in _mapped_subclasses(RoleRestricted) if m.__tablename__.startswith("matching_")
    ]
    walled = [m for m in walled if "outreach_worker" not in m.visible_to_roles]
    set_actor(None, SYSTEM)
    assert all(db.scalar(select(func.count()).select_from(m)) > 0 for m in walled), walled
    town = county.areas.town_a
    set_actor(None, Actor(county.worker.id, "outreach_worker", town.id, town.path))
    for model in walled:
        assert db.scalars(select(model)).all() == [], model.__tablename__


def test_lists_and_rows_are_for_supervisors_of_the_area(client, db, run_jobs, county, sources):
    data = csv_bytes([MEDICAL_HEADER, medical_row("李秀兰", county.head.id_number, "20000")])
    up = imported(
        client,
        db,
        run_jobs,
        county.town_supervisor,
        sources["medical_large_bills"],
        data,
        area=county.areas.town_a,
    )
    for user, status in (
        (county.town_supervisor, 200),
        (county.supervisor, 200),
        (county.admin, 200),
        (county.town_b_supervisor, 404),
        (county.worker, 403),
        (county.rescue, 403),
    ):
        headers = factories.headers_for(user)
        assert client.get(f"/api/v1/matching/lists/{up.id}", headers=headers).status_code == status
        rows = client.get(f"/api/v1/matching/lists/{up.id}/rows", headers=headers)
        assert rows.status_code == status
    rows = client.get(
        f"/api/v1/matching/lists/{up.id}/rows",
        headers=factories.headers_for(county.town_supervisor),
    ).json
    assert "*" in rows[0]["id_number"] and "*" in rows[0]["raw"]["身份证号"]
    # Warnings: the town's workers see theirs, town B's do not, rescue staff none.
    for user, count in ((county.worker, 1), (county.worker_b, 0), (county.town_b_supervisor, 0)):
        got = client.get("/api/v1/matching/warnings", headers=factories.headers_for(user))
        assert got.status_code == 200 and len(got.json) == count
    assert (
        client.get(
            "/api/v1/matching/warnings", headers=factories.headers_for(county.rescue)
        ).status_code
        == 403
    )


def test_stats_per_town(client, db, run_jobs, county, sources):
    data = csv_bytes(
        [
            MEDICAL_HEADER,
            medical_row("李秀兰", county.head.id_number, "20000"),
            medical_row("钟玉梅", county.other_person.id_number, "20000"),
        ]
    )
    imported(client, db, run_jobs, county.supervisor, sources["medical_large_bills"], data)
    task = db.scalar(select(Task).where(Task.household_id == county.household.id))
    task.status, task.closed_at = "done", task.created_at
    db.flush()
    got = client.get("/api/v1/matching/stats", headers=factories.headers_for(county.supervisor))
    assert got.status_code == 200
    by_town = {a["area_id"]: a for a in got.json["areas"]}
    town_a, town_b = by_town[county.areas.town_a.id], by_town[county.areas.town_b.id]
    assert (town_a["raised"], town_a["handled_in_time"], town_a["handled_in_time_rate"]) == (
        1,
        1,
        1.0,
    )
    assert (town_b["raised"], town_b["open"], town_b["overdue"]) == (1, 1, 0)
    assert got.json["total"]["raised"] == 2 and got.json["own"]["raised"] == 0
    export = client.get(
        f"/api/v1/exports/coverage?area_id={county.areas.county.id}&format=csv",
        headers=factories.headers_for(county.supervisor),
    )
    *parts, total = csv.DictReader(io.StringIO(export.data.decode("utf-8-sig")))
    assert [row["数据比对预警"] for row in parts] == ["1", "1"] and total["数据比对预警"] == "2"
    assert total["预警按期处置"] == "1" and total["预警处置率"] == "50.0%"


def test_purge_keeps_outcomes_and_warnings(client, db, run_jobs, county, sources):
    from datetime import timedelta

    from api.matching import files, services

    data = csv_bytes([MEDICAL_HEADER, medical_row("李秀兰", county.head.id_number, "20000")])
    up = imported(client, db, run_jobs, county.supervisor, sources["medical_large_bills"], data)
    assert services.purge_expired() == 0
    up.created_at = up.created_at - timedelta(days=181)
    db.flush()
    assert services.purge_expired() == 1
    [row] = rows_of(db, up.id)
    assert (row.raw, row.name, row.id_number) == (None, None, None)
    assert row.status == "matched" and row.member_id == county.head.id
    assert db.scalar(select(func.count()).select_from(EarlyWarning)) == 1
    assert not files.path_for(up.file_sha256).exists()
    audited = db.scalars(
        select(AuditEntry).where(
            AuditEntry.table_name == "matching_lists", AuditEntry.record_id == str(up.id)
        )
    ).all()
    assert {e.action for e in audited} >= {"create", "update"}


def test_a_run_stopped_half_way_resumes_after_the_last_stored_row(
    client, db, county, sources, monkeypatch
):
    from api.matching import imports

    rows = [MEDICAL_HEADER] + [
        medical_row(name, county.head.id_number, "100") for name in ("一", "二", "三")
    ]
    response = upload(client, county.supervisor, sources["medical_large_bills"], csv_bytes(rows))
    list_id = response.json["id"]
    monkeypatch.setattr(imports, "CHUNK_ROWS", 1)
    store_chunk, calls = imports.store_chunk, []

    def killed_at_the_second_chunk(context, chunk):
        calls.append(chunk[0].row_no)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        store_chunk(context, chunk)

    monkeypatch.setattr(imports, "store_chunk", killed_at_the_second_chunk)
    with pytest.raises(RuntimeError):
        imports.run_import(list_id)
    db.rollback()  # what the job runner does
    assert [r.row_no for r in rows_of(db, list_id)] == [1]
    monkeypatch.setattr(imports, "store_chunk", store_chunk)
    assert imports.run_import(list_id) == "done"
    assert [r.row_no for r in rows_of(db, list_id)] == [1, 2, 3]
    assert db.get(ListUpload, list_id).rows_done == 3


def test_a_cell_holding_nul_is_a_bad_row(client, db, run_jobs, county, sources):
    # PostgreSQL text cannot hold NUL: the import job must not fail on one cell.
    data = csv_bytes(
        [
            MEDICAL_HEADER,
            medical_row("李\x00秀兰", county.head.id_number, "100"),
            medical_row("李秀兰", county.head.id_number, "100", "地址\x00"),
            medical_row("李秀兰", county.head.id_number, "100"),
        ]
    )
    up = imported(client, db, run_jobs, county.supervisor, sources["medical_large_bills"], data)
    assert up.status == "done", up.error
    assert [(r.status, r.bad_reason) for r in rows_of(db, up.id)] == [
        ("bad", "unreadable_text"),
        ("bad", "unreadable_text"),
        ("matched", None),
    ]
