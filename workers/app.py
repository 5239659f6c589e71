"""The Flask app jobs run in: the current one, else the worker process's own, created
once per process, never at import time."""

from __future__ import annotations

from flask import Flask, current_app, has_app_context

_app: Flask | None = None


def get_app() -> Flask:
    # In a request, the in-process runner (api.jobs.queue) or a test there is an app already.
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    global _app
    if _app is None:
        from api import create_app

        _app = create_app()
    return _app


def use_app(app: Flask) -> None:
    """Run jobs outside any app context against ``app`` (the worker entry point, tests)."""
    global _app
    _app = app
