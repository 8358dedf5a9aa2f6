"""The wheel, built from the checkout and installed with its dependencies into a fresh venv
outside it, runs the demo and the README's first example from another folder: what a user of
the package gets, without the checkout's files or its editable install.

Building needs hatchling and the venv needs the package's dependencies: both come from the
package registry (pip's cache makes a second run quick)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.files import ROOT
from support.readme import readme_blocks

# Building and installing take tens of seconds, mostly downloads.
pytestmark = pytest.mark.slow
PIP_TIMEOUT = 300


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh venv holding the wheel and its dependencies, nothing else."""
    root = tmp_path_factory.mktemp("installed")
    dist = root / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    _run([*pip, "wheel", str(ROOT), "--no-deps", "--wheel-dir", str(dist)], cwd=root)
    [wheel] = dist.glob("ocp_twilio-*.whl")
    _run([sys.executable, "-m", "venv", str(root / "venv")], cwd=root)
    bin_dir = root / "venv" / "bin"
    installer = [str(bin_dir / "python"), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    _run([*installer, "install", str(wheel)], cwd=root)
    return bin_dir


def test_the_package_and_its_schemas_come_from_the_venv(installed: Path, tmp_path: Path) -> None:
    code = (
        "import ocp_twilio; from ocp_twilio.specs.model import packaged_schemas_dir; "
        "print(ocp_twilio.__file__); print(packaged_schemas_dir())"
    )
    package, schemas = _run([str(installed / "python"), "-c", code], cwd=tmp_path).splitlines()

    venv = installed.parent
    assert Path(package).is_relative_to(venv), package
    assert Path(schemas).is_relative_to(venv), schemas
    assert sorted(p.name for p in Path(schemas).glob("*.yaml")) == sorted(
        p.name for p in (ROOT / "schemas").glob("*.yaml")
    )


def test_the_demo_runs_from_another_folder(installed: Path, tmp_path: Path) -> None:
    document = json.loads(_run([str(installed / "ocp-twilio"), "demo", "--json"], cwd=tmp_path))

    assert document["completed"] is True
    assert re.fullmatch(r"SANDBOX-[0-9A-F]{8}", document["confirmation_code"])


def test_the_readme_quick_start_runs_from_another_folder(installed: Path, tmp_path: Path) -> None:
    [example] = [
        b.code for b in readme_blocks() if b.section == "Quick start" and b.language == "python"
    ]

    printed = _run([str(installed / "python"), "-c", example], cwd=tmp_path)

    assert re.fullmatch(r"PK[0-9a-f]{32} True", printed.strip()), printed


def _run(command: list[str], *, cwd: Path) -> str:
    """What ``command`` prints, run in ``cwd`` with none of the checkout's or the user's set-up:
    no PYTHONPATH (which would find the checkout) and no TWILIO_* variable."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TWILIO_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    finished = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=PIP_TIMEOUT
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout
