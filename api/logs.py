"""Structured logs: one JSON object per line, carrying the request id, ID numbers masked."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from flask import Flask, g, has_request_context

from api.common.idnumber import mask_text


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class MaskIdNumbers(logging.Filter):
    """Masks ID numbers in a record's message, exception and stack text (``mask_text``),
    whoever logged it: a database error quoting a row, a request line with a query string.

    The record is rewritten in place (message formatted, arguments dropped), so every
    handler after this one sees the masked text too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # arguments that do not fit: the handler reports it (handleError)
        record.msg = mask_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True


MASK_ID_NUMBERS = MaskIdNumbers()
# Loggers that may not reach the root handler: gunicorn's write to handlers of their own
# (the access log holds request lines, query strings included), and RQ's do when RQ set up
# its handlers before ours (a job's traceback).
OWN_HANDLER_LOGGERS = ("gunicorn.access", "gunicorn.error", "rq.worker", "rq.job")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info or record.exc_text:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(app: Flask) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RequestIdFilter())
    handler.addFilter(MASK_ID_NUMBERS)
    if app.config["LOG_JSON"]:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "doudi", False):
            root.removeHandler(existing)
    handler.doudi = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    for name in OWN_HANDLER_LOGGERS:
        # A filter on the logger (not its handlers): gunicorn replaces its handlers when it
        # reopens the log files.
        logger = logging.getLogger(name)
        if MASK_ID_NUMBERS not in logger.filters:
            logger.addFilter(MASK_ID_NUMBERS)
