"""A list imported on the embedded default (SQLite + SpatiaLite, jobs in-process)."""

import io

from sqlalchemy import select

from api.casework.tasks.models import Task
from api.db import session
from api.jobs.queue import wait_for_in_process_jobs
from api.matching import demo
from api.matching.models import EarlyWarning, ListRow
from tests import factories
from tests.matching.conftest import MEDICAL_HEADER, csv_bytes, id_number, medical_row
from tests.visits import factories as vf


def test_upload_import_warning_and_task_on_sqlite(sqlite_app):
    areas = factories.area_tree()
    supervisor = factories.user("supervisor", areas.county)
    factories.user("outreach_worker", areas.town_a)
    number = id_number("19580312", 21)
    vf.household(
        areas.village_a1, focus_groups=(), members=1, head_name="李秀兰", head_id_number=number
    )
    [medical] = [s for s in demo.load_sources(areas.county.id) if s.code == "medical_large_bills"]
    headers = factories.headers_for(supervisor)
    session.commit()
    data = csv_bytes(
        [MEDICAL_HEADER, medical_row("李秀兰", number, "20000"), medical_row("", number, "1")]
    )
    response = sqlite_app.test_client().post(
        "/api/v1/matching/lists",
        data={"source_id": str(medical.id), "file": (io.BytesIO(data), "l.csv")},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert response.status_code == 202, response.json
    wait_for_in_process_jobs()
    wait_for_in_process_jobs()  # the follow-up job the import scheduled
    session.rollback()
    rows = session.scalars(select(ListRow).order_by(ListRow.row_no)).all()
    assert [(r.status, r.bad_reason) for r in rows] == [("matched", None), ("bad", "missing_name")]
    [warning] = session.scalars(select(EarlyWarning)).all()
    assert warning.level == "red" and session.get(Task, warning.task_id).kind == "warning_visit"
