"""benchmarks/tool_list_size.py runs on other specs and through a pluggable loader."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDGETS = ROOT / "tests" / "specs" / "widgets.yaml"


def test_sizes_through_a_loader_of_operation_specs() -> None:
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / "tool_list_size.py"),
        "--spec",
        str(WIDGETS),
        "--loader",
        "ocp_twilio.spec:load_spec_file",
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
