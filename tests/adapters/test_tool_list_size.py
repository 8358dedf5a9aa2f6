"""benchmarks/tool_list_size.py runs on other specs."""

from __future__ import annotations

from support.files import SPECS, benchmark_json

WIDGETS = SPECS / "widgets.yaml"


def test_sizes_of_another_spec() -> None:
    rows = benchmark_json("tool_list_size.py", "--spec", str(WIDGETS), "--group-tag", "widgets")

    sizes = {row["format"]: row for row in rows}
    assert set(sizes) >= {"openai chat", "openai chat strict", "anthropic", "mcp", "ocp catalog"}
    for row in rows:
        assert 0 < row["largest"] < row["all"] == row["group"]
        assert row["refused"] == 0
    assert sizes["openai chat strict"]["all"] > sizes["openai chat"]["all"]
