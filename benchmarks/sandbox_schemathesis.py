"""Schemathesis against the sandbox: does it refuse what Twilio's description of its operations
refuses, and accept what it allows?

Usage: .venv/bin/python benchmarks/sandbox_schemathesis.py [--max-examples 200] [--seed N]
       [--keep DIR] [--resource payments|messages|calls]

Installs Schemathesis into a venv of its own in a temporary folder (``--keep``: this one, kept
for the next run), writes there an OpenAPI document of the sandbox's operations only
(twilio_api_v2010.yaml from ../shared/twilio-oai, cut to the paths of one resource, the methods
the sandbox serves and the schemas they name), starts the sandbox on 127.0.0.1 and runs
Schemathesis's every check against it, with sandbox_schemathesis_hooks.py giving each case a
live call and an open payment (Payments), or a text or call of its own to fetch, update or
delete (Messages, Calls). Prints the
failures by Schemathesis code (ST201: a schema-breaking value accepted) and exits 1 when there
is an ST201.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import tempfile
import venv
from pathlib import Path
from typing import Any

import yaml

from ocp_twilio.sandbox import Limits, Sandbox, Timing

HERE = Path(__file__).resolve().parent
TWILIO_FILE = HERE.parents[1] / "shared" / "twilio-oai" / "twilio_api_v2010.yaml"
SCHEMATHESIS = "schemathesis>=4.32,<5"
ACCOUNT = "/2010-04-01/Accounts/{AccountSid}"
# Each resource's paths, and the methods the sandbox does not serve on them.
RESOURCES = {
    "payments": ("/Calls/{CallSid}/Payments.json", "/Calls/{CallSid}/Payments/{Sid}.json"),
    "messages": ("/Messages.json", "/Messages/{Sid}.json"),
    "calls": ("/Calls.json", "/Calls/{Sid}.json"),
}
NOT_SERVED = {ACCOUNT + "/Calls/{Sid}.json": {"delete"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=200, help="cases per operation")
    parser.add_argument("--seed", type=int, help="Schemathesis's random seed")
    parser.add_argument("--keep", type=Path, help="install into and keep this folder")
    parser.add_argument("--resource", choices=sorted(RESOURCES), default="payments")
    options = parser.parse_args()
    if not TWILIO_FILE.exists():
        raise SystemExit(f"{TWILIO_FILE} is missing: the run needs Twilio's OpenAPI file")
    if options.keep:
        options.keep.mkdir(parents=True, exist_ok=True)
        found = asyncio.run(_run(options.keep, options))
    else:
        with tempfile.TemporaryDirectory(prefix="sandbox-schemathesis-") as folder:
            found = asyncio.run(_run(Path(folder), options))
    raise SystemExit(1 if found.get("ST201") else 0)


def resource_document(twilio: dict[str, Any], resource: str = "payments") -> dict[str, Any]:
    """Twilio's document with only the paths of ``resource`` (the methods the sandbox serves),
    and the component schemas they reach."""
    paths = {
        p: {method: o for method, o in item.items() if method not in NOT_SERVED.get(p, ())}
        for p, item in twilio["paths"].items()
        if p in {ACCOUNT + tail for tail in RESOURCES[resource]}
    }
    schemas = twilio["components"]["schemas"]
    reached: set[str] = set()
    waiting = _refs(paths)
    while waiting:
        name = waiting.pop()
        if name not in reached:
            reached.add(name)
            waiting |= _refs(schemas[name])
    components = {
        "securitySchemes": twilio["components"]["securitySchemes"],
        "schemas": {name: schemas[name] for name in sorted(reached)},
    }
    return {**twilio, "paths": paths, "components": components}


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        own = {ref.rsplit("/", 1)[1]} if isinstance(ref, str) else set()
        return own.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


async def _run(folder: Path, options: argparse.Namespace) -> dict[str, int]:
    max_examples, seed = options.max_examples, options.seed
    schemathesis = _install(folder)
    document = folder / f"{options.resource}.json"
    twilio = yaml.safe_load(TWILIO_FILE.read_text(encoding="utf-8"))
    document.write_text(json.dumps(resource_document(twilio, options.resource)), encoding="utf-8")
    report = folder / "report.json"
    report.unlink(missing_ok=True)
    # aiohttp's parser answers a request it cannot read (a NUL in a header) with its own 400,
    # before the sandbox sees it, and logs a traceback each time.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    # Every case starts a call that stays open (or a text): room for all of them; statuses move
    # at once, so that a text to delete is final.
    limits = Limits(max_calls=1_000_000, max_messages=1_000_000)
    async with Sandbox(limits=limits, timing=Timing(step=0, reply=0)) as sandbox:
        env = {
            **os.environ,
            "PYTHONPATH": str(HERE),
            "SCHEMATHESIS_HOOKS": "sandbox_schemathesis_hooks",
            "SANDBOX_URL": sandbox.url,
            "SANDBOX_ACCOUNT_SID": sandbox.account_sid,
            "SANDBOX_AUTH_TOKEN": sandbox.auth_token,
        }
        command = [
            str(schemathesis), "run", str(document), "--url", sandbox.url,
            "--auth", f"{sandbox.account_sid}:{sandbox.auth_token}",
            "--checks", "all", "--max-examples", str(max_examples), "--workers", "1",
            "--continue-on-failure", "--report", "json", "--report-json-path", str(report),
            "--no-color",
            *(["--seed", str(seed)] if seed is not None else []),
        ]  # fmt: skip
        process = await asyncio.create_subprocess_exec(*command, env=env, cwd=folder)
        await process.wait()
        print(f"requests the sandbox answered: {sandbox.state.requests_received}")
    return _summary(report)


def _install(folder: Path) -> Path:
    tool = folder / "venv" / "bin" / "schemathesis"
    if not tool.exists():
        venv.create(folder / "venv", with_pip=True)
        pip = [str(folder / "venv" / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, SCHEMATHESIS], check=True)
    return tool


def _summary(report: Path) -> dict[str, int]:
    """Prints the cases run and the failures by code; returns the count of each code."""
    if not report.exists():
        raise SystemExit("Schemathesis wrote no report")
    data = json.loads(report.read_text(encoding="utf-8"))
    cases = data["test_cases"]
    print(f"Schemathesis {data['schemathesis_version']}, seed {data['seed']}")
    print(f"cases: {cases['generated']} generated, {cases['with_failures']} with failures")
    found: dict[str, int] = {}
    for failure in data["failures"]:
        found[failure["code"]] = found.get(failure["code"], 0) + failure["count"]
        operations = ", ".join(o.rsplit("/", 1)[-1] for o in failure["operations"])
        print(f"{failure['code']} {failure['title']}: {failure['count']} ({operations})")
    print(f"ST201 (a schema-breaking value accepted): {found.get('ST201', 0)}")
    return found


if __name__ == "__main__":
    main()
