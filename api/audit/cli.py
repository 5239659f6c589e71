"""``flask audit …``: the audit log's monthly partitions on PostgreSQL, for operators."""

import click
from flask.cli import AppGroup
from sqlalchemy import text

from api.areas.scope import SYSTEM, set_actor
from api.audit import partitions
from api.db import session

audit_cli = AppGroup("audit", help="The audit log.")


@audit_cli.command("partitions")
@click.option(
    "--keep",
    is_flag=True,
    help="First do what the hourly job does: make the coming months, drop expired ones.",
)
def partitions_command(keep: bool) -> None:
    """List the log's partitions, oldest first, with their rows (the planner's estimate),
    and the rows the default partition holds."""
    if session.get_bind().dialect.name != "postgresql":
        click.echo("The audit log is one table on this database (SQLite): no partitions.")
        return
    set_actor(None, SYSTEM)
    if keep:
        done = partitions.keep_monthly_partitions()
        session.commit()
        click.echo(f"made: {', '.join(done['made']) or 'none'}")
        click.echo(f"dropped: {', '.join(done['dropped']) or 'none'}")
    found = partitions.partitions()
    estimates = dict(
        session.execute(
            text("SELECT relname, reltuples FROM pg_class WHERE relname = ANY(:names)"),
            {"names": [p.name for p in found]},
        ).all()
    )
    for partition in found:
        start = partition.start.date().isoformat() if partition.start else "the beginning"
        rows = estimates.get(partition.name, -1)
        counted = f"≈ {int(rows):,} rows" if rows >= 0 else "rows not yet counted (no ANALYZE)"
        click.echo(f"{partition.name}: {start} to {partition.end.date().isoformat()}, {counted}")
    waiting = session.scalar(text(f"SELECT count(*) FROM {partitions.DEFAULT}"))  # noqa: S608
    click.echo(f"{partitions.DEFAULT}: {waiting:,} rows waiting for their month's partition")
