"""Calls in the sandbox, end to end over real sockets: every scripted recipient through the
library's own createCall (Twilio's file, strict response validation), callbacks only for the
events asked for, signed, in order, updates, and a created call that takes a payment."""

from __future__ import annotations

import re
import uuid

import aiohttp
import pytest
from support.sandbox import PhoneReceiver, basic_auth, raw_post, run_card_payment, wait_until

from ocp_twilio import OCPAgent, TwilioAPIError
from ocp_twilio.sandbox import (
    BUSY,
    DELIVERS,
    INVALID_NUMBER,
    LANDLINE,
    NO_ANSWER,
    SANDBOX_NUMBER,
    UNREACHABLE,
    Limits,
    Sandbox,
    Timing,
)

ALL_EVENTS = ["initiated", "ringing", "answered", "completed"]
CALLBACK_FIELDS = {
    "CallSid",
    "AccountSid",
    "From",
    "To",
    "CallStatus",
    "Direction",
    "ApiVersion",
    "CallbackSource",
    "Timestamp",
    "SequenceNumber",
}
RFC_2822 = re.compile(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000")


async def call(agent: OCPAgent, to: str, callback: str | None, **more: object) -> str:
    # A new SendKey each: these tests place the same call again on purpose (the send ledger
    # would refuse the repeat otherwise).
    arguments: dict[str, object] = {"To": to, "From": SANDBOX_NUMBER, "Twiml": "<Response/>"}
    arguments["SendKey"] = uuid.uuid4().hex
    if callback is not None:
        arguments["StatusCallback"] = callback
    created = await agent.call_tool("createCall", {**arguments, **more})
    assert (created["status"], created["direction"]) == ("queued", "outbound-api")
    assert created["start_time"] is None and created["duration"] is None
    return str(created["sid"])


async def ended(sandbox: Sandbox, sid: str) -> None:
    await wait_until(lambda: sandbox.state.voice.fetch(sid).final)


@pytest.mark.parametrize(
    ("to", "statuses"),
    [
        (BUSY, ["initiated", "ringing", "busy"]),
        (NO_ANSWER, ["initiated", "ringing", "no-answer"]),
        (UNREACHABLE, ["initiated", "failed"]),
        (DELIVERS, ["initiated", "ringing", "in-progress", "completed"]),
        (LANDLINE, ["initiated", "ringing", "in-progress", "completed"]),  # takes calls
    ],
)
async def test_each_scripted_recipient_moves_its_call_and_calls_back_signed(
    sandbox: Sandbox,
    phone_agent: OCPAgent,
    receiver: PhoneReceiver,
    to: str,
    statuses: list[str],
) -> None:
    callback = receiver.url + "/call-status"
    sid = await call(phone_agent, to, callback, StatusCallbackEvent=ALL_EVENTS)
    if "in-progress" in statuses:
        await wait_until(lambda: sandbox.state.voice.fetch(sid).status == "in-progress")
        answered = await phone_agent.call_tool("fetchCall", {"Sid": sid})
        assert RFC_2822.fullmatch(answered["start_time"]) and answered["end_time"] is None
        await phone_agent.call_tool("updateCall", {"Sid": sid, "Status": "completed"})
    await wait_until(lambda: len(receiver.of(sid)) == len(statuses))

    posted = receiver.of(sid)
    assert all(w.signed for w in receiver.received)
    assert [f["CallStatus"] for f in posted] == statuses
    assert [f["SequenceNumber"] for f in posted] == [str(n) for n in range(len(statuses))]
    for fields in posted[:-1]:
        assert set(fields) == CALLBACK_FIELDS
    assert set(posted[-1]) == CALLBACK_FIELDS | {"CallDuration"}
    for fields in posted:
        assert (fields["From"], fields["To"], fields["CallSid"]) == (SANDBOX_NUMBER, to, sid)
        assert (fields["Direction"], fields["ApiVersion"]) == ("outbound-api", "2010-04-01")
        assert fields["CallbackSource"] == "call-progress-events"
        assert fields["AccountSid"] == sandbox.account_sid
        assert RFC_2822.fullmatch(fields["Timestamp"])

    fetched = await phone_agent.call_tool("fetchCall", {"Sid": sid})
    assert fetched["status"] == statuses[-1]
    assert fetched["duration"] == posted[-1]["CallDuration"]
    assert RFC_2822.fullmatch(fetched["end_time"])
    assert fetched["price"] == ("-0.01400" if statuses[-1] == "completed" else None)
    assert fetched["to_formatted"] == f"({to[2:5]}) {to[5:8]}-{to[8:]}"


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([], ["completed"]),  # none asked for: the end only, as Twilio does
        (["ringing"], ["ringing"]),
        (["initiated", "completed"], ["initiated", "completed"]),
    ],
)
async def test_only_the_events_asked_for_are_called_back(
    sandbox: Sandbox,
    phone_agent: OCPAgent,
    receiver: PhoneReceiver,
    events: list[str],
    expected: list[str],
) -> None:
    more = {"StatusCallbackEvent": events} if events else {}
    sid = await call(phone_agent, BUSY, receiver.url + "/s", **more)
    await ended(sandbox, sid)
    await wait_until(lambda: len(sandbox.events(sid)) == len(expected))
    await wait_until(lambda: len(receiver.of(sid)) == len(expected))
    statuses = [f["CallStatus"] for f in receiver.of(sid)]
    assert statuses == [{"completed": "busy"}.get(e, e) for e in expected]
    assert [f["SequenceNumber"] for f in receiver.of(sid)] == [str(n) for n in range(len(expected))]


async def test_a_get_callback_carries_its_fields_in_the_signed_url(
    sandbox: Sandbox, phone_agent: OCPAgent, receiver: PhoneReceiver
) -> None:
    sid = await call(phone_agent, NO_ANSWER, receiver.url + "/s?app=1", StatusCallbackMethod="GET")
    await wait_until(lambda: len(receiver.of(sid)) == 1)
    [webhook] = receiver.received
    assert (webhook.method, webhook.signed) == ("GET", True)
    assert webhook.fields["app"] == "1" and webhook.fields["CallStatus"] == "no-answer"


async def test_an_answered_call_ends_by_itself_after_its_length() -> None:
    async with Sandbox(timing=Timing(call_length=0.05)) as sandbox:
        status, body, _ = await raw_post(
            sandbox,
            f"/2010-04-01/Accounts/{sandbox.account_sid}/Calls.json",
            {"To": DELIVERS, "From": SANDBOX_NUMBER, "Url": "https://example.com/twiml"},
        )
        assert status == 201
        await ended(sandbox, body["sid"])
        assert sandbox.state.voice.fetch(body["sid"]).status == "completed"


async def test_update_cancels_a_ringing_call_and_refuses_an_ended_one(
    sandbox: Sandbox, phone_agent: OCPAgent
) -> None:
    sandbox.state.voice.timing = Timing(step=30)
    sid = await call(phone_agent, DELIVERS, None)
    canceled = await phone_agent.call_tool("updateCall", {"Sid": sid, "Status": "canceled"})
    assert (canceled["status"], canceled["duration"], canceled["price"]) == ("canceled", "0", None)
    with pytest.raises(TwilioAPIError) as refused:
        await phone_agent.call_tool("updateCall", {"Sid": sid, "Twiml": "<Response/>"})
    assert refused.value.code == 21220


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"To": INVALID_NUMBER}, 21211),
        ({"To": "call me"}, 21211),
        ({"To": ""}, 21201),
        ({"From": ""}, 21213),
        ({"From": DELIVERS}, 21210),
        ({"Twiml": ""}, 21205),
        ({"Url": "javascript:alert(1)"}, 21205),
        ({"StatusCallbackEvent": "answered hung-up"}, 20001),
        ({"StatusCallbackMethod": "PUT"}, 20001),
        ({"Timeout": "soon"}, 20001),
        ({"ClientNotificationUrl": ""}, 21205),
        ({"Record": "maybe"}, 20001),
    ],
)
async def test_a_refused_call_gets_twilios_error(
    sandbox: Sandbox, form: dict[str, str], code: int
) -> None:
    path = f"/2010-04-01/Accounts/{sandbox.account_sid}/Calls.json"
    base = {"To": DELIVERS, "From": SANDBOX_NUMBER, "Twiml": "<Response/>"}
    status, body, _ = await raw_post(sandbox, path, {**base, **form})
    assert (status, body["code"], set(body)) == (
        400,
        code,
        {"code", "message", "more_info", "status"},
    )
    assert sandbox.state.voice.calls == {}


async def test_list_calls_filters_by_status_and_pages(
    sandbox: Sandbox, phone_agent: OCPAgent
) -> None:
    busy = [await call(phone_agent, BUSY, None) for _ in range(3)]
    failed = await call(phone_agent, UNREACHABLE, None)
    for sid in [*busy, failed]:
        await ended(sandbox, sid)
    page = await phone_agent.call_tool("listCall", {"Status": "busy", "PageSize": 2})
    assert [c["sid"] for c in page["calls"]] == busy[::-1][:2]
    assert "Status=busy" in page["next_page_uri"]
    listed = await phone_agent.call_tool("listCall", {"To": UNREACHABLE})
    assert [c["sid"] for c in listed["calls"]] == [failed]
    # Busy and failed calls never started; each ended.
    assert (await phone_agent.call_tool("listCall", {"StartTime": "2000-01-01T00:00:00Z"}))[
        "calls"
    ] == []
    long_ago = {"EndTimeAfter": "2000-01-01T00:00:00Z"}
    assert len((await phone_agent.call_tool("listCall", long_ago))["calls"]) == 4
    login = {"Authorization": basic_auth(sandbox.account_sid, sandbox.auth_token)}
    async with aiohttp.ClientSession(headers=login) as client:
        for query in ["StartTime%3E=", "Status=ended", "ParentCallSid=CA1"]:
            path = f"/2010-04-01/Accounts/{sandbox.account_sid}/Calls.json?{query}"
            async with client.get(sandbox.url + path) as answer:
                assert (answer.status, (await answer.json())["code"]) == (400, 20001), query


async def test_a_created_call_once_answered_takes_a_payment_and_its_end_ends_it(
    sandbox: Sandbox, phone_agent: OCPAgent, receiver: PhoneReceiver
) -> None:
    sid = await call(phone_agent, DELIVERS, None)
    await wait_until(lambda: sid in sandbox.state.calls)
    payment = await run_card_payment(phone_agent, sid, receiver.url + "/pay")
    assert sandbox.payment(payment).state.value == "complete"
    await phone_agent.call_tool("updateCall", {"Sid": sid, "Status": "completed"})
    assert not sandbox.state.calls[sid].live
    with pytest.raises(TwilioAPIError) as refused:
        await phone_agent.call_tool(
            "createPayments",
            {"CallSid": sid, "IdempotencyKey": "again", "StatusCallback": receiver.url + "/pay"},
        )
    assert refused.value.code == 64021


async def test_calls_are_bounded_the_oldest_ended_one_making_room() -> None:
    async with Sandbox(limits=Limits(max_calls=2), timing=Timing(step=0)) as sandbox:
        path = f"/2010-04-01/Accounts/{sandbox.account_sid}/Calls.json"
        form = {"To": BUSY, "From": SANDBOX_NUMBER, "Twiml": "<Response/>"}
        sids = []
        for _ in range(3):
            status, body, _ = await raw_post(sandbox, path, form)
            assert status == 201
            sids.append(body["sid"])
            await ended(sandbox, body["sid"])
        assert list(sandbox.state.voice.calls) == sids[1:]
        sandbox.state.voice.timing = Timing(step=30)
        for _ in range(2):
            assert (await raw_post(sandbox, path, form))[0] == 201
        status, body, _ = await raw_post(sandbox, path, form)
        assert (status, body["code"]) == (429, 20429)
