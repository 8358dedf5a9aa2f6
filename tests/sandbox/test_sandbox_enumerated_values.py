"""TokenType and BankAccountType, which the sandbox repeats in every callback: only Twilio's
values are taken; anything else, a card number above all, is refused before anything is kept,
and shows in no callback, console message, /sandbox/events answer or log line."""

from __future__ import annotations

import json
import logging
import re

import aiohttp
import pytest
from support.console import CONSOLE, console_client, messages
from support.sandbox import basic_auth, payments_path, raw_post, wait_until
from support.servers import RecordingServer

from ocp_twilio import load_operations
from ocp_twilio.sandbox import TEST_CARD, Sandbox
from ocp_twilio.sandbox.session import BANK_ACCOUNT_TYPES, TOKEN_TYPES
from ocp_twilio.specs.model import packaged_schemas_dir

CARD = TEST_CARD.number
# The card's last four on their own or after a mask ("1111", "****1111"), but not inside the
# SIDs, addresses, ports and clock readings the texts also hold, which are made at random.
LAST_FOUR = re.compile(rf"(?<![0-9a-fA-F]){CARD[-4:]}(?![0-9A-Za-z])")


def test_the_sandbox_takes_the_values_of_twilios_description() -> None:
    [create] = [
        op for op in load_operations([packaged_schemas_dir()]) if op.name == "createPayments"
    ]
    enums = {p.name: p.schema.get("enum") for p in create.parameters}
    assert (enums["TokenType"], enums["BankAccountType"]) == (
        list(TOKEN_TYPES),
        list(BANK_ACCOUNT_TYPES),
    )


REFUSED = [
    {"ChargeAmount": "0", "TokenType": CARD},
    {"ChargeAmount": "10", "TokenType": f"reusable {CARD}"},
    {"PaymentMethod": "ach-debit", "BankAccountType": CARD},
    {"PaymentMethod": "credit-card", "BankAccountType": "Consumer-Checking"},
    {"ChargeAmount": "0", "TokenType": ""},
]
ACCEPTED = [
    {"ChargeAmount": "0", "TokenType": "one-time"},
    {"PaymentMethod": "ach-debit", "BankAccountType": "consumer-savings"},
]


async def test_a_card_number_as_token_or_account_type_is_refused_and_kept_nowhere(
    recording_server: RecordingServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    callback = recording_server.url + "/pay-status"
    async with (
        Sandbox() as sandbox,
        console_client(sandbox) as client,
        client.get(sandbox.url + CONSOLE + "/events") as stream,
    ):
        call_sid = sandbox.start_call()
        path = payments_path(sandbox, call_sid)
        for number, form in enumerate(REFUSED + ACCEPTED):
            create = {"IdempotencyKey": f"k{number}", "StatusCallback": callback, **form}
            status, answer, _ = await raw_post(sandbox, path, create)
            if form in REFUSED:
                name = "TokenType" if "TokenType" in form else "BankAccountType"
                assert (status, answer["code"]) == (400, 64020), answer
                assert answer["message"].startswith(f"{name} must be one of: ")
            else:
                assert status == 201, answer
        seen: list[str] = []
        async for message in messages(stream):
            seen.append(json.dumps(message))
            if "consumer-savings" in seen[-1]:
                break
        login = {"Authorization": basic_auth(sandbox.account_sid, sandbox.auth_token)}
        async with (
            aiohttp.ClientSession() as http,
            http.get(sandbox.url + "/sandbox/events", headers=login) as listed,
        ):
            events_answer = await listed.text()
        await wait_until(lambda: len(recording_server.requests) == len(ACCEPTED))
        state = repr(sandbox.state) + repr(list(sandbox.state.sessions.values()))

    posted = [dict(r.form) for r in recording_server.requests]
    assert [p.get("TokenType") for p in posted] == ["one-time", "reusable"]  # the default
    assert [p.get("BankAccountType") for p in posted] == [None, "consumer-savings"]
    assert len(sandbox.state.sessions) == len(ACCEPTED)
    console = "".join(seen)
    assert '"Answer":"400"' in console.replace(" ", "") and "consumer-savings" in events_answer
    bodies = [r.body.decode() for r in recording_server.requests]
    for text in [console, events_answer, caplog.text, state, *bodies]:
        assert CARD not in text and not LAST_FOUR.search(text.replace("xxxxxxxxxxxx1111", ""))
