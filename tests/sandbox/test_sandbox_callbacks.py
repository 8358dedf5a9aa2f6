"""StatusCallback events: signed as Twilio signs them, posted in order to a loopback receiver,
key by key as the simulated caller types, recorded always, readable back."""

from __future__ import annotations

import re

import aiohttp
from support.sandbox import CALLBACK, basic_auth, run_card_payment, wait_until
from support.servers import RecordingServer
from twilio.request_validator import RequestValidator

from ocp_twilio import OCPAgent
from ocp_twilio.sandbox import TEST_CARD, Sandbox

BASE = {"AccountSid", "CallSid", "Sid", "DateCreated", "PaymentConnector", "PaymentMethod"}
ISO_8601 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def capture_callbacks(
    field: str, value_field: str, digits: int, final: str
) -> list[dict[str, str]]:
    """What one Capture posts: the update, one callback per key, then the entered value."""
    return [
        {"Capture": field, "PartialResult": "true"},
        *(
            {"Capture": field, "PartialResult": "true", value_field: "x" * n}
            for n in range(1, digits)
        ),
        {"Capture": field, "PartialResult": "false", value_field: final},
    ]


async def test_every_callback_is_signed_and_twilio_python_accepts_it(
    sandbox: Sandbox, sandbox_agent: OCPAgent, recording_server: RecordingServer
) -> None:
    callback = recording_server.url + "/pay-status?order=42"
    sid = await run_card_payment(sandbox_agent, sandbox.start_call(), callback)
    events = sandbox.events(sid)
    await wait_until(lambda: all(e.response_status is not None for e in events))

    validator = RequestValidator(sandbox.auth_token)
    received = recording_server.requests
    assert len(received) == len(events) > 6
    for request in received:
        assert request.path_qs == "/pay-status?order=42"
        assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
        signature = request.headers["X-Twilio-Signature"]
        assert validator.validate(callback, dict(request.form), signature)
        assert not validator.validate(callback, {**dict(request.form), "Sid": "PKx"}, signature)
        assert not RequestValidator("another-token").validate(
            callback, dict(request.form), signature
        )


async def test_callbacks_follow_the_caller_key_by_key_in_order(
    sandbox: Sandbox, sandbox_agent: OCPAgent, recording_server: RecordingServer
) -> None:
    callback = recording_server.url + "/pay-status"
    call_sid = sandbox.start_call()
    sid = await run_card_payment(sandbox_agent, call_sid, callback)
    events = sandbox.events(sid)
    await wait_until(lambda: len(recording_server.requests) == len(events))
    posted = [dict(r.form) for r in recording_server.requests]

    assert posted == [e.fields for e in events]  # one payment's callbacks arrive in order
    first, *captures, last = posted
    assert set(first) == BASE | {"TokenType"}  # after create: only the base fields
    assert (first["Sid"], first["CallSid"], first["AccountSid"]) == (
        sid,
        call_sid,
        sandbox.account_sid,
    )
    assert "PaymentSid" not in first
    expected = [
        *capture_callbacks("payment-card-number", "PaymentCardNumber", 16, "xxxxxxxxxxxx1111"),
        *capture_callbacks("expiration-date", "ExpirationDate", 4, TEST_CARD.expiry_mmyy),
        *capture_callbacks("security-code", "SecurityCode", 3, "xxx"),
        *capture_callbacks("postal-code", "PaymentCardPostalCode", 5, TEST_CARD.postal_code),
    ]
    shown = ("Capture", "PartialResult", "PaymentCardNumber", "ExpirationDate", "SecurityCode")
    shown += ("PaymentCardPostalCode",)
    own = [{k: v for k, v in c.items() if k in shown} for c in captures]
    # Earlier values stay in later callbacks; compare each callback's own field.
    for got, want in zip(own, expected, strict=True):
        assert {k: got[k] for k in want} == want
    requires = [c["Required"] for c in captures if c["PartialResult"] == "false"]
    assert requires == [
        "expiration-date,security-code,postal-code",
        "security-code,postal-code",
        "postal-code",
        "",
    ]
    assert (
        captures[0]["Required"] == "payment-card-number,expiration-date,security-code,postal-code"
    )
    assert all(c["PaymentCardType"] == "visa" for c in captures[17:])
    assert (last["Result"], last["Required"]) == ("success", "")
    assert last["PaymentToken"].startswith("tok_sandbox_")  # no ChargeAmount: tokenized
    for event in posted:
        assert ISO_8601.fullmatch(event["DateCreated"])
        assert "DateUpdated" not in event or ISO_8601.fullmatch(event["DateUpdated"])


async def test_a_slow_caller_types_after_the_answer(
    recording_server: RecordingServer,
) -> None:
    callback = recording_server.url + "/pay-status"
    async with Sandbox(typing_delay=0.01) as sandbox, OCPAgent() as agent:
        await agent.register_api("twilio", environ=sandbox.environ())
        call_sid = sandbox.start_call()
        created = await agent.call_tool(
            "createPayments",
            {"CallSid": call_sid, "IdempotencyKey": "c", "StatusCallback": callback},
        )
        sid = created["sid"]
        step = {"CallSid": call_sid, "Sid": sid, "StatusCallback": callback}
        await agent.call_tool(
            "updatePayments", {**step, "IdempotencyKey": "k", "Capture": "security-code"}
        )
        answered = sandbox.events(sid)[-1].fields  # the caller has not typed yet
        assert (answered["PartialResult"], "SecurityCode" in answered) == ("true", False)
        assert "security-code" in sandbox.payment(sid).missing

        await wait_until(lambda: sandbox.events(sid)[-1].fields["PartialResult"] == "false")
        assert [e.fields.get("SecurityCode") for e in sandbox.events(sid)[1:]] == [
            None,
            "x",
            "xx",
            "xxx",
        ]
        assert "security-code" not in sandbox.payment(sid).missing


async def test_a_callback_off_this_machine_is_recorded_but_not_sent(
    sandbox: Sandbox, sandbox_agent: OCPAgent
) -> None:
    sid = await run_card_payment(sandbox_agent, sandbox.start_call(), CALLBACK)
    events = sandbox.events(sid)

    assert len(events) > 6
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
    assert len(sandbox.events()) == 2 * len(sandbox.events(sid))
