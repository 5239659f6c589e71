"""The supervisors' page and the settings it needs.

The page itself holds no data (it is public, like any static file); every data call it
makes carries the signed-in user's token.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy import select

from api.areas.models import Area
from api.auth.permissions import public
from api.common.arguments import Blueprint
from api.common.labels import VOCABULARIES
from api.common.pages import PAGE_DOC, STATIC_DIR, page_response
from api.db import session

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
    map_credit = fields.String(
        metadata={"description": "What the map credits: its tiles and its data (settings)"}
    )
    timezone = fields.String()
    revisit_days_poverty_return_monitoring = fields.Integer()
    revisit_days_default = fields.Integer()


def map_credit(config: dict[str, Any]) -> str:
    """ "底图：…；数据：…": the tiles' credit (when there are tiles) and the data's, by
    default the county's civil-affairs bureau (民政局), named from the root of the tree."""
    data = config["MAP_DATA_CREDIT"]
    if not data:
        county = session.scalar(
            select(Area.name)
            .where(Area.parent_id.is_(None))
            .order_by(Area.id)
            .limit(1)
            # The county's name, for a town's supervisor too: the office that owns the data.
            .execution_options(skip_scope=True)
        )
        data = f"数据：{county}民政局" if county else ""
    tiles = config["MAP_TILE_CREDIT"] if config["MAP_TILE_URL"] else ""
    return "；".join(part for part in (tiles, data) if part)


@blp.route("/config")
class DashboardConfig(MethodView):
    @blp.response(200, DashboardConfigSchema)
    def get(self):
        """Settings the page needs: map tiles, zone, revisit cadences"""
        config = current_app.config
        return {
            "map_tile_url": config["MAP_TILE_URL"],
            "map_credit": map_credit(config),
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
