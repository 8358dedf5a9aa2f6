"""A send whose outcome is unknown is not sent again: it is looked up, against a real server."""

from __future__ import annotations

import logging

import pytest
from support.sends import (
    CALL,
    CALL_TOOL,
    MESSAGE,
    QUICK,
    SEND_TOOL,
    message_record,
    send_server,
    sending_agent,
)

from ocp_twilio import InvalidArguments, OutcomeUnknown, RepeatedSend, SendSettings, TransportError
from ocp_twilio.adapters._calls import error_text

FOUND_SID = "SM" + "1" * 32


def _no_personal_data(*texts: str) -> None:
    for text in texts:
        for value in (*MESSAGE.values(), CALL["Url"]):
            assert value not in text


async def test_a_send_that_times_out_after_leaving_is_found_sent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, "ocp_twilio")
    async with send_server() as server, sending_agent(server.url, sends=QUICK) as agent:
        server.send = "hold"
        server.listed = [message_record(FOUND_SID)]
        with pytest.raises(OutcomeUnknown) as caught:
            await agent.call_tool(SEND_TOOL, MESSAGE)
    unknown = caught.value
    assert len(server.sends) == 1  # not sent again
    assert unknown.outcome == "sent" and unknown.sid == FOUND_SID
    assert unknown.resource is not None and unknown.resource["sid"] == FOUND_SID
    assert not unknown.retryable
    text = error_text(unknown)
    assert "outcome unknown" in text and f"sent ({FOUND_SID}" in text
    assert "Do not send it again" in text
    # The look-up filtered by the send's numbers, not by the date Twilio fills in later.
    assert server.lists[0]["To"] == MESSAGE["To"] and server.lists[0]["From"] == MESSAGE["From"]
    assert not any(key.startswith("DateSent") for key in server.lists[0])
    _no_personal_data(str(unknown), unknown.hint, caplog.text)


async def test_a_send_not_found_is_not_sent_and_may_be_sent_again() -> None:
    async with send_server() as server, sending_agent(server.url, sends=QUICK) as agent:
        server.send = "hold"
        # The same body long ago: not this send.
        server.listed = [message_record(date_created="Mon, 07 Dec 2020 11:00:00 +0000")]
        with pytest.raises(OutcomeUnknown) as caught:
            await agent.call_tool(SEND_TOOL, MESSAGE)
        assert caught.value.outcome == "not sent" and caught.value.retryable
        assert caught.value.lookups == QUICK.lookups == len(server.lists)
        assert "safe" in caught.value.hint
        # The ledger forgot it: the same send may go out now.
        server.send = "ok"
        answer = await agent.call_tool(SEND_TOOL, MESSAGE)
    assert answer["sid"].startswith("SM") and len(server.sends) == 2


@pytest.mark.parametrize("otherwise", ["shortened link", "spaced number"])
async def test_what_could_be_the_send_in_another_form_is_no_not_sent(otherwise: str) -> None:
    if otherwise == "shortened link":  # Twilio stores the body otherwise: a recent send differs
        listed, sent = [message_record(body="Your code is at https://twil.io/x")], MESSAGE
    else:  # a number not as Twilio lists it: the filter proves nothing
        listed, sent = [], {**MESSAGE, "To": MESSAGE["To"][:5] + " " + MESSAGE["To"][5:]}
    async with send_server() as server, sending_agent(server.url, sends=QUICK) as agent:
        server.send = "hold"
        server.listed = listed
        with pytest.raises(OutcomeUnknown) as caught:
            await agent.call_tool(SEND_TOOL, sent)
        with pytest.raises(RepeatedSend):  # the claim stays: the same send is refused
            await agent.call_tool(SEND_TOOL, sent)
    assert caught.value.outcome == "unknown" and not caught.value.retryable
    assert len(server.sends) == 1


async def test_a_reset_after_the_body_left_is_looked_up() -> None:
    async with send_server() as server, sending_agent(server.url, sends=QUICK) as agent:
        server.send = "reset"
        server.listed = [
            message_record(
                FOUND_SID, body="Sent from your Twilio trial account - " + MESSAGE["Body"]
            )
        ]
        with pytest.raises(OutcomeUnknown) as caught:
            await agent.call_tool(SEND_TOOL, MESSAGE)
    assert len(server.sends) == 1
    assert caught.value.outcome == "sent" and caught.value.sid == FOUND_SID
    assert "Connection failed" in caught.value.reason


async def test_a_5xx_answer_to_a_send_is_looked_up_too() -> None:
    async with send_server() as server, sending_agent(server.url, sends=QUICK) as agent:
        server.send = "error"
        with pytest.raises(OutcomeUnknown) as caught:
            await agent.call_tool(CALL_TOOL, CALL)
    assert len(server.sends) == 1 and caught.value.outcome == "not sent"
    assert caught.value.reason == "HTTP 500 from Twilio"


async def test_failed_look_ups_leave_it_unknown_and_the_repeat_refused() -> None:
    async with send_server() as server, sending_agent(server.url, sends=QUICK) as agent:
        server.send = "hold"
        server.listed = None  # every look-up answered 500
        with pytest.raises(OutcomeUnknown) as caught:
            await agent.call_tool(SEND_TOOL, MESSAGE)
        unknown = caught.value
        assert unknown.outcome == "unknown" and not unknown.retryable
        assert unknown.lookups == 3 and "TwilioAPIError" in str(unknown)
        assert "Do not send it again blindly" in unknown.hint
        # It may have gone out: the ledger keeps it, and says how to send again on purpose.
        server.send = "ok"
        with pytest.raises(RepeatedSend):
            await agent.call_tool(SEND_TOOL, MESSAGE)
        answer = await agent.call_tool(SEND_TOOL, {**MESSAGE, "SendKey": "again-1"})
    assert answer["sid"].startswith("SM") and len(server.sends) == 2


async def test_a_full_page_without_a_match_is_not_taken_for_not_sent() -> None:
    async with send_server() as server, sending_agent(server.url, sends=QUICK) as agent:
        server.send = "hold"
        server.listed = [message_record(body=f"other {n}") for n in range(50)]
        with pytest.raises(OutcomeUnknown) as caught:
            await agent.call_tool(SEND_TOOL, MESSAGE)
    assert caught.value.outcome == "unknown" and "more than 50" in str(caught.value)


async def test_a_call_timing_out_is_found_by_its_numbers() -> None:
    call = {"sid": "CA" + "3" * 32, "to": CALL["To"], "from": CALL["From"], "status": "queued"}
    async with send_server() as server, sending_agent(server.url, sends=QUICK) as agent:
        server.send = "hold"
        server.listed = [{**call, "direction": "outbound-api"}]
        with pytest.raises(OutcomeUnknown) as caught:
            await agent.call_tool(CALL_TOOL, CALL)
    assert caught.value.outcome == "sent" and caught.value.sid == call["sid"]
    assert server.lists[0]["To"] == CALL["To"]


async def test_a_connect_failure_stays_a_plain_retryable_error() -> None:
    from support.servers import closed_port

    async with sending_agent(f"http://127.0.0.1:{closed_port()}", sends=QUICK) as agent:
        with pytest.raises(TransportError) as caught:
            await agent.call_tool(SEND_TOOL, MESSAGE)
        assert not isinstance(caught.value, OutcomeUnknown) and caught.value.nothing_sent
        # Nothing left, so nothing was recorded: the same send is not refused as a repeat.
        with pytest.raises(TransportError) as again:
            await agent.call_tool(SEND_TOOL, MESSAGE)
    assert not isinstance(again.value, RepeatedSend)


async def test_without_look_ups_the_outcome_stays_unknown() -> None:
    async with (
        send_server() as server,
        sending_agent(server.url, sends=SendSettings(lookups=0)) as agent,
    ):
        server.send = "hold"
        with pytest.raises(OutcomeUnknown) as caught:
            await agent.call_tool(SEND_TOOL, MESSAGE)
    assert caught.value.outcome == "unknown" and server.lists == []


async def test_send_key_is_never_sent_to_twilio() -> None:
    async with send_server() as server, sending_agent(server.url, sends=QUICK) as agent:
        tool = agent.get_tool(SEND_TOOL)
        assert "SendKey" in tool.input_schema["properties"]
        await agent.call_tool(SEND_TOOL, {**MESSAGE, "SendKey": "k1"})
        with pytest.raises(InvalidArguments):
            await agent.call_tool(SEND_TOOL, {**MESSAGE, "SendKey": ""})
    assert server.sends == [MESSAGE]
