"""Alembic environment for both back ends (PostGIS and SpatiaLite).

GeoAlchemy2's alembic helpers render and compare geometry columns and spatial indexes;
SQLite runs in batch mode (it cannot ALTER most things in place). The URL comes from
``-x url=...``, a connection handed in by ``api.migrate`` (tests), or DATABASE_URL.
"""

from alembic import context
from geoalchemy2 import alembic_helpers

import api.models  # noqa: F401  (imports every model onto Base.metadata)
from api.config import load_config
from api.db import Base, UTCDateTime, create_db_engine
from api.migrate import include_object

config = context.config
target_metadata = Base.metadata


def _render_item(type_, obj, autogen_context):
    # Migrations must not import app code: UTCDateTime is a timestamptz to the database.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return alembic_helpers.render_item(type_, obj, autogen_context)


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=_render_item,
        compare_type=True,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or load_config()["DATABASE_URL"]
    engine = create_db_engine(url)
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) mode is not supported: run against a database")
run_migrations_online()
