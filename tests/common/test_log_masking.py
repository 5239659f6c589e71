"""ID numbers never reach the logs or the stored job errors in full (api.logs, workers.runner)."""

import logging
import sys

import pytest
from sqlalchemy import select

from api.jobs.models import OutboxJob
from api.jobs.services import schedule_job
from api.logs import MASK_ID_NUMBERS, OWN_HANDLER_LOGGERS

ID = "440229198001011230"
ID_MASKED = "4402**********1230"


def _doudi_handler() -> logging.Handler:
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "doudi", False)]
    return handler


def _formatted(record: logging.LogRecord) -> str:
    handler = _doudi_handler()
    assert handler.filter(record)
    return handler.format(record)


def test_message_and_arguments_are_masked(app):
    record = logging.LogRecord(
        "api.x", logging.INFO, __file__, 1, "户主身份证%s已核实 %s", (ID, {"q": ID}), None
    )
    text = _formatted(record)
    assert ID not in text
    assert f"户主身份证{ID_MASKED}已核实" in text and f"{{'q': '{ID_MASKED}'}}" in text


def test_exception_text_is_masked(app):
    try:
        raise ValueError(f'duplicate key value (id_number)=({ID}) "户主{ID}"')
    except ValueError:
        record = logging.getLogger("api.x").makeRecord(
            "api.x", logging.ERROR, __file__, 1, "failed", (), exc_info=sys.exc_info()
        )
    text = _formatted(record)
    assert ID not in text and "ValueError: duplicate key value" in text
    assert f"户主{ID_MASKED}" in text


def test_json_lines_are_masked_too(app):
    from api.logs import JsonFormatter

    record = logging.LogRecord("api.x", logging.INFO, __file__, 1, "q=%s", (ID,), None)
    assert MASK_ID_NUMBERS.filter(record)
    assert ID_MASKED in JsonFormatter().format(record)


@pytest.mark.parametrize("name", OWN_HANDLER_LOGGERS)
def test_gunicorns_own_loggers_are_masked(app, name):
    # gunicorn's access log holds request lines with their query strings.
    assert MASK_ID_NUMBERS in logging.getLogger(name).filters


def test_a_failed_jobs_stored_error_is_masked(db, run_jobs):
    job_id = schedule_job("tests.workers.jobs.always_fails", f"户主{ID}").id
    db.commit()
    run_jobs()
    last_error = db.scalar(select(OutboxJob.last_error).where(OutboxJob.id == job_id))
    assert last_error == f"RuntimeError: boom: 户主{ID_MASKED}"


def test_a_record_whose_arguments_do_not_fit_is_left_to_the_handler(app):
    record = logging.LogRecord("api.x", logging.INFO, __file__, 1, "%d", ("x",), None)
    assert MASK_ID_NUMBERS.filter(record)
    assert record.args == ("x",)
