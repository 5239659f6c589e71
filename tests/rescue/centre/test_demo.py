"""The demo seeders of the centre and tracing run on PostGIS too."""

from sqlalchemy import select

from api.casework.tracing.models import TracingCase
from api.casework.tracing.services import long_stay_residents
from api.common.county_time import local_today
from api.demo.cli import seed_demo
from api.rescue.centre.models import OpenDayEvent


def test_demo_has_long_stays_cases_at_every_status_and_an_open_day(db):
    assert seed_demo() is True
    db.flush()
    assert len(long_stay_residents(local_today(), 90)) >= 4
    statuses = set(db.scalars(select(TracingCase.status)))
    assert len(statuses) == 7
    held = db.scalars(select(OpenDayEvent.held_on)).all()
    assert any((d.month, d.day) == (6, 19) and d <= local_today() for d in held)
