"""Replies: a scripted person texts back to the sandbox's number, posted signed to the number's
incoming-message URL; the person at the console sees the texts and calls that reach their
number, and types replies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from support.console import CONSOLE, console_client, messages
from support.sandbox import PhoneReceiver, basic_auth, raw_post, wait_until

from ocp_twilio import OCPAgent
from ocp_twilio.sandbox import (
    CONFIRMS,
    CONSOLE_NUMBER,
    DELIVERS,
    SANDBOX_NUMBER,
    STOPS,
    Sandbox,
)

INBOUND_FIELDS = {
    "MessageSid",
    "SmsSid",
    "SmsMessageSid",
    "AccountSid",
    "From",
    "To",
    "Body",
    "NumMedia",
    "NumSegments",
    "SmsStatus",
    "ApiVersion",
}


async def text(agent: OCPAgent, to: str, body: str = "Reply C to confirm") -> str:
    arguments = {"To": to, "From": SANDBOX_NUMBER, "Body": body}
    return str((await agent.call_tool("createMessage", arguments))["sid"])


@pytest.mark.parametrize(("to", "reply"), [(CONFIRMS, "C"), (STOPS, "STOP")])
async def test_a_scripted_person_replies_signed_to_the_numbers_sms_url(
    sandbox: Sandbox, phone_agent: OCPAgent, receiver: PhoneReceiver, to: str, reply: str
) -> None:
    status, number, _ = await raw_post(sandbox, "/sandbox/number", {"SmsUrl": receiver.url + "/in"})
    assert (status, number["phone_number"], number["sms_url"]) == (
        200,
        SANDBOX_NUMBER,
        receiver.url + "/in",
    )
    sent = await text(phone_agent, to)
    await wait_until(lambda: len(receiver.received) == 1)

    [webhook] = receiver.received
    assert (webhook.path, webhook.signed) == ("/in", True)
    fields = webhook.fields
    assert set(fields) == INBOUND_FIELDS
    assert (fields["From"], fields["To"], fields["Body"]) == (to, SANDBOX_NUMBER, reply)
    assert (fields["SmsStatus"], fields["NumMedia"], fields["NumSegments"]) == (
        "received",
        "0",
        "1",
    )
    assert fields["MessageSid"] == fields["SmsSid"] != sent
    assert fields["AccountSid"] == sandbox.account_sid

    listed = await phone_agent.call_tool("listMessage", {"From": to})
    [inbound] = listed["messages"]
    assert (inbound["sid"], inbound["direction"], inbound["status"]) == (
        fields["MessageSid"],
        "inbound",
        "received",
    )
    assert inbound["price"] is None


async def test_a_text_to_someone_who_does_not_reply_brings_nothing(
    sandbox: Sandbox, phone_agent: OCPAgent, receiver: PhoneReceiver
) -> None:
    sandbox.set_sms_url(receiver.url + "/in")
    sid = await text(phone_agent, DELIVERS)
    await wait_until(lambda: sandbox.state.messaging.fetch(sid).final)
    await asyncio.sleep(0.1)  # a reply would have come by now (Timing.reply is 0.02 s)
    assert receiver.received == []


async def test_without_an_sms_url_a_reply_is_kept_and_posted_nowhere(
    sandbox: Sandbox, phone_agent: OCPAgent
) -> None:
    await text(phone_agent, CONFIRMS)
    await wait_until(lambda: len(sandbox.state.messaging.messages) == 2)
    assert sandbox.events() == []


async def test_the_number_route_takes_only_an_absolute_url(sandbox: Sandbox) -> None:
    for form, code in [({}, 21201), ({"SmsUrl": "/relative"}, 21205)]:
        status, body, _ = await raw_post(sandbox, "/sandbox/number", form)
        assert (status, body["code"]) == (400, code)
    status, body, _ = await raw_post(sandbox, "/sandbox/number", {"SmsUrl": ""})
    assert (status, body["sms_url"]) == (200, None)
    assert (await raw_post(sandbox, "/sandbox/number", {"SmsUrl": ""}, authorization=""))[0] == 401


async def test_the_console_person_sees_texts_and_calls_and_replies(
    sandbox: Sandbox, phone_agent: OCPAgent, receiver: PhoneReceiver
) -> None:
    sandbox.set_sms_url(receiver.url + "/in")
    async with (
        console_client(sandbox) as client,
        client.get(sandbox.url + CONSOLE + "/events") as stream,
    ):
        stream_messages = messages(stream)
        snapshot = await anext(stream_messages)
        assert snapshot["phone"] == {"number": CONSOLE_NUMBER, "texts": [], "calls": []}
        sid = await text(phone_agent, CONSOLE_NUMBER, "Your table is ready")
        phone = await _phone_until(
            stream_messages, lambda p: p["texts"][-1]["status"] == "delivered"
        )
        [shown] = phone["texts"]
        assert (shown["sid"], shown["direction"], shown["body"]) == (
            sid,
            "in",
            "Your table is ready",
        )

        async with client.post(
            sandbox.url + CONSOLE + "/reply", data={"Body": "On my way"}
        ) as answer:
            assert answer.status == 200, await answer.text()
        phone = await _phone_until(stream_messages, lambda p: len(p["texts"]) == 2)
        assert (phone["texts"][-1]["direction"], phone["texts"][-1]["body"]) == ("out", "On my way")

        created = await phone_agent.call_tool(
            "createCall", {"To": CONSOLE_NUMBER, "From": SANDBOX_NUMBER, "Twiml": "<Response/>"}
        )
        phone = await _phone_until(stream_messages, lambda p: bool(p["calls"]))
        assert phone["calls"] == [
            {"sid": created["sid"], "from": SANDBOX_NUMBER, "status": "in-progress"}
        ]
    # The call to the console's number is one whose caller is the person at the console.
    assert sandbox.state.calls[created["sid"]].caller is None
    await wait_until(lambda: len(receiver.received) == 1)
    [webhook] = receiver.received
    assert webhook.signed
    assert (webhook.fields["From"], webhook.fields["Body"]) == (CONSOLE_NUMBER, "On my way")


async def _phone_until(
    stream_messages: AsyncIterator[dict[str, Any]], condition: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    async for message in stream_messages:
        if message["type"] == "phone" and condition(message["phone"]):
            return message["phone"]
    raise AssertionError("the stream ended")


async def test_a_reply_from_the_console_must_come_from_its_page_and_hold_a_text(
    sandbox: Sandbox,
) -> None:
    login = {"Authorization": basic_auth(sandbox.account_sid, sandbox.auth_token)}
    async with aiohttp.ClientSession(headers=login) as client:
        for data, headers, status in [
            ({"Body": "hi"}, {"Origin": "https://elsewhere.example"}, 403),
            ({"Body": ""}, {}, 400),
            ({"Body": "x" * 1601}, {}, 400),
        ]:
            async with client.post(
                sandbox.url + CONSOLE + "/reply", data=data, headers=headers
            ) as answer:
                assert answer.status == status
    assert sandbox.state.messaging.messages == {}
