"""The sample sources (``samples/sources.json``): three real list kinds with sample files
(medical insurance's large bills in GBK, new disability certificates in XLSX, deaths in
UTF-8) and unemployment registration; defined by ``flask demo seed`` and
``flask lists sources``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from api.areas.models import Area
from api.db import session
from api.matching.models import Source

SAMPLES = Path(__file__).resolve().parent / "samples"


def definitions() -> list[dict[str, Any]]:
    return json.loads((SAMPLES / "sources.json").read_text(encoding="utf-8"))


def load_sources(county_id: int | None = None) -> list[Source]:
    """Define the sample sources for the county (the one root area), skipping codes that
    exist. Returns the sources made."""
    if county_id is None:
        county_id = session.scalar(
            select(Area.id).where(Area.parent_id.is_(None)).order_by(Area.id)
        )
    made = []
    for definition in definitions():
        fields = {k: v for k, v in definition.items() if k != "sample"}
        if session.scalar(select(Source.id).where(Source.code == fields["code"])) is not None:
            continue
        source = Source(area_id=county_id, **fields)
        session.add(source)
        made.append(source)
    session.flush()
    return made


def seed(context: dict[str, Any]) -> None:
    load_sources(context["areas"].county.id)
