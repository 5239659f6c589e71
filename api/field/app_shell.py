"""The field app's shell: the files its service worker keeps on the phone, and the
service worker itself, whose cache is named by a hash of those files.

A phone opens the app from its cache (offline, and fast on a bad network). The browser
checks ``/field/sw.js`` for changes at each load; since the cache name is the hash of
every shell file, any deployed change to them makes a new service worker, which caches
the new shell and drops the old one: the next load runs the new app (docs/field-app.md).
"""

from __future__ import annotations

import hashlib

from flask import Response

from api.common.pages import STATIC_DIR

FIELD_DIR = STATIC_DIR / "field"

# What the app needs to open with no network (URLs, and the files they are served from).
SHELL: tuple[tuple[str, str], ...] = (
    ("/field/", "field/index.html"),
    ("/static/common/base.css", "common/base.css"),
    ("/static/common/api.js", "common/api.js"),
    ("/static/common/forms.js", "common/forms.js"),
    ("/static/common/labels.js", "common/labels.js"),
    ("/static/common/shell.js", "common/shell.js"),
    ("/static/field/field.css", "field/field.css"),
    ("/static/field/store.js", "field/store.js"),
    ("/static/field/outbox.js", "field/outbox.js"),
    ("/static/field/app.js", "field/app.js"),
    ("/static/field/patrol.js", "field/patrol.js"),
    ("/static/field/manifest.webmanifest", "field/manifest.webmanifest"),
    ("/static/field/icon.svg", "field/icon.svg"),
    ("/static/field/icon-192.png", "field/icon-192.png"),
    ("/static/field/icon-512.png", "field/icon-512.png"),
)


def _shell_version() -> str:
    digest = hashlib.sha256()
    for _url, path in SHELL:
        digest.update(path.encode())
        digest.update((STATIC_DIR / path).read_bytes())
    digest.update((FIELD_DIR / "sw.js").read_bytes())
    return digest.hexdigest()[:16]


def _service_worker_text() -> str:
    urls = ",\n  ".join(f'"{url}"' for url, _path in SHELL)
    source = (FIELD_DIR / "sw.js").read_text(encoding="utf-8")
    return source.replace('"__VERSION__"', f'"{_shell_version()}"').replace('"__SHELL__"', urls)


def service_worker_response() -> Response:
    # Hashed at each request (a few hundred kilobytes, a millisecond): a deployed change
    # is never hidden behind a stale in-process copy.
    response = Response(_service_worker_text(), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/field/"
    return response
