"""Messages and calls folded by Twilio's lifecycle, whatever order and however often their
status callbacks come, in the memory store (the Redis store folds the same: see
test_resource_redis.py)."""

from __future__ import annotations

import itertools

import pytest
import yaml
from support.events import MESSAGE_SID, call_status, inbound, message_status
from support.files import SHARED_OAI

from ocp_twilio import CallbackEvent, MemoryProgressStore
from ocp_twilio.payments.conversations import Conversation, conversation_id
from ocp_twilio.payments.kinds import event_of
from ocp_twilio.payments.lifecycle import CALL_STATUSES, MESSAGE_STATUSES, ResourceStatus


def event(kind: str, fields: dict[str, str]) -> CallbackEvent:
    made = event_of(kind, fields)
    assert isinstance(made, CallbackEvent), made
    return made


async def folded(kind: str, callbacks: list[dict[str, str]]) -> ResourceStatus:
    store = MemoryProgressStore()
    for fields in callbacks:
        await store.append(event(kind, fields))
    state = await store.progress(callbacks[0]["MessageSid" if kind == "message" else "CallSid"])
    assert isinstance(state, ResourceStatus)
    return state


@pytest.mark.parametrize(
    ("statuses", "final"),
    [
        (["queued", "sending", "sent", "delivered"], "delivered"),
        (["accepted", "queued", "sent", "undelivered"], "undelivered"),
        (["queued", "failed"], "failed"),
        (["queued", "sent", "delivered", "read"], "read"),
        (["scheduled", "canceled"], "canceled"),
    ],
)
async def test_every_order_of_a_message_s_callbacks_folds_to_its_last_status(
    statuses: list[str], final: str
) -> None:
    callbacks = [message_status(s) for s in statuses]
    for order in itertools.permutations(callbacks):
        state = await folded("message", list(order))
        assert state.status == final, [c["MessageStatus"] for c in order]
        assert state.final
        assert sorted(state.reported) == sorted(set(statuses))


async def test_delivered_before_sent_stays_delivered_and_a_final_status_is_never_undone() -> None:
    state = await folded(
        "message",
        [message_status("delivered"), message_status("sent"), message_status("queued")],
    )
    assert state.status == "delivered"
    state = await folded(
        "message",
        [
            message_status("undelivered", ErrorCode="30006"),
            message_status("delivered"),  # no later status undoes a final one
            message_status("read"),  # read only follows delivered
        ],
    )
    assert state.status == "undelivered"
    view = state.for_model()
    assert view["error"]["code"] == "30006"
    assert "landline" in view["error"]["what_to_do"] and "createCall" in view["next_step"]


async def test_duplicates_are_folded_once() -> None:
    store = MemoryProgressStore()
    sent = event("message", message_status("sent", Price="-0.0075", PriceUnit="USD"))
    assert await store.append(sent) is True
    assert await store.append(sent) is False  # Twilio's retry of the same callback
    state = await store.progress(MESSAGE_SID)
    assert state is not None and state.version == 1
    assert state.for_model()["price"] == "-0.0075 USD"


async def test_a_late_callback_adds_what_is_new_and_moves_nothing_back() -> None:
    state = await folded(
        "message",
        [message_status("delivered"), message_status("sent", Price="-0.0079", PriceUnit="USD")],
    )
    assert state.status == "delivered"
    assert state.details["Price"] == "-0.0079"


@pytest.mark.parametrize(
    ("statuses", "final"),
    [
        (["initiated", "ringing", "in-progress", "completed"], "completed"),
        (["queued", "initiated", "ringing", "busy"], "busy"),
        (["initiated", "ringing", "no-answer"], "no-answer"),
        (["queued", "failed"], "failed"),
        (["initiated", "canceled"], "canceled"),
    ],
)
async def test_every_order_of_a_call_s_callbacks_folds_to_how_it_ended(
    statuses: list[str], final: str
) -> None:
    callbacks = [call_status(s, sequence=i) for i, s in enumerate(statuses)]
    for order in itertools.permutations(callbacks):
        state = await folded("call", list(order))
        assert state.status == final
    completed = await folded("call", [call_status("completed", CallDuration="42")])
    assert completed.for_model()["duration_seconds"] == "42"


async def test_an_unanswered_call_is_still_going_on() -> None:
    state = await folded("call", [call_status("ringing"), call_status("initiated")])
    assert state.status == "ringing" and not state.final
    assert "waitForCallStatus" in state.for_model()["next_step"]


def test_malformed_callbacks_are_named_without_their_values() -> None:
    for kind, fields in [
        ("message", message_status("teleported")),
        ("message", {**message_status("sent"), "MessageSid": "SM-not-a-sid"}),
        ("call", call_status("exploded")),
        ("reply", {**inbound("hi"), "From": "+1 555 <script>"}),
    ]:
        problem = event_of(kind, fields)
        assert isinstance(problem, str)
        assert "teleported" not in problem and "exploded" not in problem
        assert "script" not in problem


async def test_inbound_messages_are_kept_per_conversation() -> None:
    store = MemoryProgressStore()
    await store.append(event("reply", inbound("C", "SM" + "1" * 32)))
    await store.append(event("reply", inbound("C", "SM" + "1" * 32)))  # a retry
    await store.append(event("reply", inbound("other", "SM" + "2" * 32, person="+15550000000")))
    await store.append(event("reply", inbound("STOP", "SM" + "3" * 32)))
    mine = await store.progress(conversation_id("+1 555 867 5310", "+15017122661"))
    assert isinstance(mine, Conversation)
    assert [fields["Body"] for _, fields in mine.messages] == ["C", "STOP"]


def test_the_statuses_are_twilio_s() -> None:
    source = SHARED_OAI / "twilio_api_v2010.yaml"
    if not source.exists():
        pytest.skip(f"Twilio's OpenAPI files are not beside the checkout ({source})")
    schemas = yaml.safe_load(source.read_text())["components"]["schemas"]
    assert set(MESSAGE_STATUSES) == set(schemas["message_enum_status"]["enum"])
    # initiated is a CallStatus of the callbacks (the "initiated" event), not of the resource.
    assert set(CALL_STATUSES) == {*schemas["call_enum_status"]["enum"], "initiated"}
