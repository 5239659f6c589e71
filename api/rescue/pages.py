"""The rescue centre's desk page (static/desk/rescue/): residents, family tracing, open
days, campaigns and the patrol map, street people and the staff's own tasks.

The page holds no data; every call it makes carries the signed-in user's token, and the
API's walls (RESCUE_ROLES) decide what it shows.
"""

from __future__ import annotations

from flask.views import MethodView

from api.auth.permissions import public
from api.common.arguments import Blueprint
from api.common.pages import PAGE_DOC, STATIC_DIR, page_response

PAGE_DIR = STATIC_DIR / "desk" / "rescue"

page_blp = Blueprint("rescue_desk_page", __name__, description="The rescue centre's desk page")


@page_blp.route("/desk/rescue/")
@public
class RescueDesk(MethodView):
    @page_blp.doc(**PAGE_DOC)
    def get(self):
        """The rescue centre's desk page"""
        return page_response(PAGE_DIR)
