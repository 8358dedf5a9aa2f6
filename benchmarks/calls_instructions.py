"""Instructions the client executes per call, counted by valgrind's callgrind, for the variants
of benchmarks/bench_calls.py: (a) raw aiohttp, (b) ``call_tool`` with input and strict output
validation, (c) twilio-python.

Why instructions: CPU time on a shared machine varies from run to run by more than the changes
being weighed; the count of instructions the client runs hardly varies, so the ratios (b)/(a) of
two runs (before and after a change) can be compared. It is not CPU time (cache misses and
branch mispredictions cost nothing in it), so the figures to report stay bench_calls.py's.

What is counted: only the client process. The server of bench_calls.py runs natively in its own
process on 127.0.0.1 (valgrind does not follow it), so it costs the count nothing; the client
runs under callgrind. After set-up and warm-up (registering the APIs, compiling the validators,
opening the connections), each variant of each operation makes ``--calls`` calls, 10 in flight
as in bench_calls.py; each such stretch is framed by calls to ``os.getppid()``, which callgrind
is told to dump its counts before (``--dump-before=getppid``): nothing else in the client calls
it. Blocking in the event loop for an answer runs no instructions, so waiting does not count.
The set-up's objects are frozen out of the garbage collector (gc.freeze) before counting, so
that where a full collection of them falls does not decide a stretch's count; the collection of
what each call makes is counted. System calls are counted by neither (getpid, which
asyncio.get_running_loop makes on every call in Python 3.11, is one); ``strace -f -o FILE`` on
the client (``--client URL --labels FILE``) shows them between the same getppid markers.

Run by hand (the bench extra, ../shared/twilio-oai and valgrind installed; a few minutes):

    .venv/bin/python benchmarks/calls_instructions.py [--calls 100] [--only a,b] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_calls import V2010, clients, free_port, run_round, serve, wait_until_up

CONCURRENCY = 10
MARKER = "getppid"  # the libc function whose calls frame each counted stretch


async def count_client(url: str, calls: int, only: set[str]) -> list[str]:
    """Make the calls, marking each stretch; the stretches' labels, in order."""
    labels = []
    async with clients(url, CONCURRENCY) as table:
        gc.collect()
        gc.freeze()  # the set-up's objects: a full collection of them would land in one stretch
        for op, calls_of in table.items():
            for name, call in calls_of.items():
                if name[1] not in only:
                    continue
                os.getppid()  # callgrind dumps what came before: set-up, the last stretch
                await run_round(call, calls, CONCURRENCY)
                labels.append(f"{op}\t{name}")
        os.getppid()
    return labels


def instructions(dump: Path) -> int:
    match = re.search(r"^(?:totals|summary): (\d+)", dump.read_text(), re.MULTILINE)
    if match is None:
        raise SystemExit(f"{dump} holds no instruction total")
    return int(match.group(1))


def measure(calls: int, only: str, keep: str | None) -> dict[str, dict[str, float]]:
    """Instructions per call of each stretch: run the server natively, the client under
    callgrind, and read one dump per stretch (kept in ``keep``, where given, for
    callgrind_annotate)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    here = Path(__file__).resolve()
    server = subprocess.Popen([sys.executable, str(here), "--serve", str(port)])
    try:
        asyncio.run(wait_until_up(url))
        with tempfile.TemporaryDirectory() as temporary:
            out = keep or temporary
            labels_file = Path(out) / "labels"
            command = [
                "valgrind",
                "--tool=callgrind",
                f"--dump-before={MARKER}",
                f"--callgrind-out-file={out}/callgrind.out",
                sys.executable,
                str(here),
                "--client",
                url,
                "--calls",
                str(calls),
                "--only",
                only,
                "--labels",
                str(labels_file),
            ]
            subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
            labels = labels_file.read_text().splitlines()
            # callgrind.out.1 is the set-up; each stretch ends with the next dump.
            dumps = sorted(Path(out).glob("callgrind.out.*"), key=lambda p: int(p.suffix[1:]))
            if len(dumps) < len(labels) + 1:
                raise SystemExit(f"expected {len(labels) + 1} dumps, found {len(dumps)}")
            counted: dict[str, dict[str, float]] = {}
            for label, dump in zip(labels, dumps[1:], strict=False):
                op, name = label.split("\t")
                counted.setdefault(op, {})[name] = instructions(dump) / calls
            return counted
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100, help="calls per variant")
    parser.add_argument("--only", default="a,b,c", help="variants to count, e.g. a,b")
    parser.add_argument("--keep", help="a folder to keep callgrind's dumps in")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--labels", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        serve(options.serve)
        return
    only = set(options.only.split(","))
    if options.client:
        labels = asyncio.run(count_client(options.client, options.calls, only))
        Path(options.labels).write_text("\n".join(labels) + "\n")
        return
    if not V2010.is_file():
        raise SystemExit(f"needs Twilio's OpenAPI files at {V2010.parent}")
    counted = measure(options.calls, options.only, options.keep)
    print(f"instructions per call (client only, {options.calls} calls, {CONCURRENCY} in flight)")
    print(f"{'operation':<16}{'variant':<20}{'instructions':>14}{'/ (a)':>8}")
    for op, of in counted.items():
        base = next((n for name, n in of.items() if name.startswith("(a)")), None)
        for name, count in of.items():
            ratio = f"{count / base:>8.3f}" if base else ""
            print(f"{op:<16}{name:<20}{count:>14,.0f}{ratio}")


if __name__ == "__main__":
    main()
