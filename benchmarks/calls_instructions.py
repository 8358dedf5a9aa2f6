"""Instructions the client executes per call, counted by valgrind's callgrind, for the variants
of benchmarks/bench_calls.py: (a) raw aiohttp, (b) ``call_tool`` with input and strict output
validation, (c) twilio-python, (d) the floor for (b) written by hand.

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

``--cache-sim`` has callgrind simulate the caches too (a first level of 32 KB for code and
32 KB for data, a last level of 512 KB: one core of this project's benchmark machine) and adds
modelled cycles per call: instructions, plus 10 for each first-level miss and 60 for each
last-level one (rough latencies of a second-level hit and of a trip beyond it). Instructions
miss what makes a call dear in place, where the other calls' work between two steps of one
call evicts what the step had cached; the modelled cycles count it, and their ratios come out
close to bench_calls.py's CPU ratios while staying as steady as the instruction counts.

Run by hand (the bench extra, ../shared/twilio-oai and valgrind installed; a few minutes, about
twice that with ``--cache-sim``):

    .venv/bin/python benchmarks/calls_instructions.py [--calls 100] [--only a,b] [--cache-sim]
        [--keep DIR]
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
CACHES = ["--cache-sim=yes", "--I1=32768,8,64", "--D1=32768,8,64", "--LL=524288,8,64"]
FIRST_LEVEL_MISSES = ("I1mr", "D1mr", "D1mw")
LAST_LEVEL_MISSES = ("ILmr", "DLmr", "DLmw")


async def count_client(url: str, calls: int, only: set[str]) -> list[str]:
    """Make the calls, marking each stretch; the stretches' labels, in order."""
    labels = []
    async with clients(url, CONCURRENCY) as table:
        gc.collect()
        gc.freeze()  # the set-up's objects: a full collection of them would land in one stretch
        # One round uncounted first: the first stretch after the freeze costs some 5 million
        # instructions more, once (about 95k more per call of 50 for whichever variant is first).
        first = next(c for calls_of in table.values() for n, c in calls_of.items() if n[1] in only)
        await run_round(first, calls, CONCURRENCY)
        for op, calls_of in table.items():
            for name, call in calls_of.items():
                if name[1] not in only:
                    continue
                os.getppid()  # callgrind dumps what came before: set-up, the last stretch
                await run_round(call, calls, CONCURRENCY)
                labels.append(f"{op}\t{name}")
        os.getppid()
    return labels


def events(dump: Path) -> dict[str, int]:
    """The dump's totals by event: Ir (instructions), and the misses where caches were simulated."""
    text = dump.read_text()
    names = re.search(r"^events: (.+)$", text, re.MULTILINE)
    totals = re.search(r"^(?:totals|summary): (.+)$", text, re.MULTILINE)
    if names is None or totals is None:
        raise SystemExit(f"{dump} holds no totals")
    return dict(zip(names.group(1).split(), map(int, totals.group(1).split()), strict=True))


def modelled_cycles(counted: dict[str, float]) -> float:
    first = sum(counted[name] for name in FIRST_LEVEL_MISSES)
    last = sum(counted[name] for name in LAST_LEVEL_MISSES)
    return counted["Ir"] + 10 * first + 60 * last


def measure(
    calls: int, only: str, keep: str | None, cache_sim: bool
) -> dict[str, dict[str, dict[str, float]]]:
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
                *(CACHES if cache_sim else []),
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
            counted: dict[str, dict[str, dict[str, float]]] = {}
            for label, dump in zip(labels, dumps[1:], strict=False):
                op, name = label.split("\t")
                per_call = {event: n / calls for event, n in events(dump).items()}
                counted.setdefault(op, {})[name] = per_call
            return counted
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100, help="calls per variant")
    parser.add_argument("--only", default="a,b,c", help="variants to count, e.g. a,b")
    parser.add_argument("--keep", help="a folder to keep callgrind's dumps in")
    parser.add_argument(
        "--cache-sim", action="store_true", help="simulate the caches: modelled cycles too"
    )
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
    counted = measure(options.calls, options.only, options.keep, options.cache_sim)
    print(f"per call (client only, {options.calls} calls, {CONCURRENCY} in flight)")
    header = f"{'operation':<16}{'variant':<20}{'instructions':>14}{'/ (a)':>8}"
    if options.cache_sim:
        header += f"{'LL misses':>11}{'cycles':>12}{'/ (a)':>8}"
    print(header)
    for op, of in counted.items():
        base = next((n for name, n in of.items() if name.startswith("(a)")), None)
        for name, count in of.items():
            line = f"{op:<16}{name:<20}{count['Ir']:>14,.0f}"
            line += f"{count['Ir'] / base['Ir']:>8.3f}" if base else " " * 8
            if options.cache_sim:
                cycles = modelled_cycles(count)
                misses = sum(count[event] for event in LAST_LEVEL_MISSES)
                line += f"{misses:>11,.0f}{cycles:>12,.0f}"
                line += f"{cycles / modelled_cycles(base):>8.3f}" if base else ""
            print(line)


if __name__ == "__main__":
    main()
