"""The field app's page and service worker (api/field/app_shell.py): served without a
token, the worker's cache named after the shell's files so that a change reaches phones."""

from __future__ import annotations

import re

import pytest

from api.common.pages import STATIC_DIR
from api.field import app_shell


def test_page_is_served_without_a_token(client):
    response = client.get("/field/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "兜底外勤" in response.get_data(as_text=True)


def test_service_worker_lists_the_shell_and_may_control_the_app(client):
    response = client.get("/field/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/field/"
    assert response.headers["Cache-Control"] == "no-cache"
    text = response.get_data(as_text=True)
    assert "__VERSION__" not in text and "__SHELL__" not in text
    for url, _path in app_shell.SHELL:
        assert f'"{url}"' in text
        assert client.get(url).status_code == 200, url


def test_every_script_and_sheet_of_the_page_is_in_the_shell():
    # A file the page loads but the worker does not keep would break the app offline.
    html = (STATIC_DIR / "field" / "index.html").read_text(encoding="utf-8")
    loaded = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html))
    assert loaded <= {url for url, _path in app_shell.SHELL}


def test_a_changed_shell_file_is_a_new_service_worker(client, monkeypatch, tmp_path):
    before = re.search(r'VERSION = "(\w+)"', client.get("/field/sw.js").get_data(as_text=True))
    (tmp_path / "field").mkdir()
    for _url, path in app_shell.SHELL:
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((STATIC_DIR / path).read_bytes())
    (tmp_path / "field" / "sw.js").write_bytes((STATIC_DIR / "field" / "sw.js").read_bytes())
    monkeypatch.setattr(app_shell, "STATIC_DIR", tmp_path)
    monkeypatch.setattr(app_shell, "FIELD_DIR", tmp_path / "field")
    same = re.search(r'VERSION = "(\w+)"', client.get("/field/sw.js").get_data(as_text=True))
    assert same.group(1) == before.group(1)
    with (tmp_path / "field" / "app.js").open("a") as script:
        script.write("\n// a fix\n")
    after = re.search(r'VERSION = "(\w+)"', client.get("/field/sw.js").get_data(as_text=True))
    assert after.group(1) != before.group(1)


@pytest.mark.parametrize("name", ["index.html", "app.js", "outbox.js", "patrol.js", "store.js"])
def test_the_app_loads_nothing_from_other_hosts(name):
    text = (STATIC_DIR / "field" / name).read_text(encoding="utf-8")
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", text), name
    assert "cdn" not in text.lower(), name
