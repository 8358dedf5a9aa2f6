"""The receiver's four kinds of callback, each at its own path: signed or refused, bounded,
stored as events of its resource, and read by the status tools through call_tool and an
adapter."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import aiohttp
import pytest
from support.credentials import AUTH_TOKEN, TWILIO_ENV
from support.events import (
    CALL_SID,
    MESSAGE_SID,
    OTHER_PERSON,
    OUR_NUMBER,
    PERSON,
    SPEC,
    call_status,
    inbound,
    message_sid,
    message_status,
    tool,
)
from support.progress import CARD_ENTERED, post
from support.servers import RecordingServer, closed_port

from ocp_twilio import (
    CallRefused,
    ConfigurationError,
    MemoryProgressStore,
    OCPAgent,
    Policy,
    StatusCallbackReceiver,
    compute_signature,
    openai_tool_result,
)
from ocp_twilio.payments.conversations import conversation_id

FORM = "application/x-www-form-urlencoded"

Served = tuple[OCPAgent, StatusCallbackReceiver]


@pytest.fixture
async def served(recording_server: RecordingServer) -> AsyncIterator[Served]:
    async with OCPAgent() as agent:
        await agent.register_api(
            "twilio", spec=SPEC, base_url=recording_server.url, environ=TWILIO_ENV
        )
        async with agent.serve_status_callbacks(environ=TWILIO_ENV) as receiver:
            yield agent, receiver


def test_each_kind_has_its_path_beside_the_pay_path() -> None:
    receiver = StatusCallbackReceiver(
        auth_token="t", store=MemoryProgressStore(), public_url="https://hooks.example.com/a/"
    )
    assert receiver.url == "https://hooks.example.com/a/twilio/pay-status"
    assert receiver.url_for("message") == "https://hooks.example.com/a/twilio/message-status"
    assert receiver.url_for("call") == "https://hooks.example.com/a/twilio/call-status"
    assert receiver.url_for("reply") == "https://hooks.example.com/a/twilio/inbound-message"
    custom = StatusCallbackReceiver(auth_token="t", store=MemoryProgressStore(), path="/hooks/pay")
    assert custom.paths["message"] == "/hooks/message-status"


async def test_unsigned_forged_and_misrouted_callbacks_are_refused(served: Served) -> None:
    agent, receiver = served
    for kind, fields in [
        ("message", message_status("delivered")),
        ("call", call_status("completed")),
        ("reply", inbound("C")),
    ]:
        url = receiver.url_for(kind)
        assert await post(url, fields, signature=None) == 403
        assert await post(url, fields, signature="bm90IGl0") == 403
        # Signed for another path: the signature covers the URL, so it fails here.
        assert await post(url, fields, signed_url=receiver.url) == 403
    # A Pay callback at a message path is no message.
    assert await post(receiver.url_for("message"), CARD_ENTERED) == 400
    assert (await tool(agent, "getMessageStatus", {"Sid": MESSAGE_SID}))["version"] == 0
    assert (await tool(agent, "getCallStatus", {"Sid": CALL_SID}))["version"] == 0


async def test_oversize_and_malformed_callbacks_are_refused_and_logged_without_their_body(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    agent, receiver = served
    caplog.set_level(logging.INFO, "ocp_twilio.receiver")
    url = receiver.url_for("message")
    assert await post(url, message_status("sent", Body="x" * 70_000)) == 413
    assert await post(url, message_status("beamed-up")) == 400
    assert await post(receiver.url_for("call"), call_status("vaporised")) == 400
    secret_reply = inbound("my PIN is 8842")
    assert await post(receiver.url_for("reply"), {**secret_reply, "From": "<x>"}) == 400
    assert await post(receiver.url_for("reply"), secret_reply) == 200
    for text in ("beamed-up", "vaporised", "8842", PERSON):
        assert text not in caplog.text
    assert "MessageStatus missing or not one of Twilio's statuses" in caplog.text
    assert (await tool(agent, "getMessageStatus", {"Sid": MESSAGE_SID}))["version"] == 0


async def test_every_kind_is_stored_and_folded(served: Served) -> None:
    agent, receiver = served
    message_url, call_url = receiver.url_for("message"), receiver.url_for("call")
    for fields in (
        message_status("sent"),
        message_status("undelivered", ErrorCode="30003"),
        message_status("sent"),  # a duplicate, late
        message_status("queued"),  # out of order
    ):
        assert await post(message_url, fields) == 204
    view = await tool(agent, "getMessageStatus", {"Sid": MESSAGE_SID})
    assert view["status"] == "undelivered" and view["final"] is True
    assert view["version"] == 3  # the duplicate was dropped
    assert view["error"] == {
        "code": "30003",
        "what_to_do": (
            "The phone is unreachable (switched off or out of coverage): try again later, or call."
        ),
    }
    for i, status in enumerate(["ringing", "initiated", "completed", "in-progress"]):
        assert await post(call_url, call_status(status, sequence=i, CallDuration="7")) == 204
    view = await tool(agent, "getCallStatus", {"Sid": CALL_SID})
    assert view["status"] == "completed" and view["duration_seconds"] == "7"
    reply_url = receiver.url_for("reply")
    signature = compute_signature(AUTH_TOKEN, reply_url, inbound("C"))
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            reply_url,
            data=urlencode(inbound("C")),
            headers={"Content-Type": FORM, "X-Twilio-Signature": signature},
        ) as response,
    ):
        assert response.status == 200 and response.content_type == "text/xml"
        assert "<Response/>" in await response.text()  # Twilio sends no reply


async def test_a_wait_wakes_on_the_status_and_returns_at_once_when_it_is_final(
    served: Served,
) -> None:
    agent, receiver = served
    assert await post(receiver.url_for("message"), message_status("queued")) == 204
    assert (await tool(agent, "getMessageStatus", {"Sid": MESSAGE_SID}))["status"] == "queued"
    waiting = asyncio.create_task(
        tool(agent, "waitForMessageStatus", {"Sid": MESSAGE_SID, "TimeoutSeconds": 30})
    )
    await asyncio.sleep(0.05)
    assert await post(receiver.url_for("message"), message_status("delivered")) == 204
    view = await waiting
    assert view["new"] is True and view["status"] == "delivered"
    again = await tool(agent, "waitForMessageStatus", {"Sid": MESSAGE_SID, "TimeoutSeconds": 1})
    # delivered may still be read: the wait waits, and times out with new=false.
    assert again["new"] is False and again["status"] == "delivered"
    assert await post(receiver.url_for("call"), call_status("busy")) == 204
    await tool(agent, "getCallStatus", {"Sid": CALL_SID})
    over = await tool(agent, "waitForCallStatus", {"Sid": CALL_SID, "TimeoutSeconds": 60})
    assert over["new"] is False and "final" in over["note"]  # returned at once


async def test_wait_for_reply_reads_one_conversation_once_each(served: Served) -> None:
    agent, receiver = served
    url = receiver.url_for("reply")
    arguments = {"From": PERSON, "To": OUR_NUMBER, "TimeoutSeconds": 1}
    assert (await tool(agent, "waitForReply", arguments))["reply"] is None
    waiting = asyncio.create_task(tool(agent, "waitForReply", {**arguments, "TimeoutSeconds": 30}))
    await asyncio.sleep(0.05)
    assert await post(url, inbound("not for you", message_sid(7), person=OTHER_PERSON)) == 200
    assert await post(url, inbound("C", message_sid(8))) == 200
    assert await post(url, inbound("C", message_sid(8))) == 200  # Twilio's retry
    assert await post(url, inbound("STOP", message_sid(9))) == 200
    first = await waiting
    assert first["reply"]["body"] == "C"  # STOP may have come while it returned, or after
    second = await tool(agent, "waitForReply", arguments)
    assert second["reply"]["body"] == "STOP" and second["waiting"] == 0
    assert (await tool(agent, "waitForReply", arguments))["reply"] is None
    other = await tool(agent, "waitForReply", {**arguments, "From": OTHER_PERSON})
    assert other["reply"]["body"] == "not for you"


async def test_the_tools_through_an_adapter(served: Served) -> None:
    agent, receiver = served
    assert await post(receiver.url_for("message"), message_status("failed", ErrorCode="21610"))
    definitions = agent.tools_for("openai", tags=["messaging"])
    names = {d["function"]["name"] for d in definitions}
    offered = {name.split("__")[-1] for name in names}  # the model's names carry the service
    assert {"createMessage", "getMessageStatus", "waitForMessageStatus", "waitForReply"} <= offered
    [status_tool] = [name for name in names if name.endswith("getMessageStatus")]
    call = {
        "id": "call_1",
        "function": {"name": status_tool, "arguments": json.dumps({"Sid": MESSAGE_SID})},
    }
    content = json.loads((await openai_tool_result(agent, call))["content"])
    assert content["status"] == "failed" and "STOP" in content["error"]["what_to_do"]


async def test_the_receiver_owns_the_callback_arguments(
    recording_server: RecordingServer,
) -> None:
    async with OCPAgent() as agent:
        await agent.register_api(
            "twilio", spec=SPEC, base_url=recording_server.url, environ=TWILIO_ENV
        )
        for name in ("createMessage", "createCall"):
            assert "StatusCallback" in agent.get_tool(name).input_schema["properties"]
        async with agent.serve_status_callbacks(environ=TWILIO_ENV) as receiver:
            message_schema = agent.get_tool("createMessage").input_schema["properties"]
            call_schema = agent.get_tool("createCall").input_schema["properties"]
            assert "StatusCallback" not in message_schema
            assert not {"StatusCallback", "StatusCallbackEvent", "StatusCallbackMethod"} & set(
                call_schema
            )
            await agent.call_tool("createMessage", {"To": PERSON, "From": OUR_NUMBER, "Body": "Hi"})
            await agent.call_tool(
                "createCall", {"To": PERSON, "From": OUR_NUMBER, "Url": "https://a.example.com/t"}
            )
        assert "StatusCallback" in agent.get_tool("createCall").input_schema["properties"]
    message, call = (r.form for r in recording_server.requests)
    assert dict(message)["StatusCallback"] == receiver.url_for("message")
    assert dict(call)["StatusCallback"] == receiver.url_for("call")
    assert dict(call)["StatusCallbackMethod"] == "POST"
    events = [v for k, v in call if k == "StatusCallbackEvent"]
    assert events == ["initiated", "ringing", "answered", "completed"]


async def test_wait_for_reply_outside_the_policy_recipients_is_refused(served: Served) -> None:
    agent, receiver = served
    agent.use_policy(Policy.from_mapping({"limits": {"recipients": {"exact": [PERSON]}}}))
    assert await post(receiver.url_for("reply"), inbound("hello", person=OTHER_PERSON)) == 200
    with pytest.raises(CallRefused, match="may not be contacted"):
        await agent.call_tool("waitForReply", {"From": OTHER_PERSON, "To": OUR_NUMBER})
    allowed = await tool(
        agent, "waitForReply", {"From": PERSON, "To": OUR_NUMBER, "TimeoutSeconds": 1}
    )
    assert allowed["reply"] is None


async def test_a_store_outage_answers_503() -> None:
    from ocp_twilio import RedisProgressStore

    store = RedisProgressStore(f"redis://127.0.0.1:{closed_port()}")
    async with (
        OCPAgent() as agent,
        agent.serve_status_callbacks(environ=TWILIO_ENV, store=store) as receiver,
    ):
        for kind, fields in [
            ("message", message_status("sent")),
            ("call", call_status("ringing")),
            ("reply", inbound("C")),
        ]:
            assert await post(receiver.url_for(kind), fields) == 503
    await store.aclose()


async def test_memory_is_capped_across_every_kind() -> None:
    store = MemoryProgressStore(max_sessions=3, max_events=2)
    async with (
        OCPAgent() as agent,
        agent.serve_status_callbacks(environ=TWILIO_ENV, store=store) as receiver,
    ):
        for i in range(1, 6):
            assert (
                await post(receiver.url_for("message"), message_status("sent", message_sid(i)))
                == 204
            )
        assert len(store) == 3
        assert await store.progress(message_sid(1)) is None  # the oldest went first
        for status in ("delivered", "read"):  # over max_events: ignored, still answered
            assert (
                await post(receiver.url_for("message"), message_status(status, message_sid(5)))
                == 204
            )
        state = await store.progress(message_sid(5))
        assert state is not None and state.version == 2


async def test_strangers_texts_cannot_push_sends_in_flight_out_of_the_store() -> None:
    store = MemoryProgressStore(max_sessions=10, max_conversations=3)
    async with (
        OCPAgent() as agent,
        agent.serve_status_callbacks(environ=TWILIO_ENV, store=store) as receiver,
    ):
        sent = message_status("sent", message_sid(1))
        assert await post(receiver.url_for("message"), sent) == 204
        for stranger in range(20):  # twenty people text the number, each a conversation
            person = f"+1555010{stranger:04d}"
            text = inbound("hi", message_sid(100 + stranger), person=person)
            assert await post(receiver.url_for("reply"), text) == 200

        assert await store.progress(message_sid(1)) is not None  # the send is still followed
        assert len(store) == 1 + 3  # and only the three latest conversations
        latest = await store.progress(conversation_id("+15550100019", OUR_NUMBER))
        assert latest is not None
        assert await store.progress(conversation_id("+15550100000", OUR_NUMBER)) is None


async def test_wait_for_reply_reads_a_conversation_the_store_forgot_and_began_again(
    recording_server: RecordingServer,
) -> None:
    now = [0.0]
    store = MemoryProgressStore(ttl=60, clock=lambda: now[0])
    async with OCPAgent(progress_store=store) as agent:
        await agent.register_api(
            "twilio", spec=SPEC, base_url=recording_server.url, environ=TWILIO_ENV
        )
        async with agent.serve_status_callbacks(environ=TWILIO_ENV) as receiver:
            assert receiver.store is store
            url = receiver.url_for("reply")
            arguments = {"From": PERSON, "To": OUR_NUMBER, "TimeoutSeconds": 1}
            for body, number in (("first", 1), ("second", 2)):
                assert await post(url, inbound(body, message_sid(number))) == 200
            assert (await tool(agent, "waitForReply", arguments))["reply"]["body"] == "first"
            assert (await tool(agent, "waitForReply", arguments))["reply"]["body"] == "second"
            now[0] += 61  # the conversation expires; its next message is the first again
            assert await post(url, inbound("third", message_sid(3))) == 200
            third = await tool(agent, "waitForReply", arguments)

    assert third["reply"]["body"] == "third"


def test_an_unknown_kind_of_callback_is_a_configuration_error() -> None:
    receiver = StatusCallbackReceiver(
        auth_token="t", store=MemoryProgressStore(), public_url="https://hooks.example.com"
    )
    with pytest.raises(ConfigurationError, match="No callback kind 'sms'"):
        receiver.url_for("sms")
