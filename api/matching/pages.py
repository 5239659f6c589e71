"""The data-matching desk page (static/desk/matching/): upload a department's list and
follow its import, work the review queue, see the warnings and their tasks, the sources.

The page holds no data; every call it makes carries the signed-in user's token, and the
API's walls (supervisors and admins of the area) decide what it shows.
"""

from __future__ import annotations

from flask.views import MethodView

from api.auth.permissions import public
from api.common.arguments import Blueprint
from api.common.pages import PAGE_DOC, STATIC_DIR, page_response

PAGE_DIR = STATIC_DIR / "desk" / "matching"

page_blp = Blueprint("matching_desk_page", __name__, description="The data-matching desk page")


@page_blp.route("/desk/matching/")
@public
class MatchingDesk(MethodView):
    @page_blp.doc(**PAGE_DOC)
    def get(self):
        """The data-matching desk page"""
        return page_response(PAGE_DIR)
