"""Dates and days in the county's zone (COUNTY_TIMEZONE, Asia/Shanghai).

Times are stored in UTC; due dates, report periods, stays and campaign days are county
calendar dates. ``zone`` may be given (a name or a ZoneInfo); by default it is the
configured county zone, or Asia/Shanghai outside an app context.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from api.db import utcnow

Zone = ZoneInfo | str | None


def county_zone(zone: Zone = None) -> ZoneInfo:
    if isinstance(zone, ZoneInfo):
        return zone
    if zone:
        return ZoneInfo(zone)
    return ZoneInfo(current_app.config["COUNTY_TIMEZONE"] if has_app_context() else "Asia/Shanghai")


def local_date(moment: datetime, zone: Zone = None) -> date:
    return moment.astimezone(county_zone(zone)).date()


def local_today(zone: Zone = None) -> date:
    return local_date(utcnow(), zone)


def local_midnight(day: date, zone: Zone = None) -> datetime:
    """The instant ``day`` begins in the county (an aware datetime)."""
    return datetime.combine(day, time.min, tzinfo=county_zone(zone))


def local_day_bounds(day: date, zone: Zone = None) -> tuple[datetime, datetime]:
    """[start, end) of a county calendar day."""
    start = local_midnight(day, zone)
    return start, local_midnight(day + timedelta(days=1), zone)
