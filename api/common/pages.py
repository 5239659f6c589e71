"""The pages Doudi serves (static/<page>/index.html): one way to answer them.

A page holds no data (it is public, like any static file); every data call it makes
carries the signed-in user's token. `no-cache` makes a browser ask again each time, so a
deployed change reaches everyone at their next load (the field app's service worker has its
own update path: docs/field-app.md).
"""

from __future__ import annotations

from pathlib import Path

from flask import Response, send_from_directory

from api.config import PROJECT_ROOT

STATIC_DIR = PROJECT_ROOT / "static"

# For @blp.doc(**PAGE_DOC) on a page's view.
PAGE_DOC = {
    "security": [],
    "responses": {"200": {"description": "The page (HTML)", "content": {"text/html": {}}}},
}


def page_response(directory: Path, filename: str = "index.html") -> Response:
    response = send_from_directory(directory, filename, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response
