"""Doudi (兜底): the API of county social-assistance work.

``create_app(config)`` builds the Flask app: settings (``api.config``), the database
(``api.db``), the OpenAPI-documented blueprints of every domain, one error format
(``api.errors``), authentication on by default (``api.auth.permissions``), and the request
hooks below. The request owns the transaction: views and services only flush; the hook
commits once when the response is a success and rolls back otherwise.
"""

from __future__ import annotations

import importlib
import logging
import re
import threading
import uuid
from typing import Any

from flask import Flask, g, request
from flask.wrappers import Response
from flask_smorest import Api
from flask_smorest.pagination import PaginationMetadataSchema
from sqlalchemy.exc import DBAPIError, IntegrityError, PendingRollbackError
from werkzeug.middleware.proxy_fix import ProxyFix

from api import logs
from api.auth.permissions import current_view_method, install_request_auth
from api.common.arguments import INT_MAX, INT_MIN, Blueprint, GuardedJSONProvider
from api.common.replica import init_replica
from api.config import PROJECT_ROOT, load_config
from api.db import create_db_engine, init_db, session
from api.errors import (
    PROBLEM_MEDIA_TYPE,
    NotFound,
    ProblemSchema,
    TooLarge,
    UnsupportedMediaType,
    problem,
    register_error_handlers,
)
from api.jobs.schedule import start_in_process_scheduler
from api.migrate import db_cli

# Each domain package exposes ``register(api)``; the order is the order in the spec.
DOMAINS = (
    "api.health",
    "api.auth",
    "api.areas",
    "api.audit",
    "api.jobs",
    "api.visits",
    "api.photos",
    "api.rescue",
    "api.casework",
    "api.matching",
    "api.field",
    "api.dashboard",
    "api.demo",
)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
_BODY_METHODS = {"POST", "PUT", "PATCH"}


class DoudiApi(Api):
    """flask-smorest's Api, documenting what the service really sends: error bodies as
    ``application/problem+json`` in the problem shape, and ``X-Pagination`` as a header
    holding JSON."""

    ERROR_SCHEMA = ProblemSchema

    def register_blueprint(self, blp: Any, **options: Any) -> None:
        # Arguments reach views only through api.common.arguments' guarded parser.
        if not isinstance(blp, Blueprint):
            raise TypeError(f"{blp.name}: use api.common.arguments.Blueprint")
        super().register_blueprint(blp, **options)

    def _register_responses(self) -> None:
        content_type = self.DEFAULT_RESPONSE_CONTENT_TYPE
        self.DEFAULT_RESPONSE_CONTENT_TYPE = PROBLEM_MEDIA_TYPE
        try:
            super()._register_responses()
        finally:
            self.DEFAULT_RESPONSE_CONTENT_TYPE = content_type

    def _register_pagination_header(self) -> None:
        self.spec.components.header(
            "PAGINATION",
            {
                "description": "Pagination metadata (JSON)",
                "content": {"application/json": {"schema": PaginationMetadataSchema}},
            },
            lazy=True,
        )


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, static_folder=str(PROJECT_ROOT / "static"), static_url_path="/static")
    app.config.update(load_config(config))
    app.config.update(
        API_TITLE="Doudi 兜底 social-assistance API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/static/vendor/swagger-ui/",
        JSON_SORT_KEYS=False,
    )
    app.json = GuardedJSONProvider(app)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"], x_proto=app.config["TRUSTED_PROXIES"]
        )
    logs.configure(app)

    engine = create_db_engine(app.config["DATABASE_URL"], app.config["SPATIALITE_LIBRARY_PATH"])
    app.extensions["doudi.engine"] = engine
    init_db(engine)
    init_replica(app)

    api = DoudiApi(
        app,
        spec_kwargs={
            "security": [{"bearerAuth": []}],
            "info": {"description": "See README.md and ../shared/API.md for the contract."},
        },
    )
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "Access token"}
    )
    for name in DOMAINS:
        importlib.import_module(name).register(api)

    app.cli.add_command(db_cli)
    register_error_handlers(app)
    _install_request_hooks(app)
    install_request_auth(app)
    _install_commit_hooks(app)
    if app.config["JOBS_IN_PROCESS"]:
        _start_in_process_scheduler_on_first_request(app)
    return app


def _install_request_hooks(app: Flask) -> None:
    @app.before_request
    def _request_id_and_body_checks() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        # Ids are INTEGER columns: a larger one in the path names nothing (404), rather
        # than reaching the database as an out-of-range error.
        if any(
            isinstance(value, int) and not INT_MIN <= value <= INT_MAX
            for value in (request.view_args or {}).values()
        ):
            raise NotFound("No such record.")
        if request.method not in _BODY_METHODS:
            return
        has_body = bool(request.content_length) or "chunked" in request.headers.get(
            "Transfer-Encoding", ""
        )
        if not has_body:
            return
        _owner, method = current_view_method()
        accepted = getattr(method, "accepted_media_types", None) or {"application/json"}
        if request.mimetype not in accepted:
            raise UnsupportedMediaType(
                f"This endpoint takes {', '.join(sorted(accepted))}, not "
                f"{request.mimetype or 'an unlabelled body'}."
            )
        is_json = request.mimetype == "application/json"
        limit = app.config["JSON_MAX_BYTES" if is_json else "MAX_CONTENT_LENGTH"]
        what = "JSON bodies" if is_json else "Bodies"
        own_limit = getattr(method, "body_limit_setting", None)
        # A view's own limit: smaller (the public form), or larger for files (a list).
        if own_limit is not None and (app.config[own_limit] < limit or not is_json):
            limit, what = app.config[own_limit], "Bodies here"
            request.max_content_length = limit
        if (request.content_length or 0) > limit:
            raise TooLarge(f"{what} are limited to {limit} bytes.")
        if request.content_length is None:
            # A chunked body declares no length. Werkzeug cuts it at max_content_length
            # without a word (a cut JSON body could even parse), so read one byte past the
            # limit to tell.
            request.max_content_length = limit + 1
            if len(request.get_data(cache=True)) > limit:
                raise TooLarge(f"{what} are limited to {limit} bytes.")

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if "read_source" in g:
            response.headers["X-Read-Source"] = g.read_source
        total = g.get("total_count")
        if total is not None:
            response.headers["X-Total-Count"] = str(total)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.path.startswith("/api/"):
            # Records of vulnerable people must not sit in shared caches.
            response.headers.setdefault("Cache-Control", "private, no-store")
        logging.getLogger("api.request").info(
            "%s %s %s", request.method, request.path, response.status_code
        )
        return response


def _install_commit_hooks(app: Flask) -> None:
    @app.after_request
    def _commit_or_rollback(response: Response) -> Response:
        if g.get("stream_owns_session"):
            if response.is_streamed:
                return response  # api.common.streaming commits when the body has been sent
            g.stream_owns_session = False  # an error answer replaced the stream
        # commit_on_error keeps what a refused request must leave (a failed login attempt);
        # a 5xx answer means the request itself failed: nothing of it is kept.
        keep_on_error = g.get("commit_on_error") and response.status_code < 500
        if response.status_code < 400 or keep_on_error:
            try:
                session.commit()
            except PendingRollbackError:
                # A flush failed earlier and its error is this answer already: there is
                # nothing to commit. (A success answer over a failed flush would be a bug.)
                session.rollback()
                if response.status_code < 400:
                    raise
            except IntegrityError:
                session.rollback()
                logging.getLogger(__name__).exception("commit refused by a constraint")
                return problem(
                    409,
                    "Conflict",
                    "The change conflicts with data stored meanwhile; retry.",
                    "conflict",
                )
            except DBAPIError:
                session.rollback()
                logging.getLogger(__name__).exception("commit failed")
                return problem(
                    503,
                    "Service unavailable",
                    "The database is not reachable; retry later.",
                    "dependency-down",
                )
        else:
            session.rollback()
        return response

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        if not g.get("stream_owns_session"):
            session.remove()


def _start_in_process_scheduler_on_first_request(app: Flask) -> None:
    started = threading.Event()

    @app.before_request
    def _start_scheduler() -> None:
        if started.is_set() or app.testing:
            return
        started.set()
        start_in_process_scheduler(app)
