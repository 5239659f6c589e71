"""The Flask app a worker process uses, created once per process, never at import time."""

from __future__ import annotations

from flask import Flask

_app: Flask | None = None


def get_app() -> Flask:
    global _app
    if _app is None:
        from api import create_app

        _app = create_app()
    return _app


def use_app(app: Flask) -> None:
    """Run jobs against ``app`` (the worker entry point, the in-process runner, tests)."""
    global _app
    _app = app
