"""``workers`` imports the API; the API never imports ``workers`` (issue 12).

The API records jobs and runs them (in-process, or through RQ) with ``api.jobs``, naming
the job functions by dotted path; only the worker side imports both.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_api_never_imports_workers():
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in imported_modules(path) if name.split(".")[0] == "workers"
        )
        for path in (ROOT / "api").rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}
