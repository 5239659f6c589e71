"""One error shape for every 4xx and 5xx: ``application/problem+json`` (RFC 9457).

Every error body has ``type``, ``title``, ``status``, ``detail`` and ``request_id``;
validation errors add ``errors``, keyed by field path (``findings.household_size``,
``visits.3.location``) with a list of messages each. Domain code raises the exceptions
below; Werkzeug's HTTP errors and webargs' validation errors are turned into the same
shape. A 500 never carries a stack trace or an exception's text: it names the request id,
which the logs carry with the traceback.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime
from typing import Any

from flask import Flask, g, json
from flask.wrappers import Response
from marshmallow import INCLUDE, Schema, fields
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.http import http_date

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
# Seconds a client is told to wait after a 429 that named no time of its own.
_DEFAULT_RETRY_AFTER = 60


class ProblemSchema(Schema):
    """The error body, as documented in the OpenAPI spec. Problems may carry extension
    members (RFC 9457 §3.2), such as the ``client_uuid`` of a conflicting resend."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(metadata={"description": "A URI naming the kind of problem"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    request_id = fields.String(metadata={"description": "Quote it when reporting a problem"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Validation messages keyed by field path (422 only)"},
    )


class ApiError(Exception):
    """A domain error the client can act on."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class NotFound(ApiError):
    status, slug, title = 404, "not-found", "Not found"


class Forbidden(ApiError):
    status, slug, title = 403, "forbidden", "Not allowed"


class PasswordChangeRequired(Forbidden):
    """The caller signed in with a temporary password set by an admin: until they choose
    their own (POST /me/password), nothing else is allowed."""

    slug, title = "password-change-required", "Password change required"


class Unauthorized(ApiError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Conflict(ApiError):
    status, slug, title = 409, "conflict", "Conflict"


class TooLarge(ApiError):
    status, slug, title = 413, "too-large", "Request too large"


class UnsupportedMediaType(ApiError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class TooManyRequests(ApiError):
    """429; ``retry_after`` (seconds) becomes the ``Retry-After`` header, which every 429
    carries, and a ``retry_after`` member of the body."""

    status, slug, title = 429, "too-many-requests", "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(detail, retry_after=self.retry_after)


class ServiceUnavailable(ApiError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"


class Invalid(ApiError):
    """422 with field errors: ``Invalid({"location": ["required for in_person"]})``."""

    status, slug, title = 422, "validation-error", "Invalid input"

    def __init__(self, errors: dict[str, Any], detail: str | None = None) -> None:
        super().__init__(detail or "The request has invalid fields; see errors.")
        self.errors = flatten_errors(errors)


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as ``{"a.b.0.c": ["msg", ...]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                path = prefix or "_schema"
            for sub_path, msgs in flatten_errors(value, path).items():
                flat.setdefault(sub_path, []).extend(msgs)
    elif isinstance(messages, (list, tuple)):
        if all(isinstance(m, str) for m in messages):
            flat[prefix or "_schema"] = list(messages)
        else:
            for msg in messages:
                for sub_path, msgs in flatten_errors(msg, prefix).items():
                    flat.setdefault(sub_path, []).extend(msgs)
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat


def problem(
    status: int, title: str, detail: str, slug: str | None = None, **extra: Any
) -> Response:
    body: dict[str, Any] = {
        "type": f"urn:doudi:problem:{slug}" if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    request_id = g.get("request_id") if g else None
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    return Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_MEDIA_TYPE
    )


def _handle_api_error(error: ApiError) -> Response:
    extra = dict(error.extra)
    if isinstance(error, Invalid):
        extra["errors"] = error.errors
    response = problem(error.status, error.title, error.detail, error.slug, **extra)
    if isinstance(error, Unauthorized):
        response.headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    # webargs (through flask-smorest) puts marshmallow's messages here, keyed by location.
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if messages is not None:
        if status == 400 and "json" in messages and _is_bad_json(messages["json"]):
            return problem(
                400, "Malformed JSON", "The request body is not valid JSON.", "malformed-json"
            )
        merged: dict[str, Any] = {}
        for location_messages in messages.values():
            if isinstance(location_messages, dict):
                merged.update(location_messages)
            else:
                merged.setdefault("_schema", []).extend(location_messages)
        return problem(
            422,
            "Invalid input",
            "The request has invalid fields; see errors.",
            "validation-error",
            errors=flatten_errors(merged),
        )
    detail = error.description or error.name
    if status == 413:
        detail = "The request body is larger than this endpoint accepts."
    response = problem(status, error.name, detail)
    if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
        response.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    if status == 429:
        # Every 429 says when to come back, whoever raised it.
        retry_after = getattr(error, "retry_after", None) or _DEFAULT_RETRY_AFTER
        response.headers["Retry-After"] = (
            http_date(retry_after) if isinstance(retry_after, datetime) else str(retry_after)
        )
    return response


def _is_bad_json(json_messages: Any) -> bool:
    return isinstance(json_messages, list) and any("Invalid JSON" in str(m) for m in json_messages)


def _handle_unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return _handle_http_exception(error)
    log.exception("unhandled error")
    return problem(
        500,
        "Internal server error",
        "Something went wrong on the server; quote the request id when reporting it.",
        "internal-error",
    )


def _handle_integrity_error(error: IntegrityError) -> Response:
    log.info("integrity error: %s", error.orig)
    return problem(
        409,
        "Conflict",
        "The change conflicts with data already stored (a duplicate or a missing reference).",
        "conflict",
    )


def _handle_data_error(error: DataError) -> Response:
    # A value the column cannot hold (an id past the integer range in a query, say): the
    # client's input, not a server fault.
    log.info("data error: %s", type(error.orig).__name__)
    return problem(
        422,
        "Invalid input",
        "A value is out of range or of the wrong kind for what it names.",
        "validation-error",
    )


def _handle_database_down(error: DBAPIError) -> Response:
    log.error("database error: %s", type(error.orig).__name__)
    return problem(
        503, "Service unavailable", "The database is not reachable; retry later.", "dependency-down"
    )


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, _handle_api_error)
    app.register_error_handler(IntegrityError, _handle_integrity_error)
    app.register_error_handler(DataError, _handle_data_error)
    app.register_error_handler(OperationalError, _handle_database_down)
    app.register_error_handler(InterfaceError, _handle_database_down)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)
