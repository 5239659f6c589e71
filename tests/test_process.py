"""The production entry point: start-up objects left out of the garbage collector's walks,
and only what serving requests needs loaded."""

import os
import subprocess
import sys
from pathlib import Path

from api.common.process import YOUNG_GENERATION_THRESHOLD

ROOT = Path(__file__).resolve().parent.parent


def entry_point(tmp_path, probe: str) -> str:
    """What ``probe`` prints after ``import wsgi`` in a process of its own."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'entry.sqlite3'}",
        "REDIS_URL": "",
        "SECRET_KEY": "s" * 32,
        "PHOTO_STORAGE_DIR": str(tmp_path / "photos"),
    }
    done = subprocess.run(
        [sys.executable, "-c", f"import wsgi; {probe}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_gunicorn_entry_point_freezes_start_up_objects(tmp_path):
    output = entry_point(tmp_path, "import gc; print(gc.get_freeze_count(), gc.get_threshold()[0])")
    frozen, young = map(int, output.split())
    # Everything the app built at start-up: mappers, schemas, the spec.
    assert frozen > 50_000
    assert young == YOUNG_GENERATION_THRESHOLD


def test_api_workers_do_not_load_the_matching_engine(tmp_path):
    # splink, DuckDB, Arrow and the pinyin tables cost an API worker ≈ 100 MB of memory;
    # only the list-import job needs them (api.matching.imports loads them there).
    heavy = ("splink", "duckdb", "pyarrow", "pypinyin", "opencc")
    output = entry_point(tmp_path, f"import sys; print([m for m in {heavy!r} if m in sys.modules])")
    assert output.strip() == "[]"
