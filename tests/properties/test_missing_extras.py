"""Where an extra is missing, each way into the framework it serves raises ConfigurationError
(an OCPError) with the line that installs it, not a bare ModuleNotFoundError. Each case runs in
a fresh interpreter whose framework module is blocked, as where the extra is not installed."""

from __future__ import annotations

import subprocess
import sys

import pytest
from support.files import ROOT

PROBE = """\
import sys
sys.modules[{module!r}] = None  # as where the extra is not installed
from ocp_twilio import OCPAgent, OCPError
agent = OCPAgent()
try:
    {call}
except OCPError as error:
    print(type(error).__name__, error, sep="\\n")
else:
    print("no error")
"""

# extra: (the module its framework is imported as, a way in that needs it)
WAYS_IN = {
    "openai-agents": (
        "agents",
        "from ocp_twilio.adapters.openai_agents import as_openai_agents_tools; "
        "as_openai_agents_tools(agent)",
    ),
    "pydantic-ai": (
        "pydantic_ai",
        "from ocp_twilio.adapters.pydantic_ai import as_pydantic_ai_toolset; "
        "as_pydantic_ai_toolset(agent)",
    ),
    "langchain": (
        "langchain_core",
        "from ocp_twilio.adapters.langchain import as_langchain_tools; as_langchain_tools(agent)",
    ),
    "google-adk": ("google.adk", "import ocp_twilio.adapters.google_adk"),
    "mcp": (
        "mcp",
        "from ocp_twilio.adapters.mcp.server import build_mcp_server; build_mcp_server(agent)",
    ),
    "mcp over HTTP": (
        "mcp",
        "from ocp_twilio.adapters.mcp.http import http_application; "
        "http_application(agent, [], token='t' * 32)",
    ),
    "redis": ("redis", "from ocp_twilio import RedisProgressStore"),
    "redis send ledger": ("redis", "from ocp_twilio import RedisSendLedger"),
    "redis for the agent's sends": (
        "redis",
        "from ocp_twilio.sends.runner import sends_of; sends_of(None, 'redis://127.0.0.1:1/0')",
    ),
}


@pytest.mark.parametrize(("way", "blocked_and_call"), WAYS_IN.items(), ids=list(WAYS_IN))
def test_a_missing_extra_names_its_install_line(
    way: str, blocked_and_call: tuple[str, str]
) -> None:
    module, call = blocked_and_call
    extra = way.split()[0]
    finished = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module, call=call)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode == 0, finished.stderr
    kind, message = finished.stdout.split("\n", 1)
    assert kind == "ConfigurationError", finished.stdout
    assert f"needs the {extra} extra" in message
    assert f".venv/bin/pip install -e '.[{extra}]'" in message


def test_with_every_extra_installed_the_same_ways_in_work() -> None:
    """The control: unblocked, each way in gives its tools (or class) without an error."""
    calls = "; ".join(call for _, call in WAYS_IN.values())
    probe = PROBE.format(module="not-a-framework", call=calls)
    finished = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout == "no error\n"
