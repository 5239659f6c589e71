"""The schema is built by Alembic on both back ends, and can be taken down and up again."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import api.models  # noqa: F401
from api.audit.partitions import is_partition
from api.db import Base
from api.migrate import downgrade, include_object, upgrade
from tests.databases import BACKENDS, empty_engine


def _app_tables(engine):
    ignore = {"spatial_ref_sys", "alembic_version"}
    return {
        name
        for name in inspect(engine).get_table_names()
        if name not in ignore
        and not name.startswith(("idx_", "geometry_", "spatial", "sql", "views_", "virts_"))
        and name not in {"data_licenses", "ElementaryGeometries", "KNN", "KNN2", "SpatialIndex"}
        and not is_partition(name)
    }


def _up_down_up(engine):
    expected = set(Base.metadata.tables)
    with engine.begin() as conn:
        upgrade(conn)
    assert _app_tables(engine) == expected
    with engine.begin() as conn:
        downgrade(conn, "base")
    assert _app_tables(engine) == set()
    with engine.begin() as conn:
        upgrade(conn)
    assert _app_tables(engine) == expected


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_downgrade_upgrade(backend, tmp_path):
    with empty_engine(backend, tmp_path) as engine:
        _up_down_up(engine)


def test_postgis_schema_matches_the_models(tmp_path):
    with empty_engine("postgresql", tmp_path) as engine, engine.begin() as conn:
        upgrade(conn)
        context = MigrationContext.configure(
            conn,
            opts={"include_object": include_object, "compare_type": True},
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], "models and migrations differ: add a migration"
