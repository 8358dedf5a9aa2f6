"""The sandbox's Payments API through a real socket: the happy path and every error path."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import pytest
from support.sandbox import (
    CALLBACK,
    CAPTURES,
    basic_auth,
    payment_arguments,
    payments_path,
    raw_post,
)

from ocp_twilio import OCPAgent, TwilioAPIError
from ocp_twilio.sandbox import Sandbox, SessionState

ERROR_KEYS = {"code", "message", "more_info", "status"}


async def start_payment(agent: OCPAgent, call_sid: str, key: str = "create", **options: Any) -> str:
    arguments = {"CallSid": call_sid, "IdempotencyKey": key, "StatusCallback": CALLBACK, **options}
    result = await agent.call_tool("createPayments", arguments)
    return str(result["sid"])


async def update(agent: OCPAgent, call_sid: str, sid: str, key: str, **step: str) -> Any:
    return await agent.call_tool("updatePayments", payment_arguments(call_sid, sid, key, **step))


def assert_twilio_error(error: TwilioAPIError, status: int, code: int) -> None:
    assert (error.status, error.code) == (status, code)
    assert error.more_info == f"https://www.twilio.com/docs/errors/{code}"


async def test_create_answers_201_with_a_payments_resource(sandbox: Sandbox) -> None:
    call_sid = sandbox.start_call()
    form = {"IdempotencyKey": "k1", "StatusCallback": CALLBACK}
    status, body, _ = await raw_post(sandbox, payments_path(sandbox, call_sid), form)

    assert status == 201
    assert re.fullmatch(r"PK[0-9a-f]{32}", body["sid"])
    assert (body["account_sid"], body["call_sid"]) == (sandbox.account_sid, call_sid)
    assert body["uri"] == payments_path(sandbox, call_sid, body["sid"])
    for name in ("date_created", "date_updated"):
        assert parsedate_to_datetime(body[name]).utcoffset() is not None
        assert body[name].endswith(" +0000")


async def test_update_answers_202_and_a_whole_payment_completes(
    sandbox: Sandbox, sandbox_agent: OCPAgent
) -> None:
    call_sid = sandbox.start_call()
    sid = await start_payment(sandbox_agent, call_sid, ChargeAmount=12.5)
    form = {"IdempotencyKey": "k-card", "StatusCallback": CALLBACK, "Capture": CAPTURES[0]}
    status, body, _ = await raw_post(sandbox, payments_path(sandbox, call_sid, sid), form)
    assert (status, body["sid"]) == (202, sid)

    for field in CAPTURES[1:]:
        await update(sandbox_agent, call_sid, sid, f"k-{field}", Capture=field)
    result = await update(sandbox_agent, call_sid, sid, "k-done", Status="complete")

    assert result["sid"] == sid
    session = sandbox.payment(sid)
    assert session.state is SessionState.COMPLETE
    assert session.missing == ()
    assert sandbox.events(sid)[-1].fields["Result"] == "success"


async def test_sandbox_only_endpoint_starts_a_call(
    sandbox: Sandbox, sandbox_agent: OCPAgent
) -> None:
    status, body, _ = await raw_post(sandbox, "/sandbox/calls")

    assert status == 201
    assert body["status"] == "in-progress"
    assert re.fullmatch(r"CA[0-9a-f]{32}", body["sid"])
    assert await start_payment(sandbox_agent, body["sid"])


async def test_unknown_call_is_404(sandbox: Sandbox, sandbox_agent: OCPAgent) -> None:
    with pytest.raises(TwilioAPIError) as raised:
        await start_payment(sandbox_agent, "CA" + "0" * 32)
    assert_twilio_error(raised.value, 404, 20404)


async def test_unknown_payment_is_404(sandbox: Sandbox, sandbox_agent: OCPAgent) -> None:
    call_sid = sandbox.start_call()
    with pytest.raises(TwilioAPIError) as raised:
        await update(sandbox_agent, call_sid, "PK" + "0" * 32, "k", Capture=CAPTURES[0])
    assert_twilio_error(raised.value, 404, 20404)


async def test_payment_of_another_call_is_404(sandbox: Sandbox, sandbox_agent: OCPAgent) -> None:
    sid = await start_payment(sandbox_agent, sandbox.start_call())
    with pytest.raises(TwilioAPIError) as raised:
        await update(sandbox_agent, sandbox.start_call(), sid, "k", Capture=CAPTURES[0])
    assert_twilio_error(raised.value, 404, 20404)


async def test_unknown_account_is_404(sandbox: Sandbox) -> None:
    call_sid = sandbox.start_call()
    path = payments_path(sandbox, call_sid).replace(sandbox.account_sid, "AC" + "0" * 32)
    status, body, _ = await raw_post(
        sandbox, path, {"IdempotencyKey": "k", "StatusCallback": CALLBACK}
    )
    assert (status, body["code"]) == (404, 20404)
    assert set(body) == ERROR_KEYS


async def test_unknown_route_is_404(sandbox: Sandbox) -> None:
    status, body, _ = await raw_post(sandbox, "/2010-04-01/Accounts/Nope.json")
    assert (status, body["code"], body["status"]) == (404, 20404, 404)


@pytest.mark.parametrize(
    "login", ["wrong-token", "other-account", "none", "not-basic", "not-base64", "non-ascii"]
)
async def test_bad_credentials_are_401(sandbox: Sandbox, login: str) -> None:
    call_sid = sandbox.start_call()
    authorization = {
        "wrong-token": basic_auth(sandbox.account_sid, "wrong"),
        "other-account": basic_auth("AC" + "0" * 32, sandbox.auth_token),
        "none": "",
        "not-basic": "Bearer " + sandbox.auth_token,
        "not-base64": "Basic %%%",
        "non-ascii": basic_auth(sandbox.account_sid, "t\u00f6ken"),
    }[login]
    form = {"IdempotencyKey": "k", "StatusCallback": CALLBACK}
    status, body, headers = await raw_post(
        sandbox, payments_path(sandbox, call_sid), form, authorization=authorization
    )

    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Basic")
    assert body == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
    assert sandbox.state.sessions == {}


@pytest.mark.parametrize(
    "step",
    [{}, {"Capture": "payment-card-number", "Status": "complete"}],
    ids=["neither", "both"],
)
async def test_exactly_one_of_capture_or_status_else_64018(
    sandbox: Sandbox, sandbox_agent: OCPAgent, step: dict[str, str]
) -> None:
    call_sid = sandbox.start_call()
    sid = await start_payment(sandbox_agent, call_sid)
    form = {"IdempotencyKey": "k", "StatusCallback": CALLBACK, **step}
    status, body, _ = await raw_post(sandbox, payments_path(sandbox, call_sid, sid), form)
    assert (status, body["code"]) == (400, 64018)
    assert set(body) == ERROR_KEYS


async def test_complete_before_every_field_is_64019(
    sandbox: Sandbox, sandbox_agent: OCPAgent
) -> None:
    call_sid = sandbox.start_call()
    sid = await start_payment(sandbox_agent, call_sid)
    for field in CAPTURES[:3]:
        await update(sandbox_agent, call_sid, sid, field, Capture=field)

    with pytest.raises(TwilioAPIError) as raised:
        await update(sandbox_agent, call_sid, sid, "done", Status="complete")

    assert_twilio_error(raised.value, 400, 64019)
    assert "postal-code" in raised.value.message
    assert sandbox.payment(sid).state is SessionState.ACTIVE


async def test_security_and_postal_code_can_be_turned_off(
    sandbox: Sandbox, sandbox_agent: OCPAgent
) -> None:
    call_sid = sandbox.start_call()
    sid = await start_payment(sandbox_agent, call_sid, SecurityCode=False, PostalCode=False)
    for field in CAPTURES[:2]:
        await update(sandbox_agent, call_sid, sid, field, Capture=field)
    await update(sandbox_agent, call_sid, sid, "done", Status="complete")

    assert sandbox.payment(sid).state is SessionState.COMPLETE
    with pytest.raises(TwilioAPIError):  # the session does not collect it, and it is over
        await update(sandbox_agent, call_sid, sid, "late", Capture="security-code")


async def test_capture_of_a_field_the_session_does_not_collect_is_64020(
    sandbox: Sandbox, sandbox_agent: OCPAgent
) -> None:
    call_sid = sandbox.start_call()
    sid = await start_payment(sandbox_agent, call_sid)
    with pytest.raises(TwilioAPIError) as raised:
        await update(sandbox_agent, call_sid, sid, "k", Capture="bank-account-number")
    assert_twilio_error(raised.value, 400, 64020)


@pytest.mark.parametrize("ending", ["complete", "cancel"])
async def test_any_update_after_the_end_is_64021(
    sandbox: Sandbox, sandbox_agent: OCPAgent, ending: str
) -> None:
    call_sid = sandbox.start_call()
    sid = await start_payment(sandbox_agent, call_sid)
    if ending == "complete":
        for field in CAPTURES:
            await update(sandbox_agent, call_sid, sid, field, Capture=field)
    await update(sandbox_agent, call_sid, sid, "end", Status=ending)

    for key, step in [("again-1", {"Capture": CAPTURES[0]}), ("again-2", {"Status": "cancel"})]:
        with pytest.raises(TwilioAPIError) as raised:
            await update(sandbox_agent, call_sid, sid, key, **step)
        assert_twilio_error(raised.value, 400, 64021)
    expected = SessionState.COMPLETE if ending == "complete" else SessionState.CANCELLED
    assert sandbox.payment(sid).state is expected


async def test_bank_debit_completes_with_routing_and_account_number(
    sandbox: Sandbox, sandbox_agent: OCPAgent
) -> None:
    call_sid = sandbox.start_call()
    sid = await start_payment(
        sandbox_agent, call_sid, PaymentMethod="ach-debit", BankAccountType="consumer-checking"
    )
    for field in ("bank-routing-number", "bank-account-number"):
        await update(sandbox_agent, call_sid, sid, field, Capture=field)
    await update(sandbox_agent, call_sid, sid, "done", Status="complete")

    assert sandbox.events(sid)[-1].fields["PaymentMethod"] == "ach-debit"
    assert sandbox.payment(sid).state is SessionState.COMPLETE


async def test_matching_inputs_require_the_matcher_capture(
    sandbox: Sandbox, sandbox_agent: OCPAgent
) -> None:
    call_sid = sandbox.start_call()
    sid = await start_payment(sandbox_agent, call_sid, RequireMatchingInputs="payment-card-number")
    with pytest.raises(TwilioAPIError) as early:
        await update(sandbox_agent, call_sid, sid, "m0", Capture="payment-card-number-matcher")
    assert_twilio_error(early.value, 400, 64021)
    for field in CAPTURES:
        await update(sandbox_agent, call_sid, sid, field, Capture=field)
    with pytest.raises(TwilioAPIError) as incomplete:
        await update(sandbox_agent, call_sid, sid, "done-1", Status="complete")
    assert_twilio_error(incomplete.value, 400, 64019)

    await update(sandbox_agent, call_sid, sid, "m1", Capture="payment-card-number-matcher")
    await update(sandbox_agent, call_sid, sid, "done-2", Status="complete")
    assert sandbox.payment(sid).state is SessionState.COMPLETE


async def test_missing_idempotency_key_or_callback_is_64020(sandbox: Sandbox) -> None:
    call_sid = sandbox.start_call()
    for form in ({"StatusCallback": CALLBACK}, {"IdempotencyKey": "k"}):
        status, body, _ = await raw_post(sandbox, payments_path(sandbox, call_sid), form)
        assert (status, body["code"]) == (400, 64020)
    assert sandbox.state.sessions == {}


async def test_wrong_method_is_405_with_twilio_error_body(sandbox: Sandbox) -> None:
    headers = {"Authorization": basic_auth(sandbox.account_sid, sandbox.auth_token)}
    path = payments_path(sandbox, sandbox.start_call())
    async with (
        aiohttp.ClientSession() as session,
        session.get(sandbox.url + path, headers=headers) as r,
    ):
        body = await r.json()
    assert (r.status, body["status"], body["code"]) == (405, 405, 20004)
    assert set(body) == ERROR_KEYS
