"""Twilio's own example answers pass strict response validation: through the tolerances of
ocp_twilio/specs/tolerances.py and nothing more. Everything outside those rules still fails."""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.credentials import TWILIO_ENV
from support.files import SHARED_OAI
from support.servers import RecordingServer
from support.twilio_examples import example_answers

from ocp_twilio import InvalidArguments, OCPAgent, ResponseValidationError, Tool
from ocp_twilio.specs.documents import read_document
from ocp_twilio.specs.openapi import parse_openapi_document, service_name
from ocp_twilio.specs.tolerances import TOLERANCES, Tolerance, widen_answer_schema
from ocp_twilio.tools.formats import OUTPUT_FORMATS
from ocp_twilio.tools.search_signals import SignalIndex
from ocp_twilio.tools.validation import SchemaValidator

pytestmark = pytest.mark.skipif(
    not SHARED_OAI.is_dir(), reason=f"Twilio's OpenAPI files are not at {SHARED_OAI}"
)
PRICING = SHARED_OAI / "twilio_pricing_v1.yaml"
INSIGHTS = SHARED_OAI / "twilio_insights_v1.yaml"
TRUNKING = SHARED_OAI / "twilio_trunking_v1.yaml"
VIDEO = SHARED_OAI / "twilio_video_v1.yaml"
FLEX = SHARED_OAI / "twilio_flex_v1.yaml"
RULES = {rule.name: rule for rule in TOLERANCES}


@functools.cache
def document(path: Path) -> Any:
    """Each file read once for the module: the documents are only read, never changed."""
    return read_document(path, "OpenAPI file")


@pytest.fixture(autouse=True, scope="module")
def _forget_documents() -> Iterator[None]:
    yield
    document.cache_clear()  # all 55 parsed files are not kept for the rest of the run


def tools_of(path: Path, **options: Any) -> dict[str, Tool]:
    operations = parse_openapi_document(document(path), service=service_name(path), **options)
    return {op.operation_id: Tool(op) for op in operations}


def answer(path: Path, operation_id: str, example: str) -> Any:
    """A copy of one example answer, free to change."""
    [found] = [
        a for o, n, a in example_answers(document(path)) if (o, n) == (operation_id, example)
    ]
    return copy.deepcopy(found)


def test_every_example_answer_passes_strict_validation() -> None:
    checked = 0
    failing: dict[tuple[str, str, str], list[tuple[tuple[str | int, ...], str]]] = {}
    for path in sorted(SHARED_OAI.glob("*.yaml")):
        tools = tools_of(path)
        for operation_id, name, body in example_answers(document(path)):
            checked += 1
            errors = tools[operation_id].response_errors(body, decoded=True)
            if errors:
                failing[(path.stem, operation_id, name)] = [(e.path, e.message) for e in errors]
    assert checked == 1759
    assert failing == {}


def test_argument_schemas_are_the_same_with_the_rules_or_without() -> None:
    """The rules widen answers only: every input schema of every file, enums and SID patterns
    included, is what it is with no rule at all."""
    enums = 0
    for path in sorted(SHARED_OAI.glob("*.yaml")):
        widened, as_written = tools_of(path), tools_of(path, tolerances=())
        assert widened.keys() == as_written.keys()
        for operation_id, tool in widened.items():
            assert tool.input_schema == as_written[operation_id].input_schema, operation_id
            enums += str(tool.input_schema).count("'enum'")
    assert enums > 1000  # the comparison covers Twilio's argument enums


# Each rule and an answer of Twilio's that needs it: where that answer fails without the rule.
EVIDENCE = {
    "number-as-text": (PRICING, "FetchVoiceNumber", "fetch", "outbound_call_price"),
    "null-property": (PRICING, "FetchVoiceNumber", "fetch", "inbound_call_price"),
    "empty-sid": (TRUNKING, "FetchPhoneNumber", "fetch", "voice_application_sid"),
    # codec "opus" where the file lists OPUS
    "open-enum": (VIDEO, "FetchRecording", "fetch", "codec"),
    # a plugin version SID beginning PV where the file demands FV
    "sid-shape": (FLEX, "FetchConfiguredPlugin", "fetch", "plugin_version_sid"),
}


@pytest.mark.parametrize("rule", TOLERANCES, ids=lambda r: r.name)
def test_each_rule_is_needed_by_a_real_answer(rule: Tolerance) -> None:
    path, operation_id, example, where = EVIDENCE[rule.name]
    body = answer(path, operation_id, example)
    assert tools_of(path)[operation_id].response_errors(body) == ()
    errors = tools_of(path, tolerances=without(rule.name))[operation_id].response_errors(body)
    assert errors
    assert {e.path[0] for e in errors} == {where}


BREACHES = [
    # (where, a value no rule lets through)
    (("outbound_call_price", "current_price"), "0.25 USD"),
    (("outbound_call_price", "current_price"), "1e5"),
    (("outbound_call_price", "current_price"), ""),
    (("outbound_call_price", "current_price"), "0.25\n"),
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


# A Video recording: `codec` is an enum by $ref (VP8, H264, OPUS, PCMU) that may be null,
# `status_callback_method` an enum written in place (GET, POST), `sid` a SID (^RT...$).
OPEN_ENUM_TAKES = ["opus", "AV1", "h264-high.10", "x" * 64, "OPUS", None]
OPEN_ENUM_REFUSES = [
    7,
    True,
    ["opus"],
    {"codec": "opus"},
    "",
    " ",
    "opus ",
    " opus",
    "opus\n",
    "op\tus",
    "x" * 65,
    "opüs",
    "opus;",
    "opus/2",
]
SID_SHAPE_TAKES = ["RT" + "a" * 32, "PV" + "0" * 32, "VT12445353", "VA" + "F" * 31, None, ""]
SID_SHAPE_REFUSES = [
    "rt" + "a" * 32,
    "Rt" + "a" * 32,
    "RTT" + "a" * 8,
    "1T" + "a" * 8,
    "RT" + "g" * 32,
    "RT" + "a" * 7,
    "RT" + "a" * 33,
    "RT",
    "RT" + "a" * 8 + "\n",
    "RT a" + "a" * 8,
    " " * 34,
    "\n",
    0x12345678,
    ["RT" + "a" * 32],
]


@pytest.mark.parametrize(
    ("where", "value", "passes"),
    [
        *(("codec", v, True) for v in OPEN_ENUM_TAKES),
        *(("codec", v, False) for v in OPEN_ENUM_REFUSES),
        *(("status_callback_method", v, True) for v in ("GET", "http_method", "delete", None)),
        *(("status_callback_method", v, False) for v in (1, "", "GET POST", "GET\n")),
        *(("sid", v, True) for v in SID_SHAPE_TAKES),
        *(("sid", v, False) for v in SID_SHAPE_REFUSES),
    ],
)
def test_open_enums_and_sid_shapes_take_plain_values_only(
    where: str, value: Any, passes: bool
) -> None:
    tool = tools_of(VIDEO)["FetchRecording"]
    errors = tool.response_errors({**answer(VIDEO, "FetchRecording", "fetch"), where: value})
    assert {e.path for e in errors} == (set() if passes else {(where,)})


def test_a_sid_is_empty_only_under_empty_sid() -> None:
    body = answer(TRUNKING, "FetchPhoneNumber", "fetch")
    tools = {name: tools_of(TRUNKING, tolerances=without(name)) for name in RULES}
    no_empty = tools["empty-sid"]["FetchPhoneNumber"]
    [error] = no_empty.response_errors({**body, "voice_application_sid": ""})
    assert error.path == ("voice_application_sid",)
    assert no_empty.response_errors({**body, "voice_application_sid": "TK12345678"}) == ()
    no_shape = tools["sid-shape"]["FetchPhoneNumber"]
    assert no_shape.response_errors({**body, "voice_application_sid": ""}) == ()
    for wrong in ("TK12345678", "AP" + "a" * 31, "AP" + "a" * 32 + "\n", "\n"):
        errors = no_shape.response_errors({**body, "voice_application_sid": wrong})
        assert {e.path for e in errors} == {("voice_application_sid",)}


def without(name: str) -> list[Tolerance]:
    return [rule for rule in TOLERANCES if rule.name != name]


SID = {"type": "string", "minLength": 34, "maxLength": 34, "pattern": "^AP[0-9a-fA-F]{32}$"}


@pytest.mark.parametrize(
    "order",
    [("empty-sid", "sid-shape"), ("sid-shape", "empty-sid")],
    ids=lambda o: " then ".join(o),
)
def test_empty_sid_and_sid_shape_make_one_schema_in_either_order(
    order: tuple[str, str],
) -> None:
    widened = widen_answer_schema(copy.deepcopy(SID), [RULES[name] for name in order])
    # Twilio's prefix stays readable (search reads it): AP first, then any SID's shape.
    assert widened["pattern"] == "^(?:AP[0-9a-fA-F]{32}|[A-Z]{2}[0-9a-fA-F]{8,32})?$"
    assert "minLength" not in widened
    assert widened["maxLength"] == 34
    assert widened["not"] == {"type": "string", "pattern": r"\n"}


def test_a_widened_sid_still_names_its_resource_for_search() -> None:
    """ListRecording takes no Recording SID, and returns them (^RT...$ before sid-shape)."""
    tools = list(tools_of(VIDEO).values())
    found = SignalIndex(tools).read("RT" + "0123456789abcdef" * 2).tools
    assert "ListRecording" in {tools[position].spec.operation_id for position in found}


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer", "enum": [1, 2]},
        {"enum": ["a", 1]},
        {"type": ["string", "integer"], "enum": ["a"]},
        {"enum": [None]},
        {"type": "string", "pattern": "^AP[0-9a-fA-F]{32}(,AP[0-9a-fA-F]{32})*$"},
        {"type": "string", "pattern": "^(SM|MM)[0-9a-fA-F]{32}$"},
        {"type": "string", "pattern": "^AP[0-9a-fA-F]{32}|[A-Z]{2}[0-9a-fA-F]{8,32}$"},
        {"type": "string", "pattern": "^(?:AP[0-9a-fA-F]{32}$"},
        {"type": "integer", "pattern": "^AP[0-9a-fA-F]{32}$"},
    ],
)
def test_open_enum_and_sid_shape_leave_other_schemas_alone(schema: dict[str, Any]) -> None:
    rules = [RULES["open-enum"], RULES["sid-shape"], RULES["empty-sid"]]
    assert widen_answer_schema(copy.deepcopy(schema), rules) == schema


@pytest.mark.parametrize(
    ("schema", "takes", "refuses"),
    [
        # No type beside the enum: the enum's kinds become the type.
        ({"enum": ["a", "b"]}, ["a", "c"], [None, 1, "c d"]),
        ({"enum": ["a", None]}, ["c", None], [1, "c d"]),
        # Null that null-property adds after this rule stays a value.
        ({"type": ["string", "null"], "enum": ["a"]}, ["c", None], [1, ""]),
    ],
)
def test_an_open_enum_keeps_its_kinds(schema: dict[str, Any], takes: Any, refuses: Any) -> None:
    validator = SchemaValidator(
        widen_answer_schema(schema, [RULES["open-enum"]]), OUTPUT_FORMATS, "x"
    )
    for value in takes:
        assert validator.errors(value) == (), value
    for value in refuses:
        assert validator.errors(value) != (), value


def test_arguments_are_never_widened() -> None:
    """A number argument refuses text, a SID argument the empty string and another prefix, an
    enum argument a value it does not list, as Twilio does."""
    tools = tools_of(SHARED_OAI / "twilio_api_v2010.yaml")
    calls = {"To": "+15005550006", "From": "+15005550001"}
    for operation_id, arguments, where in (
        ("CreateMessage", {**calls, "MaxPrice": "0.75"}, "MaxPrice"),
        ("CreateCall", {**calls, "ApplicationSid": ""}, "ApplicationSid"),
        ("CreateCall", {**calls, "ApplicationSid": "PV" + "a" * 32}, "ApplicationSid"),
        ("CreateCall", {**calls, "ApplicationSid": "AP12345678"}, "ApplicationSid"),
        ("CreateCall", {**calls, "Url": "https://a.example", "Method": "http_method"}, "Method"),
    ):
        with pytest.raises(InvalidArguments) as caught:
            tools[operation_id].validate(arguments)
        assert {e.path for e in caught.value.errors} == {(where,)}
    with pytest.raises(InvalidArguments) as caught:
        tools_of(VIDEO)["CreateRoom"].validate({"VideoCodecs": ["vp8"]})
    assert {e.path for e in caught.value.errors} == {("VideoCodecs", 0)}


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
