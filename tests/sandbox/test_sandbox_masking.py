"""No full card number, security code or bank number in any response, event, log or state."""

from __future__ import annotations

import dataclasses
import logging
import re

import aiohttp
import pytest
from support.sandbox import basic_auth, payments_path, wait_until
from support.servers import RecordingServer

from ocp_twilio.payments.progress import kept_fields
from ocp_twilio.sandbox import CallerBankAccount, CallerCard, Sandbox

CARD = CallerCard(
    number="4000056655665556",
    expiry_mmyy="0931",
    security_code="973",
    postal_code="10001",
)
BANK = CallerBankAccount(routing_number="021000021", account_number="998877665544")
# Whole values, and the parts a mask must hide (all but the last four digits of a card, the last
# two of a bank account; a valid routing number names a bank and is shown, as Twilio shows it).
SECRETS = [CARD.number, CARD.number[:-4], BANK.account_number, BANK.account_number[:-2]]
SECURITY_CODE = re.compile(rf"\b{CARD.security_code}\b")

CARD_STEPS = [
    {"Status": "complete"},  # refused: 64019
    {"Capture": "payment-card-number"},
    {"Capture": "expiration-date"},
    {"Capture": "security-code"},
    {"Capture": "postal-code"},
    {"Capture": "postal-code"},
    {"Capture": "payment-card-number-matcher"},
    {"Status": "complete"},
    {"Capture": "security-code"},  # refused: 64021
]
BANK_STEPS = [
    {"Capture": "bank-routing-number"},
    {"Capture": "bank-account-number"},
    {"Status": "complete"},
]


async def test_nothing_the_caller_keyed_in_is_shown_in_full(
    recording_server: RecordingServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    async with Sandbox(card=CARD, bank=BANK) as sandbox, aiohttp.ClientSession() as http:
        headers = {"Authorization": basic_auth(sandbox.account_sid, sandbox.auth_token)}
        callback = recording_server.url + "/pay-status"

        async def post(path: str, form: dict[str, str]) -> str:
            async with http.post(sandbox.url + path, data=form, headers=headers) as response:
                texts.append(await response.text())
                return texts[-1]

        for method, steps in [("credit-card", CARD_STEPS), ("ach-debit", BANK_STEPS)]:
            # The caller keys the card number into the postal code first: it is not echoed.
            call_sid = sandbox.start_call({"postal-code": [CARD.number]})
            create = {
                "Description": f"card {CARD.number}",  # a model pasted it: never stored
                "IdempotencyKey": f"{method}-create",
                "StatusCallback": callback,
                "PaymentMethod": method,
                "RequireMatchingInputs": "payment-card-number" if method == "credit-card" else "",
            }
            answer = await post(payments_path(sandbox, call_sid), create)
            sid = re.search(r'"sid": "(PK\w+)"', answer)
            assert sid is not None
            for number, step in enumerate(steps):
                form = {"IdempotencyKey": f"{method}-{number}", "StatusCallback": callback, **step}
                await post(payments_path(sandbox, call_sid, sid.group(1)), form)
        # Card numbers where a client may put anything: a path, a Capture, a script's name.
        await post(payments_path(sandbox, CARD.number), {"IdempotencyKey": "x"})
        await post(payments_path(sandbox, call_sid, sid.group(1)), {
            "IdempotencyKey": "y", "StatusCallback": callback, "Capture": CARD.number
        })  # fmt: skip
        await post("/sandbox/calls", {CARD.number: "1"})
        async with http.get(sandbox.url + "/sandbox/events", headers=headers) as response:
            texts.append(await response.text())
        events = sandbox.events()
        await wait_until(lambda: len(recording_server.requests) == len(events))
        texts += [repr(sandbox), repr(CARD), repr(BANK)]
        for session in sandbox.state.sessions.values():
            texts += [repr(session), repr(dataclasses.asdict(session))]
        texts += [repr(call) for call in sandbox.state.calls.values()]
        texts.append(repr(sandbox.state.idempotency.__dict__))
    texts += [repr(event) for event in events]
    texts += [r.body.decode() for r in recording_server.requests]
    texts += [record.getMessage() for record in caplog.records]

    assert sum('"code": 64019' in t or '"code": 64021' in t for t in texts) == 3
    assert sum("xxxxxxxxxxxx5556" in t for t in texts) > 3  # the masks are there
    for text in texts:
        for secret in SECRETS:
            assert secret not in text
        assert not SECURITY_CODE.search(text)
    last_card = next(e.fields for e in events if e.fields.get("Result"))
    assert last_card["PaymentCardNumber"] == "xxxxxxxxxxxx5556"
    assert last_card["SecurityCode"] == "xxx"
    postal = [e.fields for e in events if e.fields.get("ErrorType") == "invalid-postal-code"]
    assert [p["PaymentCardPostalCode"] for p in postal] == ["x" * 16]
    bank_event = events[-1].fields
    assert bank_event["BankAccountNumber"] == "xxxxxxxxxx44"
    assert bank_event["BankRoutingNumber"] == BANK.routing_number
    # The agent's progress keeps both, as masked as Twilio sends them.
    kept = kept_fields(bank_event)
    assert (kept["BankAccountNumber"], kept["BankRoutingNumber"]) == ("xxxxxxxxxx44", "021000021")
