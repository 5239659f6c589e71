"""Schema migrations (Alembic) from Python and from ``flask db``.

Each domain keeps its own branch of revisions on top of the platform's ``0001`` (so domains
can change their tables independently); ``heads`` means all of them.
"""

from __future__ import annotations

import click
from alembic import command
from alembic.config import Config
from flask import current_app
from flask.cli import AppGroup
from geoalchemy2 import alembic_helpers
from sqlalchemy import Connection

from api.audit.partitions import is_partition
from api.config import PROJECT_ROOT


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """What autogenerate compares: GeoAlchemy2's choice, less the audit log's partitions
    (tables to the database, one model to the application: migration 0029)."""
    if type_ == "table" and reflected and compare_to is None and is_partition(name):
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def upgrade(connection: Connection, revision: str = "heads") -> None:
    command.upgrade(alembic_config(connection), revision)


def downgrade(connection: Connection, revision: str = "base") -> None:
    command.downgrade(alembic_config(connection), revision)


db_cli = AppGroup("db", help="Database schema.")


@db_cli.command("upgrade")
@click.argument("revision", default="heads")
def upgrade_command(revision: str) -> None:
    """Migrate the database to REVISION (default: every domain's head)."""
    engine = current_app.extensions["doudi.engine"]
    with engine.begin() as connection:
        upgrade(connection, revision)


@db_cli.command("downgrade")
@click.argument("revision")
def downgrade_command(revision: str) -> None:
    """Migrate the database down to REVISION (``base`` empties it)."""
    engine = current_app.extensions["doudi.engine"]
    with engine.begin() as connection:
        downgrade(connection, revision)
