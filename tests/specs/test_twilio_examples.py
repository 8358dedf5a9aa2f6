"""Twilio's own example answers pass strict response validation: through the tolerances of
ocp_twilio/specs/tolerances.py and nothing more. Everything outside those rules still fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.credentials import TWILIO_ENV
from support.files import SHARED_OAI
from support.servers import RecordingServer
from support.twilio_examples import EXAMPLE_ERRATA, example_answers

from ocp_twilio import InvalidArguments, OCPAgent, ResponseValidationError, Tool
from ocp_twilio.specs.documents import read_document
from ocp_twilio.specs.openapi import parse_openapi_document, service_name
from ocp_twilio.specs.tolerances import TOLERANCES, Tolerance

pytestmark = pytest.mark.skipif(
    not SHARED_OAI.is_dir(), reason=f"Twilio's OpenAPI files are not at {SHARED_OAI}"
)
PRICING = SHARED_OAI / "twilio_pricing_v1.yaml"
INSIGHTS = SHARED_OAI / "twilio_insights_v1.yaml"
TRUNKING = SHARED_OAI / "twilio_trunking_v1.yaml"


def tools_of(path: Path, **options: Any) -> dict[str, Tool]:
    document = read_document(path, "OpenAPI file")
    operations = parse_openapi_document(document, service=service_name(path), **options)
    return {op.operation_id: Tool(op) for op in operations}


def answer(path: Path, operation_id: str, example: str) -> Any:
    document = read_document(path, "OpenAPI file")
    [found] = [a for o, n, a in example_answers(document) if (o, n) == (operation_id, example)]
    return found


def test_every_example_answer_passes_strict_validation_but_the_errata() -> None:
    checked = 0
    failing: dict[tuple[str, str, str], frozenset[tuple[str | int, ...]]] = {}
    for path in sorted(SHARED_OAI.glob("*.yaml")):
        tools = tools_of(path)
        for operation_id, name, body in example_answers(read_document(path, "OpenAPI file")):
            checked += 1
            errors = tools[operation_id].response_errors(body, decoded=True)
            if errors:
                failing[(path.stem, operation_id, name)] = frozenset(e.path for e in errors)
    assert checked == 1759
    # The errata still fail, exactly where their data is wrong; nothing else fails.
    assert failing == {key: frozenset(paths) for key, (paths, _) in EXAMPLE_ERRATA.items()}


# Each rule and an answer of Twilio's that needs it: where that answer fails without the rule.
EVIDENCE = {
    "number-as-text": (PRICING, "FetchVoiceNumber", "fetch", "outbound_call_price"),
    "null-property": (PRICING, "FetchVoiceNumber", "fetch", "inbound_call_price"),
    "empty-sid": (TRUNKING, "FetchPhoneNumber", "fetch", "voice_application_sid"),
}


@pytest.mark.parametrize("rule", TOLERANCES, ids=lambda r: r.name)
def test_each_rule_is_needed_by_a_real_answer(rule: Tolerance) -> None:
    path, operation_id, example, where = EVIDENCE[rule.name]
    body = answer(path, operation_id, example)
    assert tools_of(path)[operation_id].response_errors(body) == ()
    without = tools_of(path, tolerances=[r for r in TOLERANCES if r is not rule])
    errors = without[operation_id].response_errors(body)
    assert errors
    assert {e.path[0] for e in errors} == {where}


BREACHES = [
    # (where, a value no rule lets through)
    (("outbound_call_price", "current_price"), "0.25 USD"),
    (("outbound_call_price", "current_price"), "1e5"),
    (("outbound_call_price", "current_price"), ""),
    (("outbound_call_price", "current_price"), {"amount": 1}),
    (("inbound_call_price", "number_type"), {"kind": "local"}),
    (("inbound_call_price", "number_type"), 7),
    (("inbound_call_price",), "free"),
    (("inbound_call_price",), []),
    (("url",), {"href": "https://pricing.twilio.com/v1/Voice/Numbers/+15017122661"}),
]


@pytest.mark.parametrize(("where", "value"), BREACHES)
async def test_a_value_outside_the_rules_still_fails_strict_mode(
    recording_server: RecordingServer, where: tuple[str, ...], value: Any
) -> None:
    body = answer(PRICING, "FetchVoiceNumber", "fetch")
    parent = body
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value
    recording_server.reply(200, body)
    async with OCPAgent(response_validation="strict") as agent:
        await agent.register_api(
            "twilio", spec=PRICING, base_url=recording_server.url, environ=TWILIO_ENV
        )
        with pytest.raises(ResponseValidationError) as caught:
            await agent.call_tool("fetchVoiceNumber", {"Number": "+15017122661"})
    assert [e.path for e in caught.value.errors] == [where]


async def test_a_real_answer_passes_strict_mode_end_to_end(
    recording_server: RecordingServer,
) -> None:
    body = answer(PRICING, "FetchVoiceNumber", "fetch")
    recording_server.reply(200, body)
    async with OCPAgent(response_validation="strict") as agent:
        await agent.register_api(
            "twilio", spec=PRICING, base_url=recording_server.url, environ=TWILIO_ENV
        )
        assert await agent.call_tool("fetchVoiceNumber", {"Number": "+15017122661"}) == body


def test_a_sid_that_is_not_empty_must_still_be_one() -> None:
    tool = tools_of(TRUNKING)["FetchPhoneNumber"]
    body = answer(TRUNKING, "FetchPhoneNumber", "fetch")
    for wrong in ("AP", "AP" + "a" * 31, "TK" + "a" * 32, "AP" + "g" * 32, " " * 34):
        [error] = tool.response_errors({**body, "voice_application_sid": wrong})
        assert error.path == ("voice_application_sid",)
    assert tool.response_errors({**body, "voice_application_sid": "AP" + "a" * 32}) == ()


def test_arguments_are_never_widened() -> None:
    """A number argument refuses text, and a SID argument the empty string, as Twilio does."""
    tools = tools_of(SHARED_OAI / "twilio_api_v2010.yaml")
    calls = {"To": "+15005550006", "From": "+15005550001"}
    for operation_id, arguments, where in (
        ("CreateMessage", {**calls, "MaxPrice": "0.75"}, "MaxPrice"),
        ("CreateCall", {**calls, "ApplicationSid": ""}, "ApplicationSid"),
    ):
        with pytest.raises(InvalidArguments) as caught:
            tools[operation_id].validate(arguments)
        assert {e.path for e in caught.value.errors} == {(where,)}


def test_a_nullable_enum_by_ref_beside_a_type_takes_null() -> None:
    """Insights writes {type: string, $ref: <enum>, nullable: true}: null is a value, as
    written, with no tolerance; a value outside the enum is still refused."""
    tool = tools_of(INSIGHTS, tolerances=())["FetchConferenceParticipant"]
    body = answer(INSIGHTS, "FetchConferenceParticipant", "fetch")
    assert body["jitter_buffer_size"] is None
    assert tool.response_errors(body) == ()
    for given in ("large", None):
        assert tool.response_errors({**body, "jitter_buffer_size": given}) == ()
    [error] = tool.response_errors({**body, "jitter_buffer_size": "huge"})
    assert error.path == ("jitter_buffer_size",)
