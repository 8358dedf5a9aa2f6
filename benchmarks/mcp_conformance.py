"""The official MCP conformance suite (@modelcontextprotocol/conformance) against the HTTP server.

Usage: .venv/bin/python benchmarks/mcp_conformance.py [--scenario NAME] [--spec PATH] [--keep DIR]

Installs the suite and Node 22 (the ``node`` package of the npm registry; the suite needs
Node >= 22) into a temporary folder, starts the server on a free port of 127.0.0.1 (this script
with ``--serve PORT``: ``http_application`` over the embedded sandbox, served by uvicorn), runs
the server scenarios against ``/mcp``, stops the server by its pid and prints one line per
check. The suite cannot send a bearer token, so the served application adds the token to
requests that come without an Authorization header; everything else (the SDK's transport, its
Host and Origin checks, the handlers) is as ``ocp-twilio mcp --http`` serves it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SUITE = "@modelcontextprotocol/conformance@0.1"
NODE = "node@22"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--scenario", help="one scenario only (default: the active suite)")
    parser.add_argument("--spec", type=Path, help="serve these OpenAPI files' tools instead")
    parser.add_argument("--keep", type=Path, help="install into and keep this folder")
    options = parser.parse_args()
    if options.serve:
        asyncio.run(_serve(options.serve, options.spec))
        return
    if options.keep:
        options.keep.mkdir(parents=True, exist_ok=True)
        _run(options.keep, options.scenario, options.spec)
    else:
        with tempfile.TemporaryDirectory(prefix="mcp-conformance-") as folder:
            _run(Path(folder), options.scenario, options.spec)


def _run(folder: Path, scenario: str | None, spec: Path | None) -> None:
    bin_dir = folder / "node_modules" / ".bin"
    if not (bin_dir / "conformance").exists():
        subprocess.run(
            ["npm", "install", "--silent", "--no-fund", "--no-audit", "--prefix", str(folder),
             NODE, SUITE],
            check=True,
        )  # fmt: skip
    port = _free_port()
    token = secrets.token_urlsafe(32)
    env = {**os.environ, "OCP_TWILIO_MCP_TOKEN": token}
    serve = [sys.executable, __file__, "--serve", str(port)]
    server = subprocess.Popen([*serve, "--spec", str(spec)] if spec else serve, env=env)
    try:
        _wait_for(port, server)
        results = folder / "results"
        shutil.rmtree(results, ignore_errors=True)
        command = [
            str(bin_dir / "node"), str(bin_dir / "conformance"), "server",
            "--url", f"http://127.0.0.1:{port}/mcp", "--output-dir", str(results),
        ]  # fmt: skip
        if scenario:
            command += ["--scenario", scenario]
        suite_env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
        finished = subprocess.run(command, env=suite_env, capture_output=True, text=True)
    finally:
        server.terminate()
        server.wait(20)
    _report(results, finished)


def _report(results: Path, finished: subprocess.CompletedProcess[str]) -> None:
    checks: list[dict[str, Any]] = []
    for path in sorted(results.rglob("checks.json")):
        for check in json.loads(path.read_text()):
            checks.append(check)
            line = f"{check.get('id', '?'):42} {check.get('status')}"
            error = check.get("errorMessage")
            print(f"{line}  {error[:120]}" if error else line)
    if not checks:
        print(finished.stdout[-4000:], finished.stderr[-4000:], sep="\n")
        raise SystemExit("the suite wrote no checks.json")
    statuses: dict[str, int] = {}
    for check in checks:
        statuses[check.get("status", "?")] = statuses.get(check.get("status", "?"), 0) + 1
    print("totals:", json.dumps(statuses, sort_keys=True))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server ended with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start within 60 s")


async def _serve(port: int, spec: Path | None) -> None:
    import uvicorn

    from ocp_twilio import OCPAgent
    from ocp_twilio._config import read_environment
    from ocp_twilio.adapters.mcp.http import http_application
    from ocp_twilio.sandbox import Sandbox

    token = read_environment().mcp_token
    assert token is not None
    async with Sandbox() as sandbox, OCPAgent(response_validation="strict") as agent:
        receiver = agent.status_callback_receiver(
            f"http://127.0.0.1:{port}", auth_token=sandbox.auth_token
        )
        await agent.register_api("twilio", spec=spec, environ=sandbox.environ())
        app = http_application(agent, agent.list_tools(), token=token, receiver=receiver)
        config = uvicorn.Config(
            _WithBearer(app, token), host="127.0.0.1", port=port, log_level="warning"
        )
        await uvicorn.Server(config).serve()


class _WithBearer:
    """Adds the bearer to requests without an Authorization header (the suite sends none)."""

    def __init__(self, app: Any, token: str) -> None:
        self._app = app
        self._header = (b"authorization", f"Bearer {token}".encode())

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = list(scope.get("headers") or [])
            if not any(name == b"authorization" for name, _ in headers):
                scope = {**scope, "headers": [*headers, self._header]}
        await self._app(scope, receive, send)


if __name__ == "__main__":
    main()
