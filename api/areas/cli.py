from pathlib import Path

import click
from flask.cli import AppGroup

from api.areas.scope import SYSTEM, set_actor
from api.areas.services import import_feature_collection, read_geojson
from api.db import session
from api.errors import Invalid

areas_cli = AppGroup("areas", help="Manage the area tree.")


@areas_cli.command("import")
@click.argument("geojson_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(geojson_file: Path) -> None:
    """Import areas from a GeoJSON FeatureCollection (properties: code, name, level,
    parent_code)."""
    set_actor(None, SYSTEM)
    try:
        created, updated = import_feature_collection(read_geojson(geojson_file.read_bytes()))
    except Invalid as exc:
        session.rollback()
        raise click.ClickException(f"{exc.detail} {exc.errors}") from exc
    session.commit()
    click.echo(f"imported {len(created) + len(updated)} areas")
