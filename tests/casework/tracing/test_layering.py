"""Imports between tracing and the centre run one way: tracing builds on the centre.

``api.rescue.centre.services`` (and the centre's models and schemas) import nothing from
``api.casework``, not even inside a function; the centre's routes may call tracing
services (the discharge endpoint closes an open case). Each module also imports on its
own in a fresh interpreter, whichever is imported first.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CENTRE = ROOT / "api" / "rescue" / "centre"


def _imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("name", ["services.py", "models.py", "schemas.py"])
def test_centre_does_not_import_casework(name):
    found = {m for m in _imported_modules(CENTRE / name) if m.startswith("api.casework")}
    assert found == set(), f"api/rescue/centre/{name} imports {found}"


@pytest.mark.parametrize("module", ["api.rescue.centre.services", "api.casework.tracing.services"])
def test_module_imports_alone(module):
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
