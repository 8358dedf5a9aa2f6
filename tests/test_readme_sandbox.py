"""The README's embedded-sandbox example runs as printed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_embedded_sandbox_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    [example] = [b for b in blocks if "from ocp_twilio.sandbox import Sandbox" in b]
    finished = subprocess.run(
        [sys.executable, "-c", example], capture_output=True, text=True, timeout=30, check=True
    )
    sid, required = finished.stdout.split()
    assert re.fullmatch(r"PK[0-9a-f]{32}", sid)
    assert required == "payment-card-number,expiration-date,security-code,postal-code"
