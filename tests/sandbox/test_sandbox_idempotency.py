"""IdempotencyKey in the sandbox: replay gives the first answer, conflicting reuse is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.sandbox import CALLBACK, CAPTURES, payment_arguments, payments_path, raw_post

from ocp_twilio import OCPAgent, TwilioAPIError
from ocp_twilio.sandbox import Sandbox, SessionState


async def test_repeated_create_gives_the_first_answer_and_changes_nothing(
    sandbox: Sandbox,
) -> None:
    call_sid = sandbox.start_call()
    form = {"IdempotencyKey": "order-1", "StatusCallback": CALLBACK, "ChargeAmount": "10"}
    first = await raw_post(sandbox, payments_path(sandbox, call_sid), form)
    # Were the answer made again, it would carry the session's later date.
    sandbox.payment(first[1]["sid"]).updated += timedelta(days=1)
    again = await raw_post(sandbox, payments_path(sandbox, call_sid), form)

    assert first[:2] == again[:2]
    assert first[0] == 201
    assert len(sandbox.state.sessions) == 1
    assert len(sandbox.events()) == 1


async def test_repeated_capture_changes_nothing(sandbox: Sandbox, sandbox_agent: OCPAgent) -> None:
    call_sid = sandbox.start_call()
    created = await sandbox_agent.call_tool(
        "createPayments", {"CallSid": call_sid, "IdempotencyKey": "c", "StatusCallback": CALLBACK}
    )
    step = payment_arguments(call_sid, created["sid"], "card", Capture=CAPTURES[0])
    first = await sandbox_agent.call_tool("updatePayments", step)
    events = len(sandbox.events())
    again = await sandbox_agent.call_tool("updatePayments", step)

    assert again == first
    assert len(sandbox.events()) == events
    assert sandbox.payment(created["sid"]).shown.keys() == {CAPTURES[0]}


@pytest.mark.parametrize(
    "change",
    [
        {"Capture": CAPTURES[1]},
        {"StatusCallback": "https://agent.example/other"},
    ],
    ids=["other-capture", "other-callback"],
)
async def test_reusing_a_key_for_a_different_request_is_409(
    sandbox: Sandbox, sandbox_agent: OCPAgent, change: dict[str, str]
) -> None:
    call_sid = sandbox.start_call()
    created = await sandbox_agent.call_tool(
        "createPayments", {"CallSid": call_sid, "IdempotencyKey": "c", "StatusCallback": CALLBACK}
    )
    sid = created["sid"]
    await sandbox_agent.call_tool(
        "updatePayments", payment_arguments(call_sid, sid, "step", Capture=CAPTURES[0])
    )
    events = len(sandbox.events())

    with pytest.raises(TwilioAPIError) as raised:
        await sandbox_agent.call_tool(
            "updatePayments",
            {**payment_arguments(call_sid, sid, "step", Capture=CAPTURES[0]), **change},
        )

    assert (raised.value.status, raised.value.code) == (409, 64020)
    assert "IdempotencyKey" in raised.value.message
    assert len(sandbox.events()) == events
    assert sandbox.payment(sid).shown.keys() == {CAPTURES[0]}


async def test_key_of_another_operation_conflicts(sandbox: Sandbox) -> None:
    call_sid = sandbox.start_call()
    form = {"IdempotencyKey": "shared", "StatusCallback": CALLBACK}
    status, body, _ = await raw_post(sandbox, payments_path(sandbox, call_sid), form)
    assert status == 201
    form["Capture"] = CAPTURES[0]
    status, body, _ = await raw_post(sandbox, payments_path(sandbox, call_sid, body["sid"]), form)
    assert (status, body["code"], body["status"]) == (409, 64020, 409)


async def test_a_refused_request_is_judged_again(sandbox: Sandbox, sandbox_agent: OCPAgent) -> None:
    call_sid = sandbox.start_call()
    created = await sandbox_agent.call_tool(
        "createPayments", {"CallSid": call_sid, "IdempotencyKey": "c", "StatusCallback": CALLBACK}
    )
    sid = created["sid"]
    complete = payment_arguments(call_sid, sid, "complete", Status="complete")
    with pytest.raises(TwilioAPIError) as early:
        await sandbox_agent.call_tool("updatePayments", complete)
    assert early.value.code == 64019

    for field in CAPTURES:
        await sandbox_agent.call_tool(
            "updatePayments", payment_arguments(call_sid, sid, field, Capture=field)
        )
    await sandbox_agent.call_tool("updatePayments", complete)
    assert sandbox.payment(sid).state is SessionState.COMPLETE
