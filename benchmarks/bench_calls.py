"""Client CPU per call and calls per second on three real operations, in one run:

- updatePayments: a 202 with the small payments resource;
- fetchMessage: one v2010 Message;
- listMessage: a page of 50 Messages.

Four variants of each:

(a) raw aiohttp, sending a pre-built request and decoding the JSON answer;
(b) ``OCPAgent.call_tool`` on the default transport, with input and strict output validation;
(c) twilio-python's async client (AsyncTwilioHttpClient), which validates nothing;
(d) a floor for (b): (a) plus what (b) must do on every call, written by hand for the one
    operation in one coroutine (see ``by_hand``), to show how much of (b)'s cost the target's
    own checks and a call's essentials leave to the rest of the library.

Run by hand (needs the bench extra and ../shared/twilio-oai for the Message operations):

    .venv/bin/python benchmarks/bench_calls.py [--tls]

``--tls`` serves and calls over HTTPS, as every call to Twilio goes (a certificate authority
made for the run, by trustme, is what the three clients trust); without it, plain HTTP.

The server runs in its own process, so that CPU per call is the client's alone; where the
machine has two CPUs or more, server and client are each pinned to a CPU of their own, so that
neither is moved onto the other's. Rounds of the variants alternate, so that drift of a shared
machine hits them alike, and each ratio is the median of the rounds' ratios (with the range of
the middle half of them): one slow stretch of the machine moves a round, not the figure. Last,
the time to validate one 50-record page against listMessage's response schema is measured on
its own.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import socket
import ssl
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import aiohttp
import jsonschema_rs
import orjson
import trustme
from aiohttp import web
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client
from yarl import URL

from ocp_twilio import DEFAULT_MAX_RESPONSE_BYTES, AiohttpTransport, OCPAgent

TWILIO_OAI = Path(__file__).resolve().parents[1].parent / "shared" / "twilio-oai"
V2010 = TWILIO_OAI / "twilio_api_v2010.yaml"

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "bench-token-" + "0" * 20
CALL_SID = "CA" + "fedcba9876543210" * 2
PAYMENT_SID = "PK" + "00112233445566778899aabbccddeeff"
MESSAGE_SID = "SM" + "0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"
ACCOUNT = f"/2010-04-01/Accounts/{ACCOUNT_SID}"
PAYMENT_PATH = f"{ACCOUNT}/Calls/{CALL_SID}/Payments/{PAYMENT_SID}.json"
MESSAGES_PATH = f"{ACCOUNT}/Messages.json"
MESSAGE_PATH = f"{ACCOUNT}/Messages/{MESSAGE_SID}.json"
PAGE_SIZE = 50
PAYMENT_ARGUMENTS = {
    "CallSid": CALL_SID,
    "Sid": PAYMENT_SID,
    "IdempotencyKey": "order-42-expiry",
    "StatusCallback": "https://example.com/pay-status",
    "Capture": "expiration-date",
}
PAYMENT_FORM = ("IdempotencyKey", "StatusCallback", "Capture")  # the arguments sent in the body


def payment_resource() -> dict[str, Any]:
    return {
        "account_sid": ACCOUNT_SID,
        "call_sid": CALL_SID,
        "sid": PAYMENT_SID,
        "date_created": "Wed, 18 Dec 2019 20:02:01 +0000",
        "date_updated": "Wed, 18 Dec 2019 20:02:01 +0000",
        "uri": PAYMENT_PATH,
    }


def message_resource(index: int) -> dict[str, Any]:
    """A Message as Twilio's 2010 API answers it: every field, values of their real shape."""
    sid = f"SM{index:032x}" if index else MESSAGE_SID
    return {
        "account_sid": ACCOUNT_SID,
        "api_version": "2010-04-01",
        "body": f"Your order #{40000 + index} has shipped and arrives Thursday. Reply STOP to end.",
        "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
        "date_sent": "Thu, 24 Aug 2023 05:01:45 +0000",
        "date_updated": "Thu, 24 Aug 2023 05:01:45 +0000",
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": "+14155552345",
        "messaging_service_sid": "MG" + "9752c5d1b0e5e2a1f6d2d9a3e5f1c0b4",
        "num_media": "0",
        "num_segments": "1",
        "price": "-0.00790",
        "price_unit": "USD",
        "sid": sid,
        "status": "delivered",
        "subresource_uris": {
            "media": f"{ACCOUNT}/Messages/{sid}/Media.json",
            "feedback": f"{ACCOUNT}/Messages/{sid}/Feedback.json",
        },
        "to": "+14155552346",
        "uri": f"{ACCOUNT}/Messages/{sid}.json",
    }


def message_page() -> dict[str, Any]:
    first = f"{MESSAGES_PATH}?PageSize={PAGE_SIZE}&Page=0"
    return {
        "end": PAGE_SIZE - 1,
        "first_page_uri": first,
        "messages": [message_resource(i) for i in range(PAGE_SIZE)],
        "next_page_uri": f"{MESSAGES_PATH}?PageSize={PAGE_SIZE}&Page=1&PageToken=PASM{'0' * 32}",
        "page": 0,
        "page_size": PAGE_SIZE,
        "previous_page_uri": None,
        "start": 0,
        "uri": first,
    }


def serve(port: int, cpu: int | None = None, certificate: Path | None = None) -> None:
    """The stand-in for Twilio, in its own process (on ``cpu`` alone, where given): three routes
    with bodies of the real shape, over HTTPS where a ``certificate`` (key and chain, PEM) is
    given."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    tls = None
    if certificate is not None:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(certificate)
    bodies = {
        ("POST", PAYMENT_PATH): (202, json.dumps(payment_resource()).encode()),
        ("GET", MESSAGE_PATH): (200, json.dumps(message_resource(0)).encode()),
        ("GET", MESSAGES_PATH): (200, json.dumps(message_page()).encode()),
    }

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        status, body = bodies.get((request.method, request.path), (404, b'{"code": 20404}'))
        return web.Response(status=status, body=body, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, ssl_context=tls)


@dataclass
class Measured:
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    calls: int = 0

    def add(self, seconds: float, cpu: float, calls: int) -> None:
        self.seconds.append(seconds)
        self.cpu.append(cpu)
        self.calls += calls

    @property
    def calls_per_second(self) -> float:
        return self.calls / sum(self.seconds)

    @property
    def cpu_us_per_call(self) -> float:
        return sum(self.cpu) / self.calls * 1e6


Call = Callable[[], Awaitable[Any]]
WireRequest = tuple[str, str, bytes | None]  # method, path (and query), form body


async def run_round(call: Call, calls: int, concurrency: int) -> tuple[float, float]:
    todo = iter(range(calls))

    async def worker() -> None:
        for _ in todo:
            await call()

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - wall, time.process_time() - cpu


def variants(
    url: str, session: aiohttp.ClientSession, agent: OCPAgent, twilio: Client, concurrency: int
) -> dict[str, dict[str, Call]]:
    """Each operation's four variants."""
    auth = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    form = urlencode({k: PAYMENT_ARGUMENTS[k] for k in PAYMENT_FORM}).encode()
    post_headers = {
        "Authorization": auth,
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    get_headers = {"Authorization": auth, "Accept": "application/json"}
    account = twilio.api.v2010.accounts(ACCOUNT_SID)

    def raw(method: str, path: str, **extra: Any) -> Call:
        async def call() -> Any:
            async with session.request(method, url + path, **extra) as response:
                return json.loads(await response.read())

        return call

    def tool(name: str, arguments: dict[str, Any], api: str) -> Call:
        async def call() -> Any:
            return await agent.call_tool(name, arguments, api=api)

        return call

    def by_hand(
        name: str,
        api: str,
        arguments: dict[str, Any],
        fill: Callable[[dict[str, Any]], WireRequest],
    ) -> Call:
        """(d): (a), plus what (b) must do on every call and nothing more, for one operation.

        That is: the arguments checked by jsonschema-rs against the tool's input schema, the path
        and form body written by ``fill`` with every value escaped, a cap on requests in flight,
        a per-attempt timeout and no redirects, a refused answer without a length or over the
        cap, the status and media type checked, the answer decoded by orjson and checked against
        the tool's response schema, and the call added to a history. Left out, so that this is
        a floor and not a rival: the formats the library adds to jsonschema-rs, the nesting
        bound, retries, the credential scope, errors worth a model's reading.
        """
        tool = agent.get_tool(name, api=api)
        arguments_valid = jsonschema_rs.validator_for(tool.input_schema).is_valid
        answer_valid = jsonschema_rs.validator_for(tool.output_schema or {}).is_valid
        in_flight = asyncio.Semaphore(concurrency)
        timeout = aiohttp.ClientTimeout(total=30, sock_connect=5)
        history: list[tuple[str, int, float]] = []

        async def call() -> Any:
            if not arguments_valid(arguments):
                raise ValueError(f"{name}: arguments refused")
            method, path, body = fill(arguments)
            async with (
                in_flight,
                session.request(
                    method,
                    URL(url + path, encoded=True),  # escaped by ``fill``: not parsed again
                    data=body,
                    headers=post_headers if body else get_headers,
                    timeout=timeout,
                    allow_redirects=False,
                ) as response,
            ):
                length = response.content_length
                if length is None or length > DEFAULT_MAX_RESPONSE_BYTES:
                    raise ValueError(f"{name}: answer of no or too great a length")
                content = await response.read()
            if response.status >= 300 or response.content_type != "application/json":
                raise ValueError(f"{name}: HTTP {response.status} {response.content_type}")
            data = orjson.loads(content)
            if not answer_valid(data):
                raise ValueError(f"{name}: answer refused")
            del history[:-100]  # bounded, as the context's history is
            history.append((name, response.status, time.time()))
            return data

        return call

    def payment_request(given: dict[str, Any]) -> WireRequest:
        body = "&".join(f"{key}={quote_plus(given[key], safe='')}" for key in PAYMENT_FORM)
        path = f"{ACCOUNT}/Calls/{quote(given['CallSid'], safe='')}/Payments/"
        return "POST", f"{path}{quote(given['Sid'], safe='')}.json", body.encode()

    def message_request(given: dict[str, Any]) -> WireRequest:
        return "GET", f"{ACCOUNT}/Messages/{quote(given['Sid'], safe='')}.json", None

    def page_request(given: dict[str, Any]) -> WireRequest:
        return "GET", f"{MESSAGES_PATH}?PageSize={given['PageSize']}", None

    async def update_payment() -> Any:
        return (
            await account.calls(CALL_SID)
            .payments(PAYMENT_SID)
            .update_async(
                idempotency_key="order-42-expiry",
                status_callback="https://example.com/pay-status",
                capture="expiration-date",
            )
        )

    async def fetch_message() -> Any:
        return await account.messages(MESSAGE_SID).fetch_async()

    async def list_messages() -> Any:
        return await account.messages.list_async(limit=PAGE_SIZE, page_size=PAGE_SIZE)

    return {
        "updatePayments": {
            "(a) raw aiohttp": raw("POST", PAYMENT_PATH, data=form, headers=post_headers),
            "(b) call_tool": tool("updatePayments", PAYMENT_ARGUMENTS, "twilio"),
            "(c) twilio-python": update_payment,
            "(d) floor by hand": by_hand(
                "updatePayments", "twilio", PAYMENT_ARGUMENTS, payment_request
            ),
        },
        "fetchMessage": {
            "(a) raw aiohttp": raw("GET", MESSAGE_PATH, headers=get_headers),
            "(b) call_tool": tool("fetchMessage", {"Sid": MESSAGE_SID}, "v2010"),
            "(c) twilio-python": fetch_message,
            "(d) floor by hand": by_hand(
                "fetchMessage", "v2010", {"Sid": MESSAGE_SID}, message_request
            ),
        },
        "listMessage": {
            "(a) raw aiohttp": raw(
                "GET", MESSAGES_PATH + f"?PageSize={PAGE_SIZE}", headers=get_headers
            ),
            "(b) call_tool": tool("listMessage", {"PageSize": PAGE_SIZE}, "v2010"),
            "(c) twilio-python": list_messages,
            "(d) floor by hand": by_hand(
                "listMessage", "v2010", {"PageSize": PAGE_SIZE}, page_request
            ),
        },
    }


@asynccontextmanager
async def clients(
    url: str, concurrency: int, trusted: ssl.SSLContext | None = None
) -> AsyncIterator[dict[str, dict[str, Call]]]:
    """Each operation's three variants, on clients that are set up, warmed up and then closed;
    over HTTPS, each client trusts ``trusted`` (and only it)."""
    async with (
        aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=concurrency, ssl=trusted or True)
        ) as session,
        OCPAgent(
            response_validation="strict",
            max_in_flight=concurrency,
            transport=AiohttpTransport(concurrency, ssl_context=trusted),
        ) as agent,
    ):
        for name, spec in (("twilio", None), ("v2010", V2010)):
            await agent.register_api(
                name, spec=spec, base_url=url, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN
            )
        http_client = AsyncTwilioHttpClient()
        if trusted is not None:  # its own session, as it makes it, but trusting the run's CA
            await http_client.session.close()
            http_client.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=trusted))
        twilio = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http_client, environment={})
        twilio.api.base_url = url
        try:
            table = variants(url, session, agent, twilio, concurrency)
            for calls_of in table.values():  # warm up: connections, compiled validators
                for call in calls_of.values():
                    await run_round(call, 10 * concurrency, concurrency)
            yield table
        finally:
            await http_client.close()


async def bench(
    url: str, calls: int, rounds: int, concurrency: int, trusted: ssl.SSLContext | None = None
) -> dict[str, dict[str, Measured]]:
    async with clients(url, concurrency, trusted) as table:
        results = {op: {name: Measured() for name in each} for op, each in table.items()}
        for _ in range(rounds):
            for op, calls_of in table.items():
                for name, call in calls_of.items():
                    seconds, cpu = await run_round(call, calls, concurrency)
                    results[op][name].add(seconds, cpu, calls)
    return results


def page_validation_ms(repeat: int = 200) -> float:
    """Median milliseconds to check one 50-record page against listMessage's response schema."""
    from ocp_twilio import load_tools

    (tool,) = [t for t in load_tools("v2010", spec=V2010) if t.spec.name == "listMessage"]
    page = message_page()
    if tool.response_errors(page):
        raise SystemExit("the benchmark's page does not match listMessage's schema")
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        tool.response_errors(page, decoded=True)  # as call_tool checks a decoded answer
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def wait_until_up(url: str, trusted: ssl.SSLContext | None = None) -> None:
    connector = aiohttp.TCPConnector(ssl=trusted or True)
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(100):
            try:
                async with session.get(url + "/"):
                    return
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
    raise RuntimeError(f"the benchmark server at {url} did not start")


def round_ratio(over: Measured, under: Measured) -> tuple[float, float, float]:
    """The median of the rounds' CPU ratios, and the range of the middle half of them."""
    ratios = [o / u for o, u in zip(over.cpu, under.cpu, strict=True)]
    if len(ratios) < 2:
        return ratios[0], ratios[0], ratios[0]
    low, _, high = statistics.quantiles(ratios, n=4, method="inclusive")
    return statistics.median(ratios), low, high


def report(results: dict[str, dict[str, Measured]], page_ms: float) -> str:
    lines = [f"{'operation':<16}{'variant':<20}{'calls/s':>9}{'CPU us/call':>13}{'CPU / (a)':>11}"]
    verdicts = []
    for op, measured in results.items():
        a, b, c, d = measured.values()
        for name, m in measured.items():
            ratio, _, _ = round_ratio(m, a)
            lines.append(
                f"{op:<16}{name:<20}{m.calls_per_second:>9.0f}{m.cpu_us_per_call:>13.0f}"
                f"{ratio:>11.2f}"
            )
        b_a, c_b, d_a = round_ratio(b, a), round_ratio(b, c), round_ratio(d, a)
        verdicts.append(
            f"{op}: (b)/(a) CPU {b_a[0]:.2f} [{b_a[1]:.2f}-{b_a[2]:.2f}] (target <= 1.25), "
            f"(b)/(c) CPU {c_b[0]:.2f} [{c_b[1]:.2f}-{c_b[2]:.2f}] (target < 1); pooled over "
            f"the rounds {b.cpu_us_per_call / a.cpu_us_per_call:.2f} and "
            f"{b.cpu_us_per_call / c.cpu_us_per_call:.2f}; the floor (d)/(a) "
            f"{d_a[0]:.2f} [{d_a[1]:.2f}-{d_a[2]:.2f}]"
        )
    verdicts.append(f"validating a {PAGE_SIZE}-record page: {page_ms:.3f} ms (target <= 0.5)")
    return "\n".join(lines + verdicts)


def run_authority(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """A certificate for 127.0.0.1 (key and chain in one PEM file in ``folder``), and a client
    context that trusts the authority that issued it and nothing else."""
    authority = trustme.CA()
    certificate = folder / "server.pem"
    authority.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(certificate)
    trusted = ssl.create_default_context(cadata=authority.cert_pem.bytes().decode())
    return certificate, trusted


def cpus_apart() -> tuple[int, int] | None:
    """A CPU for the server and another for the client, where there are two to pin to."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    return (cpus[-1], cpus[0]) if len(cpus) >= 2 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=500, help="calls per round and variant")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--tls", action="store_true", help="HTTPS, as calls to Twilio go")
    options = parser.parse_args()
    if not V2010.is_file():
        raise SystemExit(f"needs Twilio's OpenAPI files at {TWILIO_OAI}")
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        certificate, trusted = run_authority(Path(folder)) if options.tls else (None, None)
        url = f"{'https' if options.tls else 'http'}://127.0.0.1:{port}"
        pinned = cpus_apart()
        server_cpu, client_cpu = pinned if pinned else (None, None)
        server = multiprocessing.Process(
            target=serve, args=(port, server_cpu, certificate), daemon=True
        )
        server.start()
        if client_cpu is not None:
            os.sched_setaffinity(0, {client_cpu})
        try:
            asyncio.run(wait_until_up(url, trusted))
            results = asyncio.run(
                bench(url, options.calls, options.rounds, options.concurrency, trusted)
            )
        finally:
            server.terminate()
            server.join()
    print(
        f"{options.rounds} rounds x {options.calls} calls per variant, "
        f"{options.concurrency} in flight, {'HTTPS' if options.tls else 'plain HTTP'}, "
        "server in its own process"
        + (f", server on CPU {server_cpu} and client on CPU {client_cpu}" if pinned else "")
    )
    print(report(results, page_validation_ms()))


if __name__ == "__main__":
    main()
