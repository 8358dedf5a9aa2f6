"""benchmarks/tool_list_size.py runs on other specs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDGETS = ROOT / "tests" / "specs" / "widgets.yaml"


def test_sizes_of_another_spec() -> None:
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / "tool_list_size.py"),
        "--spec",
        str(WIDGETS),
        "--group-tag",
        "widgets",
        "--json",
    ]
    rows = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)

    sizes = {row["format"]: row for row in rows}
    assert set(sizes) >= {"openai chat", "openai chat strict", "anthropic", "mcp", "ocp catalog"}
    for row in rows:
        assert 0 < row["largest"] < row["all"] == row["group"]
        assert row["refused"] == 0
    assert sizes["openai chat strict"]["all"] > sizes["openai chat"]["all"]
