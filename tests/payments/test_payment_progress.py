"""The StatusCallback receiver over a real socket, the progress it keeps, and the progress tools
through call_tool, OpenAI and MCP; the test card's digits are looked for everywhere."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import mcp_types as types
import pytest
from mcp.client.client import Client
from support.credentials import ACCOUNT_SID, AUTH_TOKEN, TWILIO_ENV
from support.memory import growth_between
from support.payments import PAYMENT_SID, STATUS_TOOL, WAIT_TOOL
from support.progress import (
    ALL_ENTERED,
    CARD,
    CARD_ENTERED,
    CARD_REFUSED,
    COMPLETED,
    CVC,
    TYPING,
    callback,
    post,
    status,
)

from ocp_twilio import (
    ConfigurationError,
    InvalidArguments,
    MemoryProgressStore,
    OCPAgent,
    StatusCallbackReceiver,
    compute_signature,
    mcp_tools,
    openai_tool_result,
)
from ocp_twilio.adapters.mcp.server import build_mcp_server
from ocp_twilio.payments.progress import callback_event, kept_fields

ACCOUNT_NUMBER = "000123456789"


@pytest.fixture
async def paying_agent() -> AsyncIterator[tuple[OCPAgent, StatusCallbackReceiver]]:
    async with OCPAgent() as agent:
        await agent.register_api("twilio", environ=TWILIO_ENV)
        async with agent.serve_status_callbacks(environ=TWILIO_ENV) as receiver:
            yield agent, receiver


# --- the receiver on a real socket -------------------------------------------------------


async def test_a_valid_post_is_stored_and_answered_204(paying_agent: Any) -> None:
    agent, receiver = paying_agent
    assert receiver.url.startswith("http://127.0.0.1:")
    assert receiver.url.endswith("/twilio/pay-status")
    assert await post(receiver.url, CARD_ENTERED) == 204
    state = await status(agent)
    assert state["capturing"] == "payment-card-number"
    assert state["typing"] is False
    assert state["required"] == ["expiration-date", "security-code", "postal-code"]
    assert state["entered"] == {"card_number": "xxxxxxxxxxxx1111", "card_type": "visa"}
    assert state["next_step"] == (
        "payment-card-number was entered. Capture expiration-date next with updatePayments."
    )


@pytest.mark.parametrize(
    "how",
    ["tampered", "missing header", "wrong port", "wrong path", "wrong token", "query added"],
)
async def test_unsigned_or_wrongly_signed_posts_are_refused(paying_agent: Any, how: str) -> None:
    agent, receiver = paying_agent
    url = receiver.url
    if how == "tampered":
        # signed over the original fields, sent with one changed
        signature = compute_signature(AUTH_TOKEN, url, CARD_ENTERED)
        code = await post(url, {**CARD_ENTERED, "Result": "success"}, signature=signature)
    elif how == "missing header":
        code = await post(url, CARD_ENTERED, signature=None)
    elif how == "wrong port":
        other = url.replace(f":{url.split(':')[2].split('/')[0]}", ":1")
        code = await post(url, CARD_ENTERED, signed_url=other)
    elif how == "wrong path":
        code = await post(url, CARD_ENTERED, signed_url=url + "/x")
    elif how == "wrong token":
        code = await post(url, CARD_ENTERED, signature=compute_signature("x", url, CARD_ENTERED))
    else:
        code = await post(url + "?a=1", CARD_ENTERED, signed_url=url)
    assert code == 403
    assert (await status(agent))["version"] == 0


async def test_the_query_as_received_is_signed(paying_agent: Any) -> None:
    agent, receiver = paying_agent
    url = receiver.url + "?order=42&b=%20x"
    assert await post(url, CARD_ENTERED) == 204
    assert (await status(agent))["version"] == 1


async def test_not_a_form_or_too_large_is_refused(paying_agent: Any) -> None:
    agent, receiver = paying_agent
    as_json = json.dumps(CARD_ENTERED)
    assert await post(receiver.url, as_json, content_type="application/json") == 400
    assert await post(receiver.url, b"Sid=\xff\xfe") == 400
    assert await post(receiver.url, "Sid&&=") == 400
    huge = {**CARD_ENTERED, "PaymentError": "x" * 70_000}
    assert await post(receiver.url, huge) == 413
    not_pay = {k: v for k, v in CARD_ENTERED.items() if k != "Sid"}
    assert await post(receiver.url, not_pay) == 400
    assert (await status(agent))["version"] == 0


async def test_duplicates_and_out_of_order_posts_never_corrupt(paying_agent: Any) -> None:
    agent, receiver = paying_agent
    for fields in (ALL_ENTERED, COMPLETED, COMPLETED, TYPING, CARD_ENTERED, ALL_ENTERED):
        assert await post(receiver.url, fields) == 204
    state = await status(agent)
    assert state["version"] == 4  # the repeated posts are one event each
    assert state["capturing"] == "postal-code"
    assert state["typing"] is False
    assert state["required"] == []
    assert state["result"] == {
        "result": "success",
        "payment_confirmation_code": "ch_a9dc6297cd1a4fb095e61b1a9cf2dd1d",
    }
    assert state["next_step"].startswith("The payment went through (confirmation code ch_a9d")
    assert state["entered"]["expiration_date"] == "1230"


async def test_behind_a_proxy_the_public_url_is_signed() -> None:
    async with (
        OCPAgent() as agent,
        agent.serve_status_callbacks(
            public_url="https://pay.example.com/", environ=TWILIO_ENV
        ) as receiver,
    ):
        assert receiver.url == "https://pay.example.com/twilio/pay-status"
        local = f"{receiver.served_at}/twilio/pay-status"
        # Twilio signed the public URL; the Host header and scheme the proxy sends differ.
        assert await post(local, CARD_ENTERED, signed_url=receiver.url) == 204
        assert await post(local, TYPING, signed_url=local) == 403
        forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
        signed = "https://evil.example/twilio/pay-status"
        assert await post(local, TYPING, signed_url=signed, headers=forwarded) == 403


async def test_forwarded_headers_only_when_trusted() -> None:
    async with (
        OCPAgent() as agent,
        agent.serve_status_callbacks(environ=TWILIO_ENV, trust_forwarded=True) as receiver,
    ):
        forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "pay.example.com"}
        signed = "https://pay.example.com/twilio/pay-status"
        assert await post(receiver.url, CARD_ENTERED, signed_url=signed, headers=forwarded) == 204


async def test_a_missing_auth_token_says_where_it_comes_from() -> None:
    env = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_API_KEY": "SK" + "0" * 32}
    async with OCPAgent() as agent:
        with pytest.raises(ConfigurationError, match="also when the REST calls use an API key"):
            agent.status_callback_receiver("https://pay.example.com", environ=env)
        with pytest.raises(ConfigurationError, match="public_url must be an absolute http"):
            agent.status_callback_receiver("ftp://x", environ=TWILIO_ENV)


# --- the tools ---------------------------------------------------------------------------


async def test_no_receiver_is_a_clear_error() -> None:
    async with OCPAgent() as agent:
        await agent.register_api("twilio", environ=TWILIO_ENV)
        with pytest.raises(ConfigurationError, match="serve_status_callbacks"):
            await status(agent)
        with pytest.raises(InvalidArguments, match="Sid"):
            await agent.call_tool("getPaymentStatus", {"Sid": "PK1"})


async def test_wait_returns_on_the_next_callback_and_on_timeout(paying_agent: Any) -> None:
    agent, receiver = paying_agent
    waiting = asyncio.create_task(
        agent.call_tool("waitForPaymentUpdate", {"Sid": PAYMENT_SID, "TimeoutSeconds": 30})
    )
    await asyncio.sleep(0.05)
    assert await post(receiver.url, CARD_REFUSED) == 204
    update = await waiting
    assert update["new"] is True
    assert update["error"] == {
        "type": "invalid-card-number",
        "what_to_do": (
            "The card number was not valid: ask the caller to enter it again, then capture "
            "payment-card-number again."
        ),
    }
    assert update["required"][1] == "expiration-date"  # the PascalCase spelling, read
    # Nothing newer than what was shown: the wait ends at its timeout with the same state.
    again = await agent.call_tool("waitForPaymentUpdate", {"Sid": PAYMENT_SID, "TimeoutSeconds": 1})
    assert again["new"] is False
    assert again["version"] == update["version"]
    assert "Nothing new came within 1 s" in again["note"]
    with pytest.raises(InvalidArguments, match="TimeoutSeconds"):
        await agent.call_tool("waitForPaymentUpdate", {"Sid": PAYMENT_SID, "TimeoutSeconds": 600})


async def test_openai_and_mcp_call_the_progress_tools(paying_agent: Any) -> None:
    agent, receiver = paying_agent
    assert await post(receiver.url, ALL_ENTERED) == 204
    listed = {d["function"]["name"] for d in agent.tools_for("openai", tags=["pay"])}
    assert {STATUS_TOOL, WAIT_TOOL} <= listed
    call = {
        "id": "call_1",
        "function": {"name": STATUS_TOOL, "arguments": json.dumps({"Sid": PAYMENT_SID})},
    }
    message = await openai_tool_result(agent, call)
    assert json.loads(message["content"])["next_step"] == (
        "Every required field is entered: call updatePayments with Status=complete."
    )
    bad = {"id": "call_2", "function": {"name": WAIT_TOOL, "arguments": '{"Sid": 5}'}}
    assert json.loads((await openai_tool_result(agent, bad))["content"])["is_error"] is True

    tools = agent.list_tools()
    definition = next(d for d in mcp_tools(tools) if d["name"] == STATUS_TOOL)
    assert definition["annotations"]["openWorldHint"] is False
    async with Client(build_mcp_server(agent, tools)) as client:
        result = await client.call_tool(STATUS_TOOL, {"Sid": PAYMENT_SID})
    assert not result.is_error
    assert isinstance(result.content[0], types.TextContent)
    assert json.loads(result.content[0].text)["entered"]["postal_code"] == "94105"


# --- masking -----------------------------------------------------------------------------


def test_full_numbers_are_dropped_before_anything_is_kept() -> None:
    leaky = callback(
        Capture="payment-card-number",
        PartialResult="false",
        PaymentCardNumber=CARD,
        SecurityCode=CVC,
        BankAccountNumber=ACCOUNT_NUMBER,
        PaymentError=f"card {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]} declined",
        Unknown="anything",
    )
    kept = kept_fields(leaky)
    assert set(kept) == set(callback()) | {"Capture", "PartialResult"}
    event = callback_event(kept)
    assert event is not None and event.sid == PAYMENT_SID


async def test_the_card_digits_are_nowhere(
    paying_agent: Any, caplog: pytest.LogCaptureFixture
) -> None:
    agent, receiver = paying_agent
    caplog.set_level(logging.DEBUG)
    leaky = {
        **CARD_ENTERED,
        "PaymentCardNumber": CARD,
        "SecurityCode": CVC,
        "BankAccountNumber": ACCOUNT_NUMBER,
        "PaymentError": f"card {CARD} was declined",
        "ConnectorError": f"{CARD[:4]}-{CARD[4:8]}-{CARD[8:12]}-{CARD[12:]}",
    }
    assert await post(receiver.url, leaky) == 204
    assert await post(receiver.url, {**COMPLETED, "PaymentToken": CARD}) == 204
    assert await post(receiver.url + "?x=" + CARD, leaky, signature="bad") == 403
    results = [
        await status(agent),
        await agent.call_tool("waitForPaymentUpdate", {"Sid": PAYMENT_SID, "TimeoutSeconds": 1}),
    ]
    stored = await receiver.store.progress(PAYMENT_SID)
    texts = [json.dumps(r) for r in results] + [repr(stored)]
    texts += [record.getMessage() for record in caplog.records] + [repr(receiver)]
    for text in texts:
        digits = "".join(c for c in text if c.isdigit())
        assert CARD not in digits.replace(" ", "")
        assert CARD not in text
        assert ACCOUNT_NUMBER not in text
        assert AUTH_TOKEN not in text
    assert results[0]["entered"] == {"card_type": "visa"}
    assert results[0]["result"] == {
        "result": "success",
        "payment_confirmation_code": COMPLETED["PaymentConfirmationCode"],
    }


# --- the store's bounds ------------------------------------------------------------------


async def test_the_store_is_bounded() -> None:
    now = [0.0]
    store = MemoryProgressStore(max_events=3, max_sessions=2, ttl=10, clock=lambda: now[0])
    for second in range(5):
        event = callback_event(
            kept_fields({**TYPING, "DateUpdated": f"2026-12-01T14:00:0{second}Z"})
        )
        assert event is not None
        assert await store.append(event) is (second < 3)
    state = await store.progress(PAYMENT_SID)
    assert state is not None and state.version == 3
    for n in range(3):
        sid = "PK" + f"{n:032x}"
        other = callback_event(kept_fields({**TYPING, "Sid": sid}))
        assert other is not None
        await store.append(other)
    assert len(store) == 2
    assert await store.progress(PAYMENT_SID) is None  # the least recently updated went first
    now[0] = 11.0
    assert await store.progress("PK" + f"{2:032x}") is None  # expired
    assert len(store) == 0


async def test_a_callback_wakes_only_its_own_sessions_waits_and_waits_leave_nothing() -> None:
    store = MemoryProgressStore()

    async def one_round(first: int) -> None:
        others = [f"PK{first + n:032x}" for n in range(1000)]
        waits = [asyncio.create_task(store.wait(sid, 0, 0.05)) for sid in others[:500]]
        cancelled = [asyncio.create_task(store.wait(sid, 0, 30)) for sid in others[500:]]
        woken = asyncio.create_task(store.wait(PAYMENT_SID, first // 1000, 30))
        await asyncio.sleep(0.01)  # all waiting (a wait that starts later finds the news)
        event = callback_event(
            kept_fields({**TYPING, "DateUpdated": f"2026-12-01T14:00:{first // 1000:02d}Z"})
        )
        assert event is not None and await store.append(event)
        state = await woken
        assert state is not None and state.version == first // 1000 + 1
        assert not any(task.done() for task in cancelled)
        for task in cancelled:
            task.cancel()
        assert await asyncio.gather(*waits) == [None] * 500  # timed out, nothing came
        await asyncio.gather(*cancelled, return_exceptions=True)

    await one_round(0)
    growth = await growth_between(partial(one_round, 1000), partial(one_round, 2000))
    assert growth < 50 * 1024, f"{growth:,} bytes more after 1,000 more waits"


def test_the_next_field_is_newer_within_the_same_second() -> None:
    from ocp_twilio import PaymentProgress
    from ocp_twilio.payments.progress import apply_event

    second = "Tue, 01 Dec 2026 14:00:09 +0000"  # the sandbox's dates: one-second steps
    entered = {**CARD_ENTERED, "DateUpdated": second}
    next_field = {
        **TYPING,
        "DateUpdated": second,
        "Capture": "expiration-date",
        "ExpirationDate": "1",
    }
    state = PaymentProgress(PAYMENT_SID)
    for arrival, fields in enumerate((entered, next_field), 1):
        event = callback_event(kept_fields(fields))
        assert event is not None
        state = apply_event(state, event, arrival)
    view = state.for_model()
    assert (view["capturing"], view["typing"]) == ("expiration-date", True)
    # The same field: entered stays entered when a typing callback of it comes late.
    late = callback_event(
        kept_fields(
            {
                **TYPING,
                "DateUpdated": second,
                "Capture": "expiration-date",
                "PartialResult": "false",
            }
        )
    )
    assert late is not None
    state = apply_event(state, late, 3)
    typing_again = callback_event(
        kept_fields({**TYPING, "DateUpdated": second, "Capture": "expiration-date"})
    )
    assert typing_again is not None
    state = apply_event(state, typing_again, 4)
    assert state.for_model()["typing"] is False


async def test_mounted_in_an_application_of_ones_own() -> None:
    from aiohttp import web
    from aiohttp.test_utils import TestServer, unused_port

    port = unused_port()
    origin = f"http://127.0.0.1:{port}"
    async with OCPAgent() as agent:
        await agent.register_api("twilio", environ=TWILIO_ENV)
        receiver = agent.status_callback_receiver(origin, path="/shop/pay", environ=TWILIO_ENV)
        unset = StatusCallbackReceiver(
            auth_token=AUTH_TOKEN, store=MemoryProgressStore(), path="/other"
        )
        app = web.Application()
        app.add_routes(receiver.routes() + unset.routes())
        server = TestServer(app, host="127.0.0.1", port=port)
        await server.start_server()
        try:
            assert receiver.url == origin + "/shop/pay"
            assert await post(receiver.url, CARD_ENTERED) == 204
            assert (await status(agent))["entered"]["card_type"] == "visa"
            assert (
                "StatusCallback" not in agent.get_tool("createPayments").input_schema["properties"]
            )
            # Without a public URL no signature can be checked: refused, nothing stored.
            assert await post(origin + "/other", CARD_ENTERED) == 403
            assert await unset.store.progress(PAYMENT_SID) is None
        finally:
            await server.close()


def test_a_field_captured_again_drops_what_was_typed_before() -> None:
    from ocp_twilio import PaymentProgress
    from ocp_twilio.payments.progress import apply_event

    wrong = {
        **CARD_ENTERED,
        "DateUpdated": "Tue, 01 Dec 2026 14:00:09 +0000",
        "ErrorType": "invalid-card-number",
    }
    again = {
        **TYPING,
        "DateUpdated": "Tue, 01 Dec 2026 14:00:10 +0000",
        "Capture": "payment-card-number",
    }
    again.pop("PaymentCardNumber", None)
    state = PaymentProgress(PAYMENT_SID)
    for arrival, fields in enumerate((wrong, again), 1):
        event = callback_event(kept_fields(fields))
        assert event is not None
        state = apply_event(state, event, arrival)
    view = state.for_model()
    assert view["typing"] is True
    assert "card_number" not in view["entered"]
    assert "card_type" not in view["entered"]


async def test_the_store_given_is_the_store_used_even_while_empty() -> None:
    given = MemoryProgressStore(max_sessions=5)  # empty, so falsy: it has a length
    async with OCPAgent() as agent:
        receiver = agent.status_callback_receiver(
            "https://pay.example.com", store=given, environ=TWILIO_ENV
        )
    assert receiver.store is given
