"""Time and memory of loading every Twilio operation as a tool.

    python benchmarks/bench_import.py [--spec DIR] [--runs N]

Measures ``register_api("twilio", spec=DIR)`` on Twilio's 55 OpenAPI files (default:
../shared/twilio-oai beside the checkout): cold (empty catalog cache), warm (cache filled by the
run before), and the peak RSS of a fresh process holding all the tools, each in its own
subprocess so that one measurement does not warm the next. ``--default-install`` hides the
``fast`` extra (ryaml and orjson), as after the default install: PyYAML reads the YAML files, the
standard library the JSON ones (the edition ``ocp-twilio sync`` downloads).

Each time is given as wall and CPU seconds, and as a ratio to the yardstick: PyYAML's
CSafeLoader parsing the same files (also in a fresh process), so that runs on a slower or busier
machine compare. On a machine that other jobs load, the CPU seconds are the steadier figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_SPEC = Path(__file__).resolve().parents[2] / "shared" / "twilio-oai"
ENV = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "benchmark-token"}


async def _register(spec: Path) -> dict[str, float | int]:
    from ocp_twilio import OCPAgent

    async with OCPAgent() as agent:
        started, cpu = time.perf_counter(), time.process_time()
        await agent.register_api("twilio", spec=spec, environ={**ENV, **os.environ})
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        tools = agent.list_tools()
        compiled = sum("_input_validator" in vars(t) for t in tools)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        agent.search_tools("send an sms message")
        search = time.perf_counter() - started
        # What an adapter does when it lists every tool for a model.
        schemas = sum(len(t.input_schema["properties"]) for t in tools)
        return {
            "seconds": seconds,
            "cpu_seconds": cpu,
            "tools": len(tools),
            "validators_compiled": compiled,
            "max_rss_mb": rss,
            "first_search_seconds": search,
            "arguments": schemas,
            "max_rss_with_schemas_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


def _parse(spec: Path) -> dict[str, float]:
    """The yardstick: the standard parser of each file of ``spec``, PyYAML's CSafeLoader for
    YAML and the standard library's for JSON."""
    import yaml

    files = sorted(p for p in spec.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
    started, cpu = time.perf_counter(), time.process_time()
    for path in files:
        if path.suffix == ".json":
            json.loads(path.read_bytes())
        else:
            yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
    return {"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu}


def _measure_in_subprocess(
    spec: Path, cache: Path, default_install: bool, child: str = "--child"
) -> dict[str, float]:
    env = {**os.environ, "OCP_TWILIO_CACHE_DIR": str(cache)}
    command = [sys.executable, __file__, child, "--spec", str(spec)]
    if default_install:
        command.append("--default-install")
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(output)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--default-install", action="store_true", help="without the fast extra (ryaml, orjson)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-parse", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.default_install:
        for fast in ("ryaml", "orjson"):
            sys.modules[fast] = None  # type: ignore[assignment]  # makes the import fail
    if options.child:
        print(json.dumps(asyncio.run(_register(options.spec))))
        return
    if options.child_parse:
        print(json.dumps(_parse(options.spec)))
        return
    if not options.spec.is_dir():
        sys.exit(f"No OpenAPI files at {options.spec}; pass --spec DIR.")

    files = [p for p in options.spec.iterdir() if p.suffix in (".yaml", ".yml", ".json")]
    print(f"{len(files)} files from {options.spec}, {options.runs} runs each")
    cold, warm, parse = [], [], []
    for _ in range(options.runs):
        with tempfile.TemporaryDirectory() as cache:
            parse.append(_measure_in_subprocess(options.spec, Path(cache), False, "--child-parse"))
            cold.append(_measure_in_subprocess(options.spec, Path(cache), options.default_install))
            warm.append(_measure_in_subprocess(options.spec, Path(cache), options.default_install))
    yardstick = {k: statistics.median(r[k] for r in parse) for k in ("seconds", "cpu_seconds")}
    wall, cpu = yardstick["seconds"], yardstick["cpu_seconds"]
    print(f"{'standard parse':22} {wall:6.3f} s  CPU {cpu:6.3f} s  (the yardstick)")
    for label, runs in (("cold (no cache)", cold), ("warm (cached catalog)", warm)):
        seconds = statistics.median(r["seconds"] for r in runs)
        used = statistics.median(r["cpu_seconds"] for r in runs)
        rss = max(r["max_rss_mb"] for r in runs)
        first = runs[0]
        print(
            f"{label:22} {seconds:6.3f} s  CPU {used:6.3f} s  "
            f"({seconds / wall:.2f} / {used / cpu:.2f} of "
            f"the yardstick)  peak RSS {rss:4.0f} MB  tools {int(first['tools'])}  "
            f"validators compiled {int(first['validators_compiled'])}"
        )
    print("(medians; wall seconds / CPU seconds in the ratios)")
    print(
        f"then: first search {statistics.median(r['first_search_seconds'] for r in warm):.3f} s, "
        f"every input schema built ({int(warm[0]['arguments'])} arguments): peak RSS "
        f"{max(r['max_rss_with_schemas_mb'] for r in cold + warm):.0f} MB"
    )


if __name__ == "__main__":
    main()
