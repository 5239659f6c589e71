"""The supervisors' page is served without data; its config endpoint needs a token."""

from __future__ import annotations

import re

import pytest

from api.config import PROJECT_ROOT
from tests import factories


@pytest.mark.parametrize("path", ["/", "/dashboard"])
def test_page_is_served_without_a_token(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "走访督导" in response.get_data(as_text=True)


def test_page_loads_leaflet_from_this_server(client):
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/static/vendor/leaflet/leaflet.css").status_code == 200
    assert client.get("/static/dashboard/dashboard.js").status_code == 200


def test_page_loads_nothing_from_other_hosts():
    for name in ("index.html", "dashboard.js", "dashboard.css"):
        text = (PROJECT_ROOT / "static" / "dashboard" / name).read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=[\"']?(https?:)?//", text), name
        assert "cdn" not in text.lower(), name


def test_config_needs_a_token(client):
    assert client.get("/api/v1/dashboard/config").status_code == 401


def test_config_has_no_tiles_by_default(client, areas):
    headers = factories.headers_for(factories.user("supervisor", areas.county))
    body = client.get("/api/v1/dashboard/config", headers=headers).json
    assert body["map_tile_url"] == ""
    assert body["timezone"] == "Asia/Shanghai"


def test_config_passes_the_tile_setting(client, areas, app):
    headers = factories.headers_for(factories.user("supervisor", areas.county))
    app.config["MAP_TILE_URL"] = "https://tiles.example/{z}/{x}/{y}.png"
    try:
        body = client.get("/api/v1/dashboard/config", headers=headers).json
    finally:
        app.config["MAP_TILE_URL"] = ""
    assert body["map_tile_url"] == "https://tiles.example/{z}/{x}/{y}.png"


def test_the_map_credits_the_county_office_and_the_tiles(client, areas, app):
    headers = factories.headers_for(factories.user("supervisor", areas.town_a))
    body = client.get("/api/v1/dashboard/config", headers=headers).json
    assert body["map_credit"] == f"数据：{areas.county.name}民政局"  # a town's page names it too
    app.config.update(
        MAP_TILE_URL="https://tiles.example/{z}/{x}/{y}.png",
        MAP_TILE_CREDIT="底图：天地图",
        MAP_DATA_CREDIT="数据：翁源县民政局、各镇社会事务办",
    )
    try:
        body = client.get("/api/v1/dashboard/config", headers=headers).json
    finally:
        app.config.update(MAP_TILE_URL="", MAP_TILE_CREDIT="", MAP_DATA_CREDIT="")
    assert body["map_credit"] == "底图：天地图；数据：翁源县民政局、各镇社会事务办"
