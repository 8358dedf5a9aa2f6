"""Writing results: JSON for machines, one-line JSON inside human text."""

from __future__ import annotations

import json
from typing import Any

import click

__all__ = ["compact_json", "echo_json"]


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def compact_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(", ", ": "))
