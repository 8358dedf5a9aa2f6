"""The wire encoding on its own: a tool's call template filled in, and the one rule that says
which requests Twilio lets a client repeat."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal

import pytest

from ocp_twilio import InvalidArguments, OperationSpec, ParameterSpec, PreparedRequest, Tool
from ocp_twilio.specs.methods import METHODS
from ocp_twilio.tools.encoding import IDEMPOTENCY_KEY, CallTemplate

ACCOUNT_SID = "AC" + "0" * 32
# RFC 9110's idempotent methods, written out here rather than read from the library.
IDEMPOTENT = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}
FORM = "application/x-www-form-urlencoded"


def test_a_template_fills_the_path_query_headers_and_a_form_body() -> None:
    spec = OperationSpec(
        name="updateThing",
        method="POST",
        path="/v1/Accounts/{AccountSid}/Things/{Sid}.json",
        body_encoding="form",
        parameters=(
            ParameterSpec("AccountSid", "path", required=True, from_credentials="account_sid"),
            ParameterSpec("Sid", "path", required=True),
            ParameterSpec("PageSize", "query"),
            ParameterSpec("Tag", "query"),
            ParameterSpec("Webhooks", "header", wire_name="X-Twilio-Webhook-Enabled"),
            ParameterSpec("StartTimeBefore", "body", wire_name="StartTime<"),
            ParameterSpec("Flag", "body"),
            ParameterSpec("Amounts", "body"),
            ParameterSpec("Unused", "body"),
        ),
    )
    arguments = {
        "Sid": "a b/c",
        "PageSize": 50,
        "Tag": ["x", "y z"],
        "Webhooks": True,
        "StartTimeBefore": "2024-01-01",
        "Flag": False,
        "Amounts": [1.5, 1e-7, Decimal("20.00")],
    }
    request = CallTemplate(spec, tool="updateThing").fill(arguments, {"account_sid": ACCOUNT_SID})
    assert request == PreparedRequest(
        method="POST",
        path=f"/v1/Accounts/{ACCOUNT_SID}/Things/a%20b%2Fc.json",
        query=(("PageSize", "50"), ("Tag", "x"), ("Tag", "y z")),
        body=b"StartTime%3C=2024-01-01&Flag=false&Amounts=1.5&Amounts=0.0000001&Amounts=20.00",
        content_type=FORM,
        headers=(("X-Twilio-Webhook-Enabled", "true"),),
        idempotent=False,
    )


def test_a_json_body_is_one_object_keyed_by_the_names_twilio_receives() -> None:
    spec = OperationSpec(
        name="createContent",
        method="POST",
        path="/v1/Content",
        body_encoding="json",
        parameters=(
            ParameterSpec("FriendlyName", "body"),
            ParameterSpec("twilio_text", "body", wire_name="twilio/text"),
            ParameterSpec("Price", "body"),
        ),
    )
    arguments = {"FriendlyName": "café", "twilio_text": {"body": "hi"}, "Price": Decimal("0.5")}
    request = CallTemplate(spec, tool="createContent").fill(arguments, {})
    assert request.body == b'{"FriendlyName":"caf\\u00e9","twilio/text":{"body":"hi"},"Price":0.5}'
    assert (request.content_type, request.query, request.headers) == ("application/json", (), ())


def test_the_application_fills_the_status_callback_and_a_key_for_each_call() -> None:
    spec = OperationSpec(
        name="createThing",
        method="POST",
        path="/v1/Things",
        body_encoding="form",
        parameters=(
            ParameterSpec("StatusCallback", "body"),
            ParameterSpec(IDEMPOTENCY_KEY, "body", required=True),
        ),
    )
    template = CallTemplate(
        spec,
        tool="createThing",
        pinned={"StatusCallback": "https://example.com/cb"},
        makes_key=True,
    )
    first, second = (template.fill({}, {}) for _ in range(2))
    pattern = rb"StatusCallback=https%3A%2F%2Fexample.com%2Fcb&IdempotencyKey=(ocp-[0-9a-f]{32})"
    keys = [re.fullmatch(pattern, r.body or b"") for r in (first, second)]
    assert all(keys) and keys[0] != keys[1]  # a new key per call
    assert first.idempotent and second.idempotent
    given = template.fill({IDEMPOTENCY_KEY: "mine"}, {})
    assert given.body == b"StatusCallback=https%3A%2F%2Fexample.com%2Fcb&IdempotencyKey=mine"


def test_a_header_value_that_could_split_the_request_is_refused_unsent() -> None:
    spec = OperationSpec(
        name="getThing",
        method="GET",
        path="/v1/Thing",
        parameters=(ParameterSpec("Trace", "header", wire_name="X-Trace"),),
    )
    with pytest.raises(InvalidArguments) as caught:
        CallTemplate(spec, tool="getThing").fill({"Trace": "a\r\nCookie: b"}, {})
    assert caught.value.tool == "getThing"
    assert [(e.path, e.validator) for e in caught.value.errors] == [(("Trace",), "pattern")]


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("key", [None, "", "  ", "key-1"])
def test_one_rule_says_which_requests_may_be_repeated(method: str, key: str | None) -> None:
    """An idempotent method, or a non-blank IdempotencyKey: for a request and for a tool."""
    optional = OperationSpec(
        name="thing",
        method=method,
        path="/v1/Things",
        parameters=(ParameterSpec(IDEMPOTENCY_KEY, "query"),),
    )
    arguments = {} if key is None else {IDEMPOTENCY_KEY: key}
    request = CallTemplate(optional, tool="thing").fill(arguments, {})
    assert request.idempotent is (method in IDEMPOTENT or bool(key and key.strip()))
    # A tool whose key is optional promises no more than its method; a required key, always.
    assert Tool(optional).idempotent is (method in IDEMPOTENT)
    required = (ParameterSpec(IDEMPOTENCY_KEY, "query", required=True),)
    assert Tool(dataclasses.replace(optional, parameters=required)).idempotent
