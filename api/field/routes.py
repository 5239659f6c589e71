"""What the field app (the phones) needs beyond the other endpoints: delta sync of the
caller's households and open tasks, and the form definitions (docs/field-app.md)."""

from __future__ import annotations

import gzip

from flask import Response, g, request
from flask.views import MethodView

from api.auth.permissions import public, require_roles
from api.common.arguments import Blueprint
from api.common.pages import PAGE_DOC, page_response
from api.field import app_shell, forms, sync
from api.field.schemas import FormSchema, HouseholdSyncSchema, SyncQuerySchema, TaskSyncSchema
from api.rescue.patrols.routes import WRITERS as PATROL_WRITERS
from api.visits.routes import FIELD_ROLES

sync_blp = Blueprint(
    "sync",
    __name__,
    url_prefix="/api/v1/sync",
    description="Delta sync for the field app: the caller's households and open tasks",
)
page_blp = Blueprint("field_page", __name__, description="The field app (phones, offline)")
forms_blp = Blueprint(
    "forms",
    __name__,
    url_prefix="/api/v1/forms",
    description="Form definitions for the field app, generated from the server's schemas",
)


@sync_blp.after_request
@forms_blp.after_request
def _gzip_if_accepted(response: Response) -> Response:
    """Phones on a slow network: a JSON answer is sent gzip-compressed when the client
    accepts it (nothing in front of the app is assumed to compress)."""
    response.vary.add("Accept-Encoding")
    if (
        response.direct_passthrough
        or response.status_code < 200
        or response.status_code in (204, 304)
        or "Content-Encoding" in response.headers
        or not request.accept_encodings["gzip"]
    ):
        return response
    response.set_data(gzip.compress(response.get_data(), compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    return response


@sync_blp.route("/households")
class SyncHouseholds(MethodView):
    @require_roles(*FIELD_ROLES)
    @sync_blp.arguments(SyncQuerySchema, location="query")
    @sync_blp.response(200, HouseholdSyncSchema)
    def get(self, args):
        """The caller's households (with members) changed since the cursor; tombstones"""
        return sync.households_page(args.get("cursor"), args["limit"])


@sync_blp.route("/tasks")
class SyncTasks(MethodView):
    @sync_blp.arguments(SyncQuerySchema, location="query")
    @sync_blp.response(200, TaskSyncSchema)
    def get(self, args):
        """The caller's open tasks changed since the cursor; tombstones"""
        return sync.tasks_page(g.actor, args.get("cursor"), args["limit"])


def _form(name: str) -> Response | dict:
    definition = forms.FORMS[name]()
    g.form_etag = definition["version"]
    if request.if_none_match.contains_weak(definition["version"]):
        return Response(status=304)
    return definition


@forms_blp.after_request
def _cacheable(response: Response) -> Response:
    # A form holds no personal data: the phone may keep it and revalidate by ETag (weak:
    # the same definition is sent plain or gzip-compressed).
    etag = g.pop("form_etag", None)
    if etag is not None:
        response.set_etag(etag, weak=True)
    if response.status_code in (200, 304):
        response.headers["Cache-Control"] = "private, no-cache"
    return response


@forms_blp.route("/visit")
class VisitForm(MethodView):
    @require_roles(*FIELD_ROLES)
    @forms_blp.response(200, FormSchema)
    @forms_blp.alt_response(304, description="the phone's copy is current (If-None-Match)")
    def get(self):
        """The visit form: fields, Chinese labels, choices, limits and rules"""
        return _form("visit")


@forms_blp.route("/encounter")
class EncounterForm(MethodView):
    @require_roles(*PATROL_WRITERS)
    @forms_blp.response(200, FormSchema)
    @forms_blp.alt_response(304, description="the phone's copy is current (If-None-Match)")
    def get(self):
        """The form of a person met on patrol: fields, Chinese labels, choices, limits, rules"""
        return _form("encounter")


@forms_blp.route("/household")
class HouseholdForm(MethodView):
    @require_roles(*FIELD_ROLES)
    @forms_blp.response(200, FormSchema)
    @forms_blp.alt_response(304, description="the phone's copy is current (If-None-Match)")
    def get(self):
        """The household registration form: fields, Chinese labels, choices and limits"""
        return _form("household")


@page_blp.route("/field/")
@public
class FieldApp(MethodView):
    @page_blp.doc(**PAGE_DOC)
    def get(self):
        """The field app (outreach workers and patrol teams, on their phones)"""
        return page_response(app_shell.FIELD_DIR)


SERVICE_WORKER_ANSWER = {"description": "The service worker", "content": {"text/javascript": {}}}


@page_blp.route("/field/sw.js")
@public
class FieldServiceWorker(MethodView):
    @page_blp.doc(
        security=[],
        responses={
            "200": {"description": "The service worker", "content": {"text/javascript": {}}}
        },
    )
    def get(self):
        """The field app's service worker (scope /field/), its cache named by the shell's hash"""
        return app_shell.service_worker_response()
