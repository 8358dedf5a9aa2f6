"""``ocp_twilio.__all__`` is the public door: pinned, complete, and light to import."""

from __future__ import annotations

import json
import subprocess
import sys
from types import ModuleType

import ocp_twilio

# Optional packages and the outer ring, none of which ``import ocp_twilio`` may load.
NOT_IMPORTED = (
    "mcp",
    "langchain_core",
    "openai",
    "anthropic",
    "orjson",
    "ryaml",
    "twilio",
    "redis",
    "ocp_twilio.payments.redis_store",
    "ocp_twilio.sends.redis_ledger",
    "ocp_twilio._redis",
    "ocp_twilio.adapters",
    "ocp_twilio.cli",
    "ocp_twilio.sandbox",
)


def test_every_name_in_all_exists() -> None:
    missing = [name for name in ocp_twilio.__all__ if not hasattr(ocp_twilio, name)]
    assert missing == []
    assert len(ocp_twilio.__all__) == len(set(ocp_twilio.__all__))


def test_every_public_name_is_in_all() -> None:
    public = {
        name
        for name, value in vars(ocp_twilio).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    public.discard("TYPE_CHECKING")
    public.discard("Any")
    assert sorted(public - set(ocp_twilio.__all__)) == []


def test_import_loads_no_adapter_and_no_optional_package() -> None:
    probe = (
        "import json, sys, ocp_twilio\n"
        f"names = {NOT_IMPORTED!r}\n"
        "print(json.dumps(sorted(n for n in names if n in sys.modules)))\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(finished.stdout) == []


def test_adapter_names_load_on_first_use() -> None:
    probe = (
        "import json, sys, ocp_twilio\n"
        "ocp_twilio.openai_tools\n"
        "print(json.dumps('ocp_twilio.adapters' in sys.modules))\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(finished.stdout) is True
