"""``flask coverage …``: the coverage summary's command-line tools."""

import click
from flask.cli import AppGroup

from api.areas.scope import SYSTEM, set_actor
from api.db import session
from api.visits.coverage import summary

coverage_cli = AppGroup("coverage", help="The coverage summary (coverage_months).")


@coverage_cli.command("rebuild")
def rebuild_command() -> None:
    """Recompute the summary of every ended month from the visits and households (after
    data was written around the API, or COUNTY_TIMEZONE or REVISIT_DAYS_* changed)."""
    set_actor(None, SYSTEM)
    months = summary.rebuild()
    session.commit()
    click.echo(f"coverage summary rebuilt: {months} months")


@coverage_cli.command("close-months")
def close_months_command() -> None:
    """Add the months that have ended since the last closed one (the hourly job does it)."""
    set_actor(None, SYSTEM)
    months = summary.close_months()
    session.commit()
    click.echo(f"coverage summary: {months} months closed")
