"""StatusCallback events: posted to a loopback receiver, recorded always, readable back."""

from __future__ import annotations

import aiohttp
from conftest import RecordingServer
from sandbox_support import CALLBACK, basic_auth, run_card_payment, wait_until

from ocp_twilio import OCPAgent
from ocp_twilio.sandbox import Sandbox


async def test_events_are_posted_form_encoded_to_a_loopback_receiver(
    sandbox: Sandbox, sandbox_agent: OCPAgent, recording_server: RecordingServer
) -> None:
    callback = recording_server.url + "/pay-status"
    sid = await run_card_payment(sandbox_agent, sandbox.start_call(), callback)
    events = sandbox.events(sid)
    await wait_until(lambda: all(e.response_status is not None for e in events))

    assert len(events) == 6  # create, four captures, complete
    assert [e.response_status for e in events] == [202] * 6
    assert all(e.posted and e.error is None for e in events)
    received = recording_server.requests
    assert [r.path_qs for r in received] == ["/pay-status"] * 6
    assert all(r.headers["Content-Type"] == "application/x-www-form-urlencoded" for r in received)
    # Deliveries run concurrently, so their order is not fixed; each event arrives once.
    posted = sorted(tuple(sorted(r.form)) for r in received)
    assert posted == sorted(tuple(sorted(e.fields.items())) for e in events)


async def test_events_follow_the_session(sandbox: Sandbox, sandbox_agent: OCPAgent) -> None:
    call_sid = sandbox.start_call()
    sid = await run_card_payment(sandbox_agent, call_sid)
    events = [e.fields for e in sandbox.events(sid)]

    assert [e.get("Capture") or e.get("Status") for e in events] == [
        None,
        "payment-card-number",
        "expiration-date",
        "security-code",
        "postal-code",
        "complete",
    ]
    assert events[0]["Required"] == (
        "payment-card-number,expiration-date,security-code,postal-code"
    )
    assert events[4]["Required"] == ""
    assert [e["PartialResult"] for e in events] == ["true"] * 5 + ["false"]
    assert events[-1]["Result"] == "success"
    for event in events:
        assert (event["AccountSid"], event["CallSid"], event["Sid"]) == (
            sandbox.account_sid,
            call_sid,
            sid,
        )


async def test_a_callback_off_this_machine_is_recorded_but_not_sent(
    sandbox: Sandbox, sandbox_agent: OCPAgent
) -> None:
    sid = await run_card_payment(sandbox_agent, sandbox.start_call(), CALLBACK)
    events = sandbox.events(sid)

    assert len(events) == 6
    assert all(not e.posted and e.response_status is None and e.error is None for e in events)


async def test_a_receiver_that_is_down_is_recorded_as_an_error(
    sandbox: Sandbox, sandbox_agent: OCPAgent, unused_tcp_port: int
) -> None:
    callback = f"http://127.0.0.1:{unused_tcp_port}/pay-status"
    sid = await run_card_payment(sandbox_agent, sandbox.start_call(), callback)
    events = sandbox.events(sid)
    await wait_until(lambda: all(e.error is not None for e in events))

    assert all(e.posted and e.response_status is None for e in events)


async def test_events_are_readable_over_http(sandbox: Sandbox, sandbox_agent: OCPAgent) -> None:
    sid = await run_card_payment(sandbox_agent, sandbox.start_call())
    await run_card_payment(sandbox_agent, sandbox.start_call())
    headers = {"Authorization": basic_auth(sandbox.account_sid, sandbox.auth_token)}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{sandbox.url}/sandbox/events", params={"Sid": sid}, headers=headers) as r,
    ):
        body = await r.json()

    assert r.status == 200
    assert [e["fields"] for e in body["events"]] == [e.fields for e in sandbox.events(sid)]
    assert len(sandbox.events()) == 12
