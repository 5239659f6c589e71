"""The admins' page (static/desk/admin): accounts, areas, programme standards, failed
jobs, the audit log. It holds no data; every call it makes carries the admin's token."""

from __future__ import annotations

from flask.views import MethodView

from api.auth.permissions import public
from api.common.arguments import Blueprint
from api.common.pages import PAGE_DOC, STATIC_DIR, page_response

PAGE_DIR = STATIC_DIR / "desk" / "admin"

page_blp = Blueprint("admin_page", __name__, description="The admins' page")


@page_blp.route("/desk/admin/")
@public
class AdminPage(MethodView):
    @page_blp.doc(**PAGE_DOC)
    def get(self):
        """The admins' page"""
        return page_response(PAGE_DIR)
