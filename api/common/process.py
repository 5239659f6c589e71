"""Garbage-collector settings for the long-running processes (gunicorn and RQ workers).

A full collection walks every object the collector tracks. After start-up an API process
holds about 200,000 of them (mappers, schemas, the OpenAPI spec) that live as long as the
process, and each full collection stopped a request for 100-140 ms: the tail of the search
benchmark (bench/README.md). ``gc.freeze()`` moves them to a generation the collector never
walks. A request also allocates tens of thousands of short-lived containers (ORM rows,
dicts), so the youngest generation is collected every 10,000 allocations instead of 700.
"""

from __future__ import annotations

import gc

YOUNG_GENERATION_THRESHOLD = 10_000


def settle_after_start_up() -> None:
    """Call once the app is built, before serving."""
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
