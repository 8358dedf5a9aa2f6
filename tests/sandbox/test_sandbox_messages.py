"""Texts in the sandbox, end to end over real sockets: every scripted recipient through the
library's own createMessage (Twilio's file, strict response validation), the signed status
callbacks a real receiver gets, paging and filters, delete, redact, and the bounds."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from support.sandbox import PhoneReceiver, basic_auth, raw_post, wait_until

from ocp_twilio import OCPAgent, TwilioAPIError
from ocp_twilio.sandbox import (
    DELIVERS,
    FAILS,
    INVALID_NUMBER,
    LANDLINE,
    OPTED_OUT,
    SANDBOX_NUMBER,
    STOPS,
    UNREACHABLE,
    Limits,
    Sandbox,
    Timing,
)

RFC_2822 = re.compile(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000")
CALLBACK_FIELDS = {
    "MessageSid",
    "SmsSid",
    "MessageStatus",
    "SmsStatus",
    "From",
    "To",
    "AccountSid",
    "ApiVersion",
}


def messages_path(sandbox: Sandbox, sid: str | None = None) -> str:
    tail = f"/{sid}.json" if sid else ".json"
    return f"/2010-04-01/Accounts/{sandbox.account_sid}/Messages{tail}"


async def raw_get(sandbox: Sandbox, path: str, method: str = "GET") -> tuple[int, Any]:
    headers = {"Authorization": basic_auth(sandbox.account_sid, sandbox.auth_token)}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, sandbox.url + path, headers=headers) as response,
    ):
        body = await response.json() if response.status != 204 else None
        return response.status, body


async def send(agent: OCPAgent, to: str, callback: str | None = None, **more: str) -> str:
    # A new SendKey each: these tests send the same text again on purpose (the send ledger
    # would refuse the repeat otherwise).
    arguments = {"To": to, "From": SANDBOX_NUMBER, "Body": "Your appointment is at 10", **more}
    arguments["SendKey"] = uuid.uuid4().hex
    if callback is not None:
        arguments["StatusCallback"] = callback
    created = await agent.call_tool("createMessage", arguments)
    assert created["status"] == "queued"
    assert created["date_sent"] is None and created["price"] is None
    return str(created["sid"])


async def final(sandbox: Sandbox, sid: str) -> None:
    await wait_until(lambda: sandbox.state.messaging.fetch(sid).final)


@pytest.mark.parametrize(
    ("to", "statuses", "error_code"),
    [
        (DELIVERS, ["sent", "delivered"], None),
        (LANDLINE, ["sent", "undelivered"], 30006),
        (UNREACHABLE, ["sent", "undelivered"], 30003),
        (FAILS, ["failed"], 30008),
    ],
)
async def test_each_scripted_recipient_moves_its_text_and_calls_back_signed(
    sandbox: Sandbox,
    phone_agent: OCPAgent,
    receiver: PhoneReceiver,
    to: str,
    statuses: list[str],
    error_code: int | None,
) -> None:
    callback = receiver.url + "/sms-status?order=7"
    sid = await send(phone_agent, to, callback)
    assert re.fullmatch(r"SM[0-9a-f]{32}", sid)
    await wait_until(lambda: len(receiver.of(sid)) == len(statuses))

    assert all(w.signed and w.method == "POST" for w in receiver.received)
    assert all(w.path == "/sms-status" for w in receiver.received)
    posted = receiver.of(sid)
    assert [f["MessageStatus"] for f in posted] == statuses  # in order
    assert [f["SmsStatus"] for f in posted] == statuses
    for fields in posted:
        code = {"ErrorCode"} if fields["MessageStatus"] in ("undelivered", "failed") else set()
        assert set(fields) == CALLBACK_FIELDS | code
        assert (fields["MessageSid"], fields["SmsSid"]) == (sid, sid)
        assert (fields["From"], fields["To"]) == (SANDBOX_NUMBER, to)
        assert fields["AccountSid"] == sandbox.account_sid
        assert fields["ApiVersion"] == "2010-04-01"
    if error_code is not None:
        assert posted[-1]["ErrorCode"] == str(error_code)

    fetched = await phone_agent.call_tool("fetchMessage", {"Sid": sid})
    assert (fetched["status"], fetched["error_code"]) == (statuses[-1], error_code)
    assert fetched["direction"] == "outbound-api"
    assert (fetched["num_segments"], fetched["num_media"]) == ("1", "0")
    assert RFC_2822.fullmatch(fetched["date_created"])
    if statuses[0] == "sent":
        assert RFC_2822.fullmatch(fetched["date_sent"])
        assert (fetched["price"], fetched["price_unit"]) == ("-0.00790", "USD")
    else:
        assert fetched["date_sent"] is None and fetched["price"] is None
    assert fetched["uri"] == messages_path(sandbox, sid)


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"To": OPTED_OUT}, 21610),
        ({"To": INVALID_NUMBER}, 21211),
        ({"To": "555-0101"}, 21211),
        ({"To": SANDBOX_NUMBER}, 21266),
        ({"To": DELIVERS, "From": DELIVERS}, 21606),
        ({"To": DELIVERS, "From": ""}, 21603),
        ({"To": DELIVERS, "Body": ""}, 21602),
        ({"To": DELIVERS, "Body": "x" * 1601}, 21617),
        ({"To": DELIVERS, "StatusCallback": "ftp://127.0.0.1/x"}, 21609),
        ({"To": DELIVERS, "MediaUrl": "not a url"}, 21620),
        ({"To": DELIVERS, "From": "", "MessagingServiceSid": "MG" + "0" * 32}, 21705),
        ({"To": ""}, 21604),
        # Fields the sandbox does not read keep to the types of Twilio's description.
        ({"To": DELIVERS, "ContentSid": "0" * 34}, 20001),
        ({"To": DELIVERS, "SendAt": "tomorrow"}, 20001),
        ({"To": DELIVERS, "ValidityPeriod": "1.5"}, 20001),
    ],
)
async def test_a_refused_text_gets_twilios_error_and_nothing_is_kept(
    sandbox: Sandbox, form: dict[str, str], code: int
) -> None:
    status, body, _ = await raw_post(
        sandbox, messages_path(sandbox), {"From": SANDBOX_NUMBER, "Body": "hi", **form}
    )
    assert (status, body["code"], body["status"]) == (400, code, 400)
    assert set(body) == {"code", "message", "more_info", "status"}
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert sandbox.state.messaging.messages == {}


async def test_the_library_reports_the_opted_out_and_invalid_numbers_with_their_codes(
    phone_agent: OCPAgent,
) -> None:
    for to, code in [(OPTED_OUT, 21610), (INVALID_NUMBER, 21211)]:
        with pytest.raises(TwilioAPIError) as refused:
            await send(phone_agent, to)
        assert refused.value.code == code


async def test_a_messaging_service_sends_from_the_sandbox_number(
    sandbox: Sandbox, phone_agent: OCPAgent, receiver: PhoneReceiver
) -> None:
    service = sandbox.messaging_service_sid
    created = await phone_agent.call_tool(
        "createMessage",
        {
            "To": DELIVERS,
            "MessagingServiceSid": service,
            "Body": "hi",
            "StatusCallback": receiver.url + "/s",
        },
    )
    await wait_until(lambda: len(receiver.of(created["sid"])) == 2)
    assert created["messaging_service_sid"] == service
    assert created["from"] == SANDBOX_NUMBER
    assert {f["MessagingServiceSid"] for f in receiver.of(created["sid"])} == {service}


async def test_a_person_who_replies_stop_is_refused_texts_until_start(
    sandbox: Sandbox, phone_agent: OCPAgent
) -> None:
    sid = await send(phone_agent, STOPS)
    await wait_until(lambda: STOPS in sandbox.state.messaging.opted_out)
    assert sandbox.state.messaging.fetch(sid).status == "delivered"
    with pytest.raises(TwilioAPIError) as refused:
        await send(phone_agent, STOPS)
    assert refused.value.code == 21610
    sandbox.receive_text(STOPS, "start")
    await send(phone_agent, STOPS)


async def test_list_pages_as_twilio_does_and_keeps_its_filters(
    sandbox: Sandbox, phone_agent: OCPAgent
) -> None:
    sids = [await send(phone_agent, DELIVERS, Body=f"text {n}") for n in range(5)]
    await send(phone_agent, LANDLINE)
    for sid in sids:
        await final(sandbox, sid)

    first = await phone_agent.call_tool("listMessage", {"To": DELIVERS, "PageSize": 2})
    assert (first["page"], first["page_size"], first["start"], first["end"]) == (0, 2, 0, 1)
    assert first["previous_page_uri"] is None
    assert first["first_page_uri"] == first["uri"]
    seen = [m["sid"] for m in first["messages"]]
    next_uri = first["next_page_uri"]
    assert "To=%2B14155550101" in next_uri and "PageToken=PA" in next_uri
    while next_uri is not None:
        status, page = await raw_get(sandbox, next_uri)
        assert status == 200
        assert page["first_page_uri"] == first["first_page_uri"]
        assert page["previous_page_uri"] is not None
        seen += [m["sid"] for m in page["messages"]]
        next_uri = page["next_page_uri"]
    assert seen == sids[::-1]  # newest first, each once, none of another recipient

    sent_today = await phone_agent.call_tool(
        "listMessage", {"From": SANDBOX_NUMBER, "DateSent": _today(sandbox, sids[0])}
    )
    assert len(sent_today["messages"]) == 6
    long_ago = "2000-01-01T00:00:00Z"
    for name, count in [("DateSentBefore", 0), ("DateSentAfter", 6)]:
        listed = await phone_agent.call_tool("listMessage", {name: long_ago})
        assert len(listed["messages"]) == count, name
    # Over raw HTTP, a day as Twilio's docs write it.
    status, page = await raw_get(sandbox, messages_path(sandbox) + "?DateSent%3C=2000-01-01")
    assert (status, page["messages"]) == (200, [])
    assert (await phone_agent.call_tool("listMessage", {"To": UNREACHABLE}))["messages"] == []


def _today(sandbox: Sandbox, sid: str) -> str:
    sent = sandbox.state.messaging.fetch(sid).sent
    assert sent is not None
    return sent.date().isoformat() + "T12:00:00Z"  # a moment of the day: the day counts


async def test_bad_paging_values_are_refused(sandbox: Sandbox) -> None:
    for query in [
        "PageSize=0",
        "PageSize=1001",
        "Page=-1",
        "PageSize=" + "9" * 5000,
        "DateSent=yesterday",
    ]:
        status, body = await raw_get(sandbox, messages_path(sandbox) + "?" + query)
        assert (status, body["code"]) == (400, 20001), query


async def test_delete_and_redact_only_a_final_text(sandbox: Sandbox, phone_agent: OCPAgent) -> None:
    slow = Timing(step=30)
    sandbox.state.messaging.timing = slow
    waiting = await send(phone_agent, DELIVERS)
    status, body = await raw_get(sandbox, messages_path(sandbox, waiting), "DELETE")
    assert (status, body["code"]) == (409, 20009)
    sandbox.state.messaging.timing = Timing()

    sid = await send(phone_agent, DELIVERS)
    await final(sandbox, sid)
    redacted = await phone_agent.call_tool("updateMessage", {"Sid": sid, "Body": ""})
    assert (redacted["body"], redacted["status"]) == ("", "delivered")
    await phone_agent.call_tool("deleteMessage", {"Sid": sid})
    status, body = await raw_get(sandbox, messages_path(sandbox, sid))
    assert (status, body["code"]) == (404, 20404)


async def test_texts_are_bounded_the_oldest_final_one_making_room() -> None:
    async with Sandbox(limits=Limits(max_messages=3), timing=Timing(step=0)) as sandbox:
        sids = []
        for n in range(5):
            status, body, _ = await raw_post(
                sandbox,
                messages_path(sandbox),
                {"To": DELIVERS, "From": SANDBOX_NUMBER, "Body": str(n)},
            )
            assert status == 201
            sids.append(body["sid"])
            await final(sandbox, body["sid"])
        assert list(sandbox.state.messaging.messages) == sids[2:]

    async with Sandbox(limits=Limits(max_messages=3), timing=Timing(step=30)) as sandbox:
        form = {"To": DELIVERS, "From": SANDBOX_NUMBER, "Body": "hi"}
        for _ in range(3):
            assert (await raw_post(sandbox, messages_path(sandbox), form))[0] == 201
        status, body, _ = await raw_post(sandbox, messages_path(sandbox), form)
        assert (status, body["code"]) == (429, 20429)
        assert "max_messages" in body["message"]


async def test_a_callback_off_this_machine_is_recorded_and_never_posted(
    sandbox: Sandbox, phone_agent: OCPAgent
) -> None:
    sid = await send(phone_agent, DELIVERS, "https://agent.example/sms-status")
    await final(sandbox, sid)
    await asyncio.sleep(0)
    events = sandbox.events(sid)
    assert [e.fields["MessageStatus"] for e in events] == ["sent", "delivered"]
    assert not any(e.posted for e in events)
    assert all(e.response_status is None and e.error is None for e in events)


async def test_a_backlog_of_callbacks_slows_the_client_down_with_429() -> None:
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/slow", slow)
    async with (
        TestServer(app, host="127.0.0.1") as receiver,
        Sandbox(limits=Limits(max_callbacks_waiting=1), timing=Timing(step=0)) as sandbox,
    ):
        form = {
            "To": DELIVERS,
            "From": SANDBOX_NUMBER,
            "Body": "hi",
            "StatusCallback": str(receiver.make_url("/slow")),
        }
        status, body, _ = await raw_post(sandbox, messages_path(sandbox), form)
        assert status == 201
        await wait_until(lambda: sandbox.state.poster.in_flight >= 1)
        for path in [messages_path(sandbox), messages_path(sandbox).replace("Messages", "Calls")]:
            status, refused, _ = await raw_post(sandbox, path, {**form, "Twiml": "<Response/>"})
            assert (status, refused["code"]) == (429, 20429)
            assert "max_callbacks_waiting" in refused["message"]
        release.set()
        await final(sandbox, body["sid"])
        await wait_until(lambda: sandbox.state.poster.in_flight == 0)
        assert (await raw_post(sandbox, messages_path(sandbox), form))[0] == 201
