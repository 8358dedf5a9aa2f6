"""The files the tests read: the checkout's, tests/data's, OCP's schemas and Twilio's OpenAPI
files (beside the checkout, in ../shared/twilio-oai), and what the benchmark scripts print."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
# Specs of the project's YAML format, each with what the Payments specs lack.
SPECS = DATA / "specs"
SHARED_OAI = ROOT.parent / "shared" / "twilio-oai"
# OCP's own schemas and a registry entry of its reference client (origin in its README.md).
OCP_DATA = DATA / "ocp"


def ocp_schema(name: str) -> dict[str, Any]:
    """One of OCP's schemas: ocp-tool.json or ocp-context.json."""
    return dict(json.loads((OCP_DATA / name).read_text(encoding="utf-8")))


def benchmark_json(script: str, *arguments: str) -> Any:
    """What ``benchmarks/{script} --json ARGUMENTS`` prints, decoded."""
    path = ROOT / "benchmarks" / script
    command = [sys.executable, str(path), *arguments, "--json"]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
