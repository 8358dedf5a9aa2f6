"""The sandbox console over real sockets, without a browser: who may open it, its event stream
read as a page reads it, the person's keys turned into Twilio's callbacks, and its bounds."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from support.console import (
    CONSOLE,
    Recorder,
    agent_takes_payment,
    console_client,
    leaks,
    messages,
    press,
)
from support.sandbox import basic_auth, payment_arguments, payments_path, raw_post, wait_until

from ocp_twilio import OCPAgent
from ocp_twilio.sandbox import INVALID_CARD, TEST_CARD, Limits, Sandbox

ROUTES = [("GET", ""), ("GET", "/console.js"), ("GET", "/console.css"), ("GET", "/events")]


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(key_timeout=0.3, limits=Limits(max_viewers=2)) as running:
        yield running


async def status_of(
    sandbox: Sandbox, method: str, path: str, **options: object
) -> tuple[int, dict[str, str]]:
    async with (
        aiohttp.ClientSession() as client,
        client.request(
            method, sandbox.url + CONSOLE + path, allow_redirects=False, **options
        ) as answer,  # type: ignore[arg-type]
    ):
        return answer.status, dict(answer.headers)


@pytest.mark.parametrize(("method", "path"), [*ROUTES, ("POST", "/keys"), ("POST", "/reply")])
async def test_nothing_of_the_console_opens_without_a_login(
    sandbox: Sandbox, method: str, path: str
) -> None:
    for headers in [
        {},
        {"Cookie": "ocp_console=guessed"},
        {"Authorization": basic_auth(sandbox.account_sid, "wrong")},
    ]:
        status, answer = await status_of(sandbox, method, path, headers=headers)
        assert status == 401, (headers, status)
        assert answer["WWW-Authenticate"] == 'Basic realm="Twilio API"'
    status, _ = await status_of(sandbox, method, path + "?token=guessed")
    assert status == 401


async def test_the_link_is_one_time_and_leaves_a_cookie_for_the_console_only(
    sandbox: Sandbox,
) -> None:
    link = sandbox.console_url()
    token = link.split("token=")[1]
    status, headers = await status_of(sandbox, "GET", f"?token={token}")
    assert (status, headers["Location"]) == (303, CONSOLE)
    cookie = headers["Set-Cookie"]
    assert re.match(
        r"ocp_console=[\w-]{32}; HttpOnly; Path=/sandbox/console; SameSite=Strict$", cookie
    ), cookie
    assert (await status_of(sandbox, "GET", f"?token={token}"))[0] == 401  # used up
    session = {"Cookie": cookie.split(";")[0]}
    for _, path in ROUTES[:3]:
        status, headers = await status_of(sandbox, "GET", path, headers=session)
        assert status == 200
        assert "script-src 'self'" in headers["Content-Security-Policy"]
    # The cookie opens the console, not Twilio's API nor the other sandbox endpoints.
    async with aiohttp.ClientSession() as client:
        for path in ["/sandbox/events", f"/2010-04-01/Accounts/{sandbox.account_sid}/Calls.json"]:
            async with client.get(sandbox.url + path, headers=session) as answer:
                assert answer.status == 401


async def test_the_sandbox_login_opens_the_console_too(sandbox: Sandbox) -> None:
    login = {"Authorization": basic_auth(sandbox.account_sid, sandbox.auth_token)}
    status, headers = await status_of(sandbox, "GET", "", headers=login)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"


async def test_the_person_keys_in_a_card_the_stream_and_the_logs_show_it_masked(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = Recorder()
    entries = [INVALID_CARD, TEST_CARD.number, "1230", "737", "94105"]
    seen: list[str] = []
    async with (
        console_client(sandbox) as client,
        client.get(sandbox.url + CONSOLE + "/events") as stream,
    ):
        assert stream.headers["Content-Type"] == "text/event-stream"
        call_sid = sandbox.start_call(console=True)
        agent = asyncio.create_task(agent_takes_payment(sandbox, call_sid, recorder))
        async for message in messages(stream):
            seen.append(str(message))
            if message["type"] == "snapshot":
                continue
            [payment] = message["call"]["payments"] or [None]
            if message["type"] == "request" and payment and payment["keypad"]:
                await press(client, sandbox, payment["sid"], *entries.pop(0), "#")
            if payment and payment["outcome"]:
                break
        outcome = await agent

    assert outcome.completed
    assert payment["outcome"]["Result"] == "success"
    assert payment["captured"]["payment-card-number"] == "xxxxxxxxxxxx1111"
    card = [e.fields for e in sandbox.events() if e.fields.get("Capture") == "payment-card-number"]
    typed = [c.get("PaymentCardNumber") for c in card if c["PartialResult"] == "true"]
    assert typed == ([None] + ["x" * n for n in range(1, 17)]) * 2  # one callback per key
    done = [c for c in card if c["PartialResult"] == "false"]
    assert [c.get("ErrorType") for c in done] == ["invalid-card-number", None]
    assert [c["PaymentCardNumber"] for c in done] == ["xxxxxxxxxxxx1112", "xxxxxxxxxxxx1111"]
    waits = recorder.answers("waitForPaymentUpdate")
    assert waits[-1]["entered"]["card_number"] == "xxxxxxxxxxxx1111"
    text = "".join(seen)
    assert "'PaymentCardNumber': 'xxxxxxxxxxxx1112'" in text
    assert leaks(text) == [] and leaks(caplog.text) == []
    assert "POST /sandbox/console/keys -> 200" in caplog.text  # the logs were read
    assert leaks(repr(sandbox.state)) == []


async def test_silence_times_out_and_hanging_up_ends_the_call(sandbox: Sandbox) -> None:
    call_sid = sandbox.start_call(console=True)
    async with OCPAgent() as agent, console_client(sandbox) as client:
        await agent.register_api("twilio", environ=sandbox.environ())
        base = {"CallSid": call_sid, "StatusCallback": "https://agent.example/pay"}
        created = await agent.call_tool("createPayments", {**base, "IdempotencyKey": "k1"})
        sid = created["sid"]
        capture = payment_arguments(call_sid, sid, "k2", Capture="payment-card-number")
        await agent.call_tool("updatePayments", capture)
        assert sid in sandbox.state.keying
        await wait_until(lambda: sid not in sandbox.state.keying)  # 0.3 s without a key
        assert sandbox.events(sid)[-1].fields["ErrorType"] == "input-timeout"
        await agent.call_tool("updatePayments", {**capture, "IdempotencyKey": "k3"})
        await press(client, sandbox, sid, "4", "1")
        assert repr(sandbox.state.keying[sid]) == "<PersonAtKeypad payment-card-number, 2 keys>"
        await press(client, sandbox, sid, "hang-up")

    last = sandbox.events(sid)[-1].fields
    assert last["Result"] == "caller-hung-up" and last["PartialResult"] == "false"
    assert not sandbox.state.calls[call_sid].live
    assert sandbox.payment(sid).state.value == "failed"


async def test_keys_are_refused_where_no_console_capture_waits(sandbox: Sandbox) -> None:
    scripted = sandbox.start_call()
    async with OCPAgent() as agent, console_client(sandbox) as client:
        await agent.register_api("twilio", environ=sandbox.environ())
        base = {"CallSid": scripted, "StatusCallback": "https://agent.example/pay"}
        sid = (await agent.call_tool("createPayments", {**base, "IdempotencyKey": "k1"}))["sid"]
        await agent.call_tool(
            "updatePayments", payment_arguments(scripted, sid, "k2", Capture="security-code")
        )
        keys = sandbox.url + CONSOLE + "/keys"
        for form, headers, status in [
            ({"Sid": sid, "Key": "4"}, {}, 400),  # a scripted caller: no keypad waits
            ({"Sid": "PK" + "0" * 32, "Key": "4"}, {}, 400),
            ({"Key": "4"}, {}, 400),
            ({"Sid": sid, "Key": "4"}, {"Origin": "https://elsewhere.example"}, 403),
        ]:
            async with client.post(keys, data=form, headers=headers) as answer:
                assert answer.status == status, await answer.text()
        console_call = sandbox.start_call(console=True)
        base = {"CallSid": console_call, "StatusCallback": "https://agent.example/pay"}
        sid = (await agent.call_tool("createPayments", {**base, "IdempotencyKey": "k3"}))["sid"]
        await agent.call_tool(
            "updatePayments", payment_arguments(console_call, sid, "k4", Capture="postal-code")
        )
        async with client.post(keys, data={"Sid": sid, "Key": "*"}) as answer:
            assert (answer.status, (await answer.json())["code"]) == (400, 64020)
        async with client.post(keys, data={"Sid": sid, "Key": "#"}) as answer:
            assert "at least one digit" in (await answer.json())["message"]


async def test_a_console_call_over_http(sandbox: Sandbox) -> None:
    status, started, _ = await raw_post(sandbox, "/sandbox/calls", {"Caller": "console"})
    assert status == 201 and sandbox.state.calls[started["sid"]].caller is None
    for form in [{"Caller": "robot"}, {"Caller": "console", "security-code": "123"}]:
        status, refused, _ = await raw_post(sandbox, "/sandbox/calls", form)
        assert (status, refused["code"]) == (400, 64020)
        assert refused["message"] == "Caller may only be console, and then with no script."


async def test_viewers_are_capped_and_a_closed_stream_is_let_go(sandbox: Sandbox) -> None:
    viewers = sandbox.console.viewers
    async with console_client(sandbox) as client:
        events = sandbox.url + CONSOLE + "/events"
        first = await client.get(events)
        second = await client.get(events)
        async with client.get(events) as third:
            assert third.status == 503
            assert "maximum of 2 viewers" in (await third.json())["message"]
        assert len(viewers) == 2
        first.close()  # the page went away
        await wait_until(lambda: len(viewers) == 1)
        async with client.get(events) as again:
            assert again.status == 200
            assert len(viewers) == 2
        second.close()
        await wait_until(lambda: len(viewers) == 0)


async def test_the_timeline_shows_of_a_request_only_what_was_checked(sandbox: Sandbox) -> None:
    call_sid = sandbox.start_call(console=True)
    form = {"IdempotencyKey": "k1", "StatusCallback": "https://agent.example/pay"}
    status, created, _ = await raw_post(
        sandbox, payments_path(sandbox, call_sid), {**form, "Description": TEST_CARD.number}
    )
    assert status == 201
    path = payments_path(sandbox, call_sid, created["sid"])
    status, _, _ = await raw_post(
        sandbox, path, {**form, "IdempotencyKey": "k2", "Capture": INVALID_CARD}
    )
    assert status == 400
    other_call = payments_path(sandbox, "CA" + "4111111111111111" * 2)
    assert (await raw_post(sandbox, other_call, {**form, "IdempotencyKey": "k3"}))[0] == 404

    requests = [e["fields"] for e in sandbox.console.timeline if e["kind"] == "request"]
    assert requests == [
        {"Request": "createPayments", "Answer": "201", "Sid": created["sid"]},
        {
            "Request": "updatePayments",
            "Answer": "400",
            "Sid": created["sid"],
            "ErrorCode": "64020",
            "ErrorMessage": "Capture names a field this session does not collect; it collects: "
            "payment-card-number, expiration-date, security-code, postal-code.",
        },
    ]
    assert leaks(str(sandbox.console.snapshot())) == []
