"""What goes on the wire: method, URL, form body, headers and auth (a MockTransport, no network)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.credentials import ACCOUNT_SID, TWILIO_ENV
from support.payments import (
    CALL_SID,
    CREATE_PATH,
    PAYMENT_BODY,
    PAYMENT_SID,
    TWILIO_API,
    UPDATE_PATH,
    assert_default_update_sent,
    create_arguments,
    update_arguments,
)
from support.servers import RecordingServer
from support.specs import THINGS_SPEC
from support.wire import Wire, sent_requests
from yarl import URL

from ocp_twilio import USER_AGENT, OCPAgent
from ocp_twilio.tools.encoding import _escaped, query_string

API_KEY = "SK" + "abcdef0123456789" * 2
API_SECRET = "key-secret-" + "s3cr3t" * 4
OTHER_ACCOUNT = "AC" + "99999999999999999999999999999999"


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


async def test_update_payments_request(wire: Wire, wire_agent: OCPAgent) -> None:
    wire.reply(202, PAYMENT_BODY)

    result = await wire_agent.call_tool("updatePayments", update_arguments())

    assert result == PAYMENT_BODY
    [request] = sent_requests(wire)
    assert request.method == "POST"
    assert request.url == TWILIO_API + UPDATE_PATH
    assert_default_update_sent(request.headers, request.form)
    assert request.headers["User-Agent"] == USER_AGENT


async def test_status_is_sent_instead_of_capture(wire: Wire, wire_agent: OCPAgent) -> None:
    wire.reply(202, PAYMENT_BODY)

    await wire_agent.call_tool("updatePayments", update_arguments(Capture=None, Status="cancel"))

    [request] = sent_requests(wire)
    assert ("Status", "cancel") in request.form
    assert "Capture" not in dict(request.form)


@pytest.mark.parametrize(
    ("argument", "value", "on_wire"),
    [
        ("PostalCode", True, "true"),
        ("SecurityCode", False, "false"),
        ("ChargeAmount", 12.5, "12.5"),
        ("ChargeAmount", 12.0, "12"),
        ("ChargeAmount", 20, "20"),
        ("ChargeAmount", 0.07, "0.07"),
        ("MinPostalCodeLength", 5, "5"),
        ("Parameter", {"name": "foobar", "tries": 2, "ok": True}, None),
        ("Confirmation", "true", "true"),
        ("Description", "Café order #42 & more", "Café order #42 & more"),
    ],
)
async def test_create_payments_form_encoding(
    wire: Wire, wire_agent: OCPAgent, argument: str, value: Any, on_wire: str | None
) -> None:
    wire.reply(201, PAYMENT_BODY)

    await wire_agent.call_tool("createPayments", create_arguments(**{argument: value}))

    [request] = sent_requests(wire)
    assert request.url == TWILIO_API + CREATE_PATH
    sent = dict(request.form)
    assert sent["IdempotencyKey"] == "order-42-start"
    if on_wire is None:  # an object travels as JSON text, decoded back to the same object
        assert json.loads(sent[argument]) == value
        assert sent[argument].startswith("{")
    else:
        assert sent[argument] == on_wire


async def test_optional_arguments_left_out_are_not_sent(wire: Wire, wire_agent: OCPAgent) -> None:
    wire.reply(201, PAYMENT_BODY)

    await wire_agent.call_tool("createPayments", create_arguments())

    [request] = sent_requests(wire)
    assert [name for name, _ in request.form] == ["IdempotencyKey", "StatusCallback"]


async def test_account_sid_can_be_given_explicitly(wire: Wire, wire_agent: OCPAgent) -> None:
    path = UPDATE_PATH.replace(ACCOUNT_SID, OTHER_ACCOUNT)
    wire.reply(202, PAYMENT_BODY)

    await wire_agent.call_tool("updatePayments", update_arguments(AccountSid=OTHER_ACCOUNT))

    [request] = sent_requests(wire)
    assert request.url == TWILIO_API + path
    assert "AccountSid" not in dict(request.form)


@pytest.mark.parametrize("source", ["arguments", "environment"])
async def test_api_key_and_secret_authenticate(wire: Wire, source: str) -> None:
    wire.reply(202, PAYMENT_BODY)
    key_env = {"TWILIO_API_KEY": API_KEY, "TWILIO_API_SECRET": API_SECRET}
    env = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, **(key_env if source == "environment" else {})}
    given = {"api_key": API_KEY, "api_secret": API_SECRET} if source == "arguments" else {}

    async with OCPAgent(transport=wire.transport) as agent:
        await agent.register_api("twilio", environ=env, **given)
        await agent.call_tool("updatePayments", update_arguments())

    [request] = sent_requests(wire)
    assert request.headers["Authorization"] == basic(API_KEY, API_SECRET)
    # The key authenticates; the path still names the account, taken from the credentials.
    assert request.url == TWILIO_API + UPDATE_PATH


async def test_explicit_credentials_win_over_the_environment(wire: Wire) -> None:
    wire.reply(202, PAYMENT_BODY)
    env = {**TWILIO_ENV, "TWILIO_API_KEY": API_KEY, "TWILIO_API_SECRET": API_SECRET}

    async with OCPAgent(transport=wire.transport) as agent:
        await agent.register_api("twilio", environ=env, auth_token="explicit-token")
        await agent.call_tool("updatePayments", update_arguments())

    [request] = sent_requests(wire)
    assert request.headers["Authorization"] == basic(ACCOUNT_SID, "explicit-token")


async def test_array_arguments_repeat_their_name(wire: Wire, tmp_path: Path) -> None:
    spec = tmp_path / "things.yaml"
    spec.write_text(THINGS_SPEC)
    wire.reply(200, {})

    async with OCPAgent(transport=wire.transport) as agent:
        await agent.register_api("twilio", spec=spec, environ=TWILIO_ENV)
        await agent.call_tool(
            "updateThing", {"Name": "lamp", "Tag": ["a", "b"], "Color": ["red", "blue"], "Count": 3}
        )

    [request] = sent_requests(wire)
    assert request.url == f"{TWILIO_API}/v1/Things/lamp.json?Tag=a&Tag=b"
    assert request.form == [("Color", "red"), ("Color", "blue"), ("Count", "3")]


@pytest.mark.parametrize(
    ("name", "raw_segment"),
    [
        ("a b", "a%20b"),
        ("x/../../Accounts", "x%2F..%2F..%2FAccounts"),
        ("50%2F50", "50%252F50"),
        ("why?admin=1", "why%3Fadmin%3D1"),
        ("frag#ment", "frag%23ment"),
        ("line\nbreak", "line%0Abreak"),
        ("..x", "..x"),
    ],
)
async def test_path_values_are_quoted_into_one_segment(
    recording_server: RecordingServer, tmp_path: Path, name: str, raw_segment: str
) -> None:
    spec = tmp_path / "things.yaml"
    spec.write_text(THINGS_SPEC)
    recording_server.reply(200, {})

    async with OCPAgent() as agent:
        await agent.register_api(
            "twilio", spec=spec, base_url=recording_server.url, environ=TWILIO_ENV
        )
        await agent.call_tool("updateThing", {"Name": name})

    [request] = recording_server.requests
    assert request.path_qs == f"/v1/Things/{raw_segment}.json"


def test_fixture_ids_are_distinct() -> None:
    # The constants the shape tests compare against must not coincide.
    assert len({ACCOUNT_SID, OTHER_ACCOUNT, CALL_SID, PAYMENT_SID, API_KEY}) == 5


@settings(max_examples=300)
@given(st.one_of(st.text(), st.text(alphabet="0123456789abcdefABCDEF", min_size=1)))
def test_escaping_is_quote_and_quote_plus(text: str) -> None:
    """The table for ASCII text and the skips for alphanumeric and unreserved text answer as
    urllib does."""
    for escape in (quote, quote_plus):
        try:
            expected = escape(text, safe="")
        except UnicodeEncodeError:  # lone surrogates: urllib refuses them, and so must we
            with pytest.raises(UnicodeEncodeError):
                _escaped(text, escape)
            continue
        assert _escaped(text, escape) == expected


def test_escaping_every_ascii_character() -> None:
    for code in range(128):
        text = f"a{chr(code)}b"
        assert _escaped(text, quote) == quote(text, safe="")
        assert _escaped(text, quote_plus) == quote_plus(text, safe="")


_QUERY_TEXT = st.one_of(
    st.text(),
    st.text(alphabet=[chr(c) for c in range(128)]),
    st.text(alphabet="0123456789abcdefXYZ", min_size=1),
)


@settings(max_examples=300)
@given(st.lists(st.tuples(_QUERY_TEXT, _QUERY_TEXT), min_size=1, max_size=4))
def test_a_query_is_written_as_yarl_writes_it(pairs: list[tuple[str, str]]) -> None:
    """The query the dispatcher writes is byte for byte the one yarl's update_query made."""
    base = URL("https://api.twilio.com/2010-04-01/Messages.json", encoded=True)
    try:
        expected = base.update_query(pairs).raw_query_string
    except UnicodeEncodeError:  # lone surrogates: yarl refuses them, and so must we
        with pytest.raises(UnicodeEncodeError):
            query_string(tuple(pairs))
        return
    assert query_string(tuple(pairs)) == expected
