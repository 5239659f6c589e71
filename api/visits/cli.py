"""``flask households …``: the register's command-line tools."""

import click
from flask.cli import AppGroup

from api.areas.scope import SYSTEM, set_actor
from api.db import session
from api.visits import services
from api.visits.models import RECONCILIATION_PROBLEMS

households_cli = AppGroup("households", help="The household register.")


@households_cli.command("reconcile-report")
@click.option("--problem", type=click.Choice(RECONCILIATION_PROBLEMS), help="only this kind")
def reconcile_report_command(problem: str | None) -> None:
    """Print what migration 0018 could not carry over as it was (heads that disagreed,
    unknown relation words, ID numbers against typed sex or birth year), per household."""
    set_actor(None, SYSTEM)
    findings = services.reconciliation_report(problem)
    for finding, area_name in findings:
        member = f" member {finding.member_id}" if finding.member_id else ""
        click.echo(
            f"household {finding.household_id} ({area_name}){member} "
            f"[{finding.problem}] {finding.detail}"
        )
    click.echo(f"{len(findings)} findings")


@households_cli.command("copy-member-areas")
def copy_member_areas_command() -> None:
    """Rewrite each member's area_id from its household's (the copy that name search
    starts from); prints how many members were out of step."""
    set_actor(None, SYSTEM)
    changed = services.copy_member_areas()
    session.commit()
    click.echo(f"{changed} members rewritten")
