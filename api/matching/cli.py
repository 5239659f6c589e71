"""``flask lists``: import a department's list from a file, load the sample sources, purge."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from api.areas.models import Area
from api.areas.scope import SYSTEM, set_actor
from api.db import session
from api.errors import ApiError
from api.matching import demo, imports, services

lists_cli = AppGroup("lists", help="Department lists (数据比对): import, sources, purge.")


def _area_id(code: str | None) -> int | None:
    if code is None:
        return None
    area_id = session.scalar(select(Area.id).where(Area.code == code))
    if area_id is None:
        raise click.ClickException(f"no area with code {code}")
    return area_id


@lists_cli.command("import")
@click.argument("source_code")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--area", "area_code", help="Code of the area the list covers (default: county).")
def import_command(source_code: str, file: Path, area_code: str | None) -> None:
    """Import FILE as a list of source SOURCE_CODE and match it now (the follow-up tasks
    are made by the workers, as for an upload)."""
    set_actor(None, SYSTEM)
    area_id = _area_id(area_code) or session.scalar(
        select(Area.id).where(Area.parent_id.is_(None)).order_by(Area.id)
    )
    try:
        upload = services.import_file(SYSTEM, source_code, file, area_id)
    except ApiError as exc:
        session.rollback()
        raise click.ClickException(f"{exc.detail} {getattr(exc, 'errors', '') or ''}") from exc
    session.commit()
    status = imports.run_import(upload.id)
    session.commit()
    click.echo(
        f"list #{upload.id} {status}: {upload.rows_done} rows, {upload.rows_matched} matched, "
        f"{upload.rows_review} for review, {upload.rows_unmatched} unmatched, "
        f"{upload.rows_bad} bad; {upload.warnings_raised} warnings, {upload.leads_made} leads"
    )


@lists_cli.command("sources")
def sources_command() -> None:
    """Define the sample sources (api/matching/samples) for the county, once."""
    set_actor(None, SYSTEM)
    made = demo.load_sources()
    session.commit()
    click.echo(f"{len(made)} sources defined")


@lists_cli.command("purge")
@click.option("--days", type=int, help="Retention in days (default MATCHING_ROW_RETENTION_DAYS).")
def purge_command(days: int | None) -> None:
    """Remove raw rows and files of lists past the retention period (outcomes stay)."""
    set_actor(None, SYSTEM)
    purged = services.purge_expired(days)
    session.commit()
    click.echo(f"{purged} lists purged")
