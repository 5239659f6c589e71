"""The production entry point leaves start-up objects out of the garbage collector's walks."""

import os
import subprocess
import sys
from pathlib import Path

from api.common.process import YOUNG_GENERATION_THRESHOLD

ROOT = Path(__file__).resolve().parent.parent


def test_gunicorn_entry_point_freezes_start_up_objects(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'entry.sqlite3'}",
        "REDIS_URL": "",
        "SECRET_KEY": "s" * 32,
        "PHOTO_STORAGE_DIR": str(tmp_path / "photos"),
    }
    probe = "import gc, wsgi; print(gc.get_freeze_count(), gc.get_threshold()[0])"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    frozen, young = map(int, done.stdout.split())
    # Everything the app built at start-up: mappers, schemas, the spec.
    assert frozen > 50_000
    assert young == YOUNG_GENERATION_THRESHOLD
