"""The uri and date-time-rfc-2822 formats are really checked; nullable response fields take null."""

from __future__ import annotations

import sys

import jsonschema_rs
import pytest
from support.credentials import TWILIO_ENV
from support.payments import PAYMENT_BODY, update_arguments
from support.servers import RecordingServer

from ocp_twilio import InvalidArguments, OCPAgent, Tool, load_operations
from ocp_twilio.specs.model import packaged_schemas_dir
from ocp_twilio.tools.formats import SOUND_PATTERNS

TOOLS = {op.name: Tool(op) for op in load_operations([packaged_schemas_dir()])}
UPDATE = TOOLS["updatePayments"]
RESPONSE_FIELDS = ("account_sid", "call_sid", "sid", "date_created", "date_updated", "uri")


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/pay-status",
        "http://127.0.0.1:8080/cb?order=42&step=expiry",
        "https://user@example.com:8443/a/b#done",
        "https://xn--caf-dma.example/pay",
    ],
)
def test_valid_uri_arguments(url: str) -> None:
    UPDATE.validate(update_arguments(StatusCallback=url))


@pytest.mark.parametrize(
    "url",
    [
        "example.com/pay",
        "/pay-status",
        "//example.com/pay",
        "https://",
        "https:///path-only",
        "http://exa mple.com",
        "https://example.com/<script>",
        "1http://example.com",
        "",
    ],
)
def test_invalid_uri_arguments(url: str) -> None:
    with pytest.raises(InvalidArguments) as caught:
        UPDATE.validate(update_arguments(StatusCallback=url))

    [problem] = caught.value.errors
    assert problem.path == ("StatusCallback",)
    assert problem.validator == "format"


@pytest.mark.parametrize(
    "date",
    [
        "Wed, 18 Dec 2019 20:02:01 +0000",
        "Mon, 29 Feb 2016 00:00:00 -0500",
        "18 Dec 2019 20:02:01 GMT",
    ],
)
def test_valid_rfc_2822_dates(date: str) -> None:
    body = {**PAYMENT_BODY, "date_created": date, "date_updated": date}

    assert UPDATE.response_errors(body) == ()


@pytest.mark.parametrize(
    "date",
    [
        "2019-12-18T20:02:01Z",
        "yesterday",
        "Wed, 32 Dec 2019 20:02:01 +0000",
        "Tue, 29 Feb 2019 10:00:00 +0000",
        "Wed, 18 Foo 2019 20:02:01 +0000",
        "",
    ],
)
def test_invalid_rfc_2822_dates(date: str) -> None:
    errors = UPDATE.response_errors({**PAYMENT_BODY, "date_updated": date})

    [problem] = errors
    assert problem.path == ("date_updated",)
    assert "date-time-rfc-2822" in problem.message


def test_relative_resource_uri_is_accepted_in_responses() -> None:
    # Twilio's own answers carry a path relative to api.twilio.com.
    assert PAYMENT_BODY["uri"].startswith("/2010-04-01/")
    assert UPDATE.response_errors(PAYMENT_BODY) == ()
    assert UPDATE.response_errors({**PAYMENT_BODY, "uri": "/a b"}) != ()


@pytest.mark.parametrize("tool", ["createPayments", "updatePayments"])
def test_every_response_field_is_nullable(tool: str) -> None:
    body = dict.fromkeys(RESPONSE_FIELDS)

    schema = TOOLS[tool].output_schema
    assert schema is not None
    assert set(schema["properties"]) == set(RESPONSE_FIELDS)
    assert TOOLS[tool].response_errors(body) == ()


@pytest.mark.parametrize("field", RESPONSE_FIELDS)
def test_nullable_does_not_mean_anything_goes(field: str) -> None:
    [problem] = UPDATE.response_errors({**PAYMENT_BODY, field: 42})

    assert problem.path == (field,)
    assert "string or null" in problem.message


async def test_null_fields_pass_strict_validation_end_to_end(
    recording_server: RecordingServer,
) -> None:
    body = {**dict.fromkeys(RESPONSE_FIELDS), "sid": PAYMENT_BODY["sid"]}
    recording_server.reply(202, body)
    async with OCPAgent(response_validation="strict") as agent:
        await agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)
        assert await agent.call_tool("updatePayments", update_arguments()) == body


def test_input_arguments_are_not_nullable() -> None:
    with pytest.raises(InvalidArguments) as caught:
        UPDATE.validate(update_arguments(StatusCallback=None) | {"StatusCallback": None})

    assert {e.path for e in caught.value.errors} == {("StatusCallback",)}


def test_the_uri_patterns_refuse_exactly_the_characters_the_checks_refuse() -> None:
    """jsonschema-rs's yes must be jsonschema's yes, one character at a time over all of
    Unicode: Python's and ECMA-262's ``\\s`` differ (U+0085, U+FEFF), so neither is used."""
    checks = {check.__name__: check for check in SOUND_PATTERNS}
    reference, absolute = checks["_is_uri_reference"], checks["_is_absolute_uri"]
    as_reference = jsonschema_rs.validator_for({"pattern": SOUND_PATTERNS[reference]})
    as_absolute = jsonschema_rs.validator_for({"pattern": SOUND_PATTERNS[absolute]})
    characters = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    assert [c for c in characters if as_reference.is_valid(c) != reference(c)] == []
    paths = [f"https://example.com/{c}" for c in characters]
    assert [p for p in paths if as_absolute.is_valid(p) != absolute(p)] == []
    assert not reference("\x85") and not reference("\ufeff") and reference("/2010-04-01/x")
