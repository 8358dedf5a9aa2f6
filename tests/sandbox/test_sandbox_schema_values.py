"""Values that break Twilio's description of createPayments and updatePayments: each kind that
Schemathesis sends (benchmarks/sandbox_schemathesis.py) is refused with 400 and Twilio's code
64020, naming the field, and changes nothing; values that keep to it are accepted."""

from __future__ import annotations

import pytest
from support.sandbox import CALLBACK, payments_path, raw_post

from ocp_twilio.sandbox import Sandbox, SessionState

BASE = {"IdempotencyKey": "k-bad", "StatusCallback": CALLBACK}
NOT_A_URL = ["pay-status", "https://[::1/", "https://a:99999999/", "https:// a/"]
NOT_A_NUMBER = ["AAA", "true", "1_0", "nan", "inf", " 5", "\u0665"]
NOT_AN_INTEGER = ["AAA", "true", "0.5", "1_0", " 5", "\u0665", ""]
NOT_A_BOOLEAN = ["AAA", "0.5", "0", "1", "yes", ""]
# (field, values): the kinds of schema-breaking value; None: the field left out.
CREATE_KINDS = [
    ("IdempotencyKey", [None]),
    ("StatusCallback", [None, *NOT_A_URL]),
    ("ChargeAmount", NOT_A_NUMBER),
    ("PaymentMethod", ["AAA", "Credit-Card"]),
    ("TokenType", ["AAA"]),
    ("BankAccountType", ["AAA"]),
    ("Confirmation", ["AAA", "TRUE", ""]),
    ("PostalCode", NOT_A_BOOLEAN),
    ("SecurityCode", NOT_A_BOOLEAN),
    ("MinPostalCodeLength", NOT_AN_INTEGER),
    ("Timeout", NOT_AN_INTEGER),
]
UPDATE_KINDS = [
    ("IdempotencyKey", [None]),
    ("StatusCallback", [None, *NOT_A_URL]),
    ("Capture", ["AAA", "card-number"]),
    ("Status", ["AAA", "completed"]),
]


def broken(form: dict[str, str], field: str, value: str | None) -> dict[str, str]:
    changed = {k: v for k, v in form.items() if k != field}
    return changed if value is None else {**changed, field: value}


def assert_refused(status: int, answer: dict[str, object], field: str) -> None:
    assert (status, answer["code"], answer["status"]) == (400, 64020, 400), answer
    assert field in str(answer["message"])
    assert answer["more_info"] == "https://www.twilio.com/docs/errors/64020"


@pytest.mark.parametrize(("field", "values"), CREATE_KINDS, ids=[k for k, _ in CREATE_KINDS])
async def test_create_refuses_a_value_that_breaks_twilios_schema(
    sandbox: Sandbox, field: str, values: list[str | None]
) -> None:
    call_sid = sandbox.start_call()
    path = payments_path(sandbox, call_sid)
    for value in values:
        status, answer, _ = await raw_post(sandbox, path, broken(BASE, field, value))
        assert_refused(status, answer, field)
    assert sandbox.state.sessions == {}
    assert sandbox.events() == []
    status, _, _ = await raw_post(sandbox, path, BASE)
    assert status == 201  # the same call, the same key: nothing was kept of the refusals


@pytest.mark.parametrize(("field", "values"), UPDATE_KINDS, ids=[k for k, _ in UPDATE_KINDS])
async def test_update_refuses_a_value_that_breaks_twilios_schema(
    sandbox: Sandbox, field: str, values: list[str | None]
) -> None:
    call_sid = sandbox.start_call()
    _, created, _ = await raw_post(sandbox, payments_path(sandbox, call_sid), BASE)
    sid = str(created["sid"])
    path = payments_path(sandbox, call_sid, sid)
    step = {"IdempotencyKey": "k-step", "StatusCallback": CALLBACK, "Capture": "postal-code"}
    if field == "Status":
        step = {**step, "Status": "cancel"}
        del step["Capture"]
    for value in values:
        status, answer, _ = await raw_post(sandbox, path, broken(step, field, value))
        assert_refused(status, answer, field)
    session = sandbox.payment(sid)
    assert (session.state, session.capturing) == (SessionState.ACTIVE, None)
    assert len(sandbox.events(sid)) == 1  # create's only
    status, _, _ = await raw_post(sandbox, path, step)
    assert status == 202


async def test_values_that_keep_to_twilios_schema_are_accepted(sandbox: Sandbox) -> None:
    call_sid = sandbox.start_call()
    create = {
        **BASE,
        "StatusCallback": "https://agent.example:8443/pay-status?order=42",
        "ChargeAmount": "10.50",
        "Currency": "usd",
        "Description": "order 42",
        "PaymentMethod": "credit-card",
        "Confirmation": "false",
        "PostalCode": "true",
        "SecurityCode": "False",  # as twilio-python and others spell booleans
        "MinPostalCodeLength": "5",
        "Timeout": "10",
        "Input": "dtmf",
    }
    status, created, _ = await raw_post(sandbox, payments_path(sandbox, call_sid), create)
    assert status == 201, created
    path = payments_path(sandbox, call_sid, str(created["sid"]))
    for key, step in [("k2", {"Capture": "payment-card-number"}), ("k3", {"Status": "cancel"})]:
        form = {"IdempotencyKey": key, "StatusCallback": "http://agent.example/cb", **step}
        status, answer, _ = await raw_post(sandbox, path, form)
        assert status == 202, answer
    tokenize = {**BASE, "IdempotencyKey": "k4", "ChargeAmount": "", "Timeout": "-1"}
    status, answer, _ = await raw_post(sandbox, payments_path(sandbox, call_sid), tokenize)
    assert status == 201, answer
