"""Scripted callers and test cards give Twilio's errors; API-key login; malformed requests get
Twilio's error body; memory stays bounded. All over real sockets."""

from __future__ import annotations

import base64
from typing import Any

import aiohttp
import pytest
from support.sandbox import CALLBACK, CAPTURES, basic_auth, payments_path, raw_post, wait_until

from ocp_twilio import OCPAgent, TwilioAPIError
from ocp_twilio.sandbox import (
    DECLINED_CARD,
    EXPIRED_DATE,
    HANG_UP,
    INVALID_CARD,
    SILENT,
    Limits,
    Sandbox,
    SessionState,
)

ERROR_KEYS = {"code", "message", "more_info", "status"}


async def pay(
    agent: OCPAgent, call_sid: str, steps: list[dict[str, str]], **options: Any
) -> tuple[str, list[str | None]]:
    """createPayments then each step; returns the sid and each step's error code (or None)."""
    created = await agent.call_tool(
        "createPayments",
        {
            "CallSid": call_sid,
            "IdempotencyKey": f"{call_sid}-c",
            "StatusCallback": CALLBACK,
            **options,
        },
    )
    sid = str(created["sid"])
    codes: list[str | None] = []
    for number, step in enumerate(steps):
        arguments = {"CallSid": call_sid, "Sid": sid, "StatusCallback": CALLBACK, **step}
        try:
            await agent.call_tool(
                "updatePayments", {**arguments, "IdempotencyKey": f"{sid}-{number}"}
            )
            codes.append(None)
        except TwilioAPIError as exc:
            codes.append(str(exc.code))
    return sid, codes


def finals(sandbox: Sandbox, sid: str) -> list[dict[str, str]]:
    """Each capture's closing callback, and the one after complete."""
    return [e.fields for e in sandbox.events(sid)[1:] if e.fields.get("PartialResult") != "true"]


CARD_STEPS = [{"Capture": c} for c in CAPTURES] + [{"Status": "complete"}]


@pytest.mark.parametrize(
    ("field", "entry", "error"),
    [
        ("payment-card-number", INVALID_CARD, "invalid-card-number"),
        ("payment-card-number", "378282246310005", "invalid-card-type"),  # amex, not allowed
        ("expiration-date", EXPIRED_DATE, "invalid-date"),
        ("expiration-date", "1399", "invalid-date"),
        ("security-code", "12", "invalid-security-code"),
        ("payment-card-number", SILENT, "input-timeout"),
    ],
)
async def test_a_wrong_entry_gives_its_error_and_the_field_is_asked_again(
    sandbox: Sandbox, sandbox_agent: OCPAgent, field: str, entry: str, error: str
) -> None:
    call_sid = sandbox.start_call({field: [entry]})
    again = [{"Capture": field}]
    steps = CARD_STEPS[:-1] + again + CARD_STEPS[-1:]
    sid, codes = await pay(sandbox_agent, call_sid, steps, ValidCardTypes="visa mastercard")

    assert codes == [None] * len(steps)
    closing = finals(sandbox, sid)
    wrong = next(c for c in closing if c["Capture"] == field)
    assert wrong["ErrorType"] == error
    assert field in wrong["Required"].split(",")
    assert "ErrorType" not in closing[-2]  # asked again: the default card's value is right
    assert closing[-1]["Result"] == "success"


async def test_the_demo_story_one_wrong_card_number_then_the_right_one(
    sandbox: Sandbox, sandbox_agent: OCPAgent
) -> None:
    call_sid = sandbox.start_call({"payment-card-number": [INVALID_CARD, "4242424242424242"]})
    steps = [{"Capture": "payment-card-number"}, *CARD_STEPS]
    sid, codes = await pay(sandbox_agent, call_sid, steps, ChargeAmount=10)

    assert codes == [None] * len(steps)
    cards = [c for c in finals(sandbox, sid) if c.get("Capture") == "payment-card-number"]
    assert [(c["PaymentCardNumber"], c.get("ErrorType")) for c in cards] == [
        ("xxxxxxxxxxxx1112", "invalid-card-number"),
        ("xxxxxxxxxxxx4242", None),
    ]
    last = finals(sandbox, sid)[-1]
    assert (last["Result"], last["PaymentCardNumber"]) == ("success", "xxxxxxxxxxxx4242")
    assert last["PaymentConfirmationCode"].startswith("SANDBOX-")
    assert "PaymentToken" not in last


@pytest.mark.parametrize(("charge", "code"), [(10, "64012"), (0, "64010")])
async def test_a_declined_card_fails_on_complete(
    sandbox: Sandbox, sandbox_agent: OCPAgent, charge: int, code: str
) -> None:
    call_sid = sandbox.start_call({"payment-card-number": [DECLINED_CARD]})
    sid, codes = await pay(sandbox_agent, call_sid, CARD_STEPS, ChargeAmount=charge)

    assert codes == [None] * len(CARD_STEPS)
    last = finals(sandbox, sid)[-1]
    assert last["Result"] == "payment-connector-error"
    assert (last["PaymentError"], last["PayErrorCode"]) == ("card is declined", code)
    assert "PaymentConfirmationCode" not in last and "PaymentToken" not in last
    assert sandbox.payment(sid).state is SessionState.FAILED


async def test_a_caller_who_hangs_up_ends_the_payment_and_the_call(
    sandbox: Sandbox, sandbox_agent: OCPAgent
) -> None:
    call_sid = sandbox.start_call({"security-code": [HANG_UP]})
    sid, codes = await pay(sandbox_agent, call_sid, CARD_STEPS)

    assert codes == [None, None, None, "64021", "64021"]  # the call is over
    last = finals(sandbox, sid)[-1]
    assert (last["Capture"], last["Result"]) == ("security-code", "caller-hung-up")
    assert sandbox.payment(sid).state is SessionState.FAILED


async def test_tokenizing_gives_a_payment_token(sandbox: Sandbox, sandbox_agent: OCPAgent) -> None:
    sid, _ = await pay(
        sandbox_agent, sandbox.start_call(), CARD_STEPS, ChargeAmount=0, TokenType="one-time"
    )

    last = finals(sandbox, sid)[-1]
    assert (last["Result"], last["TokenType"]) == ("success", "one-time")
    assert last["PaymentToken"].startswith("tok_sandbox_")
    assert "PaymentConfirmationCode" not in last and "ChargeAmount" not in last


async def test_a_caller_script_over_http_and_its_refusals(
    sandbox: Sandbox, sandbox_agent: OCPAgent
) -> None:
    status, body, _ = await raw_post(sandbox, "/sandbox/calls", {"expiration-date": EXPIRED_DATE})
    assert status == 201
    sid, _ = await pay(sandbox_agent, body["sid"], CARD_STEPS[:2])
    assert finals(sandbox, sid)[-1]["ErrorType"] == "invalid-date"

    for form in ({"card": "4111"}, {"postal-code": "12a"}, {"postal-code": "1" * 33}):
        status, body, _ = await raw_post(sandbox, "/sandbox/calls", form)
        assert (status, body["code"]) == (400, 64020)


async def test_api_key_login_is_accepted_as_twilio_accepts_it() -> None:
    key, secret = "SK" + "a" * 32, "key-secret"
    async with Sandbox(api_key_sid=key, api_key_secret=secret) as sandbox, OCPAgent() as agent:
        await agent.register_api("twilio", environ=sandbox.environ(api_key=True))
        sid, codes = await pay(agent, sandbox.start_call(), CARD_STEPS)
        assert codes == [None] * len(CARD_STEPS)
        form = {"IdempotencyKey": "k", "StatusCallback": CALLBACK}
        path = payments_path(sandbox, sandbox.start_call())
        for login, expected in [((key, secret), 201), ((key, sandbox.auth_token), 401)]:
            status, _, _ = await raw_post(sandbox, path, form, authorization=basic_auth(*login))
            assert status == expected
        assert sandbox.payment(sid).state is SessionState.COMPLETE


async def post_bytes(
    sandbox: Sandbox, path: str, body: bytes, content_type: str, authorization: bytes | None = None
) -> tuple[int, dict[str, Any]]:
    login = f"{sandbox.account_sid}:{sandbox.auth_token}".encode()
    headers = {
        "Content-Type": content_type,
        "Authorization": (authorization or b"Basic " + base64.b64encode(login)).decode("latin-1"),
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(sandbox.url + path, data=body, headers=headers) as response,
    ):
        return response.status, await response.json()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"--b\r\nContent-Disposition: form-data\r\n\r\nx", "multipart/form-data; boundary=b"),
        (b"IdempotencyKey=k", "application/x-www-form-urlencoded; charset=klingon"),
        (b"IdempotencyKey=%FF%FE&StatusCallback=x", "application/x-www-form-urlencoded"),
        (b"IdempotencyKey=\xff", "application/x-www-form-urlencoded; charset=utf-8"),
    ],
    ids=["broken-multipart", "unknown-charset", "non-utf8-escaped", "non-utf8-raw"],
)
async def test_an_unreadable_body_is_400_with_twilio_error_body(
    sandbox: Sandbox, body: bytes, content_type: str
) -> None:
    status, answer = await post_bytes(
        sandbox, payments_path(sandbox, sandbox.start_call()), body, content_type
    )

    assert (status, answer.get("status")) == (400, 400), answer
    assert set(answer) == ERROR_KEYS
    assert sandbox.state.sessions == {}


async def test_a_non_ascii_authorization_header_is_400(sandbox: Sandbox) -> None:
    path = payments_path(sandbox, sandbox.start_call())
    status, answer = await post_bytes(
        sandbox, path, b"", "text/plain", "Basic \xe9t\xe9".encode("latin-1")
    )
    assert (status, set(answer)) == (400, ERROR_KEYS)


async def test_a_body_too_large_is_413_with_twilio_error_body(sandbox: Sandbox) -> None:
    form = {"IdempotencyKey": "k", "StatusCallback": CALLBACK, "Description": "x" * 100_000}
    status, body, _ = await raw_post(sandbox, payments_path(sandbox, sandbox.start_call()), form)
    assert (status, body.get("status"), set(body)) == (413, 413, ERROR_KEYS), body


async def test_a_wrong_method_is_405_with_allow(sandbox: Sandbox) -> None:
    headers = {"Authorization": basic_auth(sandbox.account_sid, sandbox.auth_token)}
    async with (
        aiohttp.ClientSession() as session,
        session.delete(
            sandbox.url + payments_path(sandbox, sandbox.start_call()), headers=headers
        ) as r,
    ):
        body = await r.json()
    assert (r.status, body["code"], r.headers["Allow"]) == (405, 20004, "POST")


async def test_memory_is_bounded_finished_calls_make_room_open_ones_are_refused() -> None:
    limits = Limits(max_calls=3, max_events=50, max_idempotency_keys=10)
    async with Sandbox(limits=limits) as sandbox, OCPAgent() as agent:
        await agent.register_api("twilio", environ=sandbox.environ())
        for _ in range(10):  # whole payments: each finished call makes room for the next
            await pay(agent, sandbox.start_call(), CARD_STEPS)
        assert len(sandbox.state.calls) == len(sandbox.state.sessions) == 3
        assert len(sandbox.events()) == 50
        assert len(sandbox.state.idempotency._answers) == 10

        open_calls = [sandbox.start_call() for _ in range(3)]
        for call_sid in open_calls:
            await pay(agent, call_sid, [])
        status, body, _ = await raw_post(sandbox, "/sandbox/calls")
        assert (status, body["code"]) == (429, 20429)
        assert "max_calls" in body["message"]


async def test_idle_calls_never_hold_every_place() -> None:
    """Ten times the cap of calls started and never paid on: each new one takes the oldest
    idle call's place, and a call with an open payment keeps its own."""
    limits = Limits(max_calls=3)
    async with Sandbox(limits=limits) as sandbox, OCPAgent() as agent:
        await agent.register_api("twilio", environ=sandbox.environ())
        paying = sandbox.start_call()
        await pay(agent, paying, [])
        for _ in range(10 * limits.max_calls):
            status, _, _ = await raw_post(sandbox, "/sandbox/calls")
            assert status == 201
        assert len(sandbox.state.calls) == limits.max_calls
        assert paying in sandbox.state.calls


async def test_while_the_caller_types_complete_is_refused_and_a_new_capture_takes_over() -> None:
    async with Sandbox(typing_delay=0.5) as sandbox, OCPAgent() as agent:
        await agent.register_api("twilio", environ=sandbox.environ())
        card, expiry = {"Capture": CAPTURES[0]}, {"Capture": CAPTURES[1]}
        # Each step is sent long before the caller's first key (half a second).
        sid, codes = await pay(agent, sandbox.start_call(), [card, {"Status": "complete"}, expiry])
        assert codes == [None, "64021", None]

        await wait_until(lambda: any(c["Capture"] == CAPTURES[1] for c in finals(sandbox, sid)))
        assert [c["Capture"] for c in finals(sandbox, sid)] == [CAPTURES[1]]  # card typing stopped
        assert sandbox.payment(sid).missing[0] == CAPTURES[0]
