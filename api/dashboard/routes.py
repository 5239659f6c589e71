"""The supervisors' page and the settings it needs.

The page itself holds no data (it is public, like any static file); every data call it
makes carries the signed-in user's token.
"""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields

from api.auth.permissions import public
from api.common.arguments import Blueprint
from api.common.labels import VOCABULARIES
from api.common.pages import PAGE_DOC, STATIC_DIR, page_response

PAGE_DIR = STATIC_DIR / "dashboard"

page_blp = Blueprint("dashboard_page", __name__, description="The supervisors' page")
blp = Blueprint(
    "dashboard", __name__, url_prefix="/api/v1/dashboard", description="Supervisors' page"
)


@page_blp.route("/")
@public
class Root(MethodView):
    @page_blp.doc(**PAGE_DOC)
    def get(self):
        """The supervisors' page"""
        return page_response(PAGE_DIR)


@page_blp.route("/dashboard")
@public
class Dashboard(MethodView):
    @page_blp.doc(**PAGE_DOC)
    def get(self):
        """The supervisors' page (same as /)"""
        return page_response(PAGE_DIR)


class DashboardConfigSchema(Schema):
    map_tile_url = fields.String(
        metadata={"description": "Tile URL template; empty: draw on a plain background"}
    )
    timezone = fields.String()
    revisit_days_poverty_return_monitoring = fields.Integer()
    revisit_days_default = fields.Integer()


@blp.route("/config")
class DashboardConfig(MethodView):
    @blp.response(200, DashboardConfigSchema)
    def get(self):
        """Settings the page needs: map tiles, zone, revisit cadences"""
        config = current_app.config
        return {
            "map_tile_url": config["MAP_TILE_URL"],
            "timezone": config["COUNTY_TIMEZONE"],
            "revisit_days_poverty_return_monitoring": config[
                "REVISIT_DAYS_POVERTY_RETURN_MONITORING"
            ],
            "revisit_days_default": config["REVISIT_DAYS_DEFAULT"],
        }


# {vocabulary: {code: label}}, one field per vocabulary so that the spec names them.
LabelsSchema = Schema.from_dict(
    {name: fields.Dict(keys=fields.String(), values=fields.String()) for name in VOCABULARIES},
    name="LabelsSchema",
)


labels_blp = Blueprint(
    "labels", __name__, url_prefix="/api/v1/labels", description="Chinese labels of codes"
)


@labels_blp.route("")
class Labels(MethodView):
    @labels_blp.response(200, LabelsSchema)
    def get(self):
        """Every vocabulary's Chinese labels: {vocabulary: {code: label}}"""
        return VOCABULARIES
