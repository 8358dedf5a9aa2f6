"""The library never imports the sandbox; only the command line does."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import ocp_twilio

PACKAGE = Path(ocp_twilio.__file__).parent
CHECK = """
import importlib, pkgutil, sys
import ocp_twilio
for module in pkgutil.iter_modules(ocp_twilio.__path__):
    if module.name not in ("sandbox", "cli"):
        importlib.import_module("ocp_twilio." + module.name)
loaded = sorted(m for m in sys.modules if m.startswith("ocp_twilio.sandbox"))
print(len([m for m in sys.modules if m.startswith("ocp_twilio.")]), loaded)
"""


def test_importing_the_library_loads_no_sandbox_module() -> None:
    finished = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=30, check=True
    )
    count, loaded = finished.stdout.split(" ", 1)
    assert int(count) >= 10
    assert loaded.strip() == "[]"


def test_no_library_module_imports_the_sandbox() -> None:
    library = [
        path
        for path in PACKAGE.rglob("*.py")
        if not {"sandbox", "cli"} & set(path.relative_to(PACKAGE).parts)
    ]
    assert len(library) >= 10
    importing = [p.name for p in library if any("sandbox" in name for name in _imports(p))]
    assert importing == []


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names += [f"{node.module or ''}.{alias.name}" for alias in node.names]
    return names
