"""OpenAI function tools (Chat Completions and Responses shapes), strict mode, and tool results.

Strict mode (Structured Outputs) accepts a subset of JSON Schema: every property listed in
``required`` (optional ones made nullable), ``additionalProperties: false`` on every object, and
only the keywords OpenAI documents as supported. Other rules move into the descriptions; when the
model's call comes back, :func:`openai_tool_result` removes the nulls that stand for "left out"
and the tool validates the original schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from .._config import MAX_JSON_DEPTH
from .._json import NotJSON, read_json
from ..policy.approval import ApprovalRequest, Approver
from ..tools.offer import Offer
from ..tools.tool import Tool
from ._calls import (
    ToolOutcome,
    approval_for_model,
    call_for_model,
    field_of,
    offer_of,
    unreadable,
)
from ._rules import exported_tool
from ._schema import rule_text, with_notes

if TYPE_CHECKING:
    from .._caller import ToolCaller

__all__ = [
    "OpenAIShape",
    "function_call_approval",
    "function_output",
    "openai_function",
    "openai_tool_result",
    "openai_tools",
    "run_function_call",
    "strict_schema",
]

OpenAIShape = Literal["chat", "responses"]

# Supported in strict mode, per OpenAI's Structured Outputs guide ("Supported schemas").
_STRICT_KEYWORDS = frozenset(
    {
        "type",
        "description",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "anyOf",
        "$ref",
        "$defs",
        "pattern",
        "format",
        "multipleOf",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minItems",
        "maxItems",
    }
)
_STRICT_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)


def openai_tools(
    tools: Iterable[Tool], *, strict: bool = False, shape: OpenAIShape = "chat"
) -> list[dict[str, Any]]:
    """Function tools for Chat Completions (``shape="chat"``) or the Responses API."""
    return [_function_tool(tool, strict, shape) for tool in tools]


def strict_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A parameters schema rewritten to OpenAI's strict-mode rules.

    Raises ValueError when the schema has an object of free-form keys below the top level,
    which strict mode cannot express.
    """
    return _strict_object(schema, top_level=True)


async def openai_tool_result(
    agent: ToolCaller,
    call: Any,
    *,
    api: str | None = None,
    offered: Iterable[Tool] | None = None,
) -> dict[str, Any]:
    """Run one function call the model made and return the message that answers it.

    ``call`` is a Chat Completions tool call (``message.tool_calls[i]``) or a Responses
    ``function_call`` output item, as an SDK object or a dict. The answer is a ``tool`` message
    or a ``function_call_output`` item; a failed call gives ``{"is_error": true, "error": ...}``
    whose text says what to change. Nothing is raised for a failed call. Only a tool the model
    was offered runs: one of ``offered``, else of the agent's last ``tools_for("openai", ...)``;
    another name is an error result listing the offered tools, and nothing is sent. ``api``
    keeps to the offered tools of that registered API.
    """
    function = field_of(call, "function")
    source = function if function is not None else call
    name = str(field_of(source, "name") or "")
    call_id = field_of(call, "id" if function is not None else "call_id")
    offer = offer_of(agent, "openai", offered)
    outcome = await run_function_call(
        agent, offer, name, field_of(source, "arguments"), api=api, call_id=call_id
    )
    content = function_output(outcome)
    if function is not None:
        return {"role": "tool", "tool_call_id": call_id, "content": content}
    return {"type": "function_call_output", "call_id": call_id, "output": content}


def function_output(outcome: ToolOutcome) -> str:
    """The text that answers a function call: the result, or ``{"is_error": true, ...}``."""
    if outcome.error is not None:
        return json.dumps({"is_error": True, "error": outcome.error}, ensure_ascii=False)
    return outcome.text


async def run_function_call(
    agent: ToolCaller,
    offer: Offer,
    name: str,
    arguments: Any,
    *,
    api: str | None = None,
    call_id: str | None = None,
    approver: Approver | None = None,
) -> ToolOutcome:
    """One call of a tool in ``offer`` with OpenAI's arguments (JSON text, strict mode's
    nulls), never raising; ``approver``: a framework's approval step (see call_for_model)."""
    return await call_for_model(
        agent,
        offer,
        name,
        arguments,
        api=api,
        prepare=_from_openai,
        call_id=call_id,
        approver=approver,
    )


def function_call_approval(
    agent: ToolCaller, offer: Offer, name: str, arguments: Any, *, api: str | None = None
) -> ApprovalRequest | None:
    """The approval the policy asks for a call with OpenAI's arguments, read as
    :func:`run_function_call` reads them (see approval_for_model)."""
    return approval_for_model(agent, offer, name, arguments, api=api, prepare=_from_openai)


def openai_function(tool: Tool, strict: bool) -> tuple[dict[str, Any], bool]:
    """The tool as OpenAI's function ``{name, description, parameters}``, and whether its
    parameters are strict: a tool that strict mode cannot express goes out non-strict, its calls
    validated all the same."""
    function = exported_tool(tool, "OpenAI", "parameters", safe_keys=False)
    if strict:
        try:
            function["parameters"] = strict_schema(function["parameters"])
        except ValueError:
            strict = False
    return function, strict


def _function_tool(tool: Tool, strict: bool, shape: OpenAIShape) -> dict[str, Any]:
    function, strict = openai_function(tool, strict)
    if shape == "responses":
        return {"type": "function", **function, "strict": strict}
    if strict:
        function["strict"] = True
    return {"type": "function", "function": function}


def _strict_object(schema: Mapping[str, Any], *, top_level: bool = False) -> dict[str, Any]:
    properties: Mapping[str, Any] = schema.get("properties", {})
    if not properties and schema.get("additionalProperties") is not False:
        raise ValueError("strict mode cannot express an object of free-form keys")
    required = set(schema.get("required", ()))
    out: dict[str, Any] = {
        "type": "object",
        "properties": {
            name: _strict_property(sub, name in required, top_level)
            for name, sub in properties.items()
        },
        "required": list(properties),
        "additionalProperties": False,
    }
    handled = {"type", "properties", "required", "additionalProperties", "description"}
    notes = [rule_text(k, v) for k, v in schema.items() if k not in handled]
    if "description" in schema:
        out["description"] = schema["description"]
    return with_notes(out, notes)


def _strict_property(schema: Mapping[str, Any], required: bool, top_level: bool) -> dict[str, Any]:
    if top_level and _is_free_form_object(schema):
        # Sent as JSON text and decoded before the call (see _restore).
        note = "a JSON object written as JSON text"
        converted = with_notes({"type": "string", **_description(schema)}, [note])
    else:
        converted = _strict(schema)
    return converted if required else _nullable(converted)


def _strict(schema: Mapping[str, Any]) -> dict[str, Any]:
    if schema.get("type") == "object" or "properties" in schema:
        return _strict_object(schema)
    out: dict[str, Any] = {}
    notes: list[str] = []
    if schema.get("minLength") is not None and schema.get("minLength") == schema.get("maxLength"):
        notes.append(f"exactly {schema['minLength']} characters")
        schema = {k: v for k, v in schema.items() if k not in ("minLength", "maxLength")}
    for keyword, value in schema.items():
        if keyword == "items" and isinstance(value, Mapping):
            out[keyword] = _strict(value)
        elif keyword == "oneOf" or keyword == "anyOf":
            # oneOf is not supported; anyOf admits the same values and the call still checks oneOf.
            out["anyOf"] = [_strict(option) for option in value]
        elif keyword == "$defs":
            out[keyword] = {name: _strict(sub) for name, sub in value.items()}
        elif keyword == "format" and value not in _STRICT_FORMATS:
            notes.append(rule_text(keyword, value))
        elif keyword in _STRICT_KEYWORDS:
            out[keyword] = value
        else:
            notes.append(rule_text(keyword, value))
    return with_notes(out, notes)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if _accepts_null(schema):
        return schema
    kind = schema.get("type")
    if kind is None:
        described = _description(schema)
        rest = {k: v for k, v in schema.items() if k != "description"}
        return {"anyOf": [rest, {"type": "null"}], **described}
    out = dict(schema)
    out["type"] = [*kind, "null"] if isinstance(kind, list) else [kind, "null"]
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def _from_openai(tool: Tool, arguments: Any) -> Any:
    """The arguments of an OpenAI call: JSON text read, strict mode's rewriting undone."""
    if isinstance(arguments, str):
        try:
            arguments = read_json(arguments) if arguments.strip() else {}
        except NotJSON as exc:
            # The position only: the text may hold card data.
            problem = (
                f"are nested more than {MAX_JSON_DEPTH} levels deep; send a flatter object"
                if exc.too_deep
                else f"are not valid JSON (column {exc.column}); send one JSON object"
            )
            raise unreadable(tool.name, problem) from None
    return _restore(arguments, tool.input_schema) if isinstance(arguments, Mapping) else arguments


def _restore(arguments: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """Undo the strict-mode rewriting: drop nulls meaning "left out", decode JSON-text objects."""
    properties: Mapping[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    out: dict[str, Any] = {}
    for name, value in arguments.items():
        sub = properties.get(name)
        if sub is None:
            out[name] = value  # unknown: left for validation to report
        elif value is None and name not in required and not _accepts_null(sub):
            continue
        elif isinstance(value, str) and _is_free_form_object(sub):
            out[name] = _json_object_or_text(value)
        elif isinstance(value, Mapping) and "properties" in sub:
            out[name] = _restore(value, sub)
        elif isinstance(value, list) and isinstance(sub.get("items"), Mapping):
            items = sub["items"]
            out[name] = [
                _restore(v, items) if isinstance(v, Mapping) and "properties" in items else v
                for v in value
            ]
        else:
            out[name] = value
    return out


def _json_object_or_text(text: str) -> Any:
    try:
        value = read_json(text)
    except NotJSON:
        return text  # validation will say an object is expected
    return value if isinstance(value, dict) else text


def _is_free_form_object(schema: Mapping[str, Any]) -> bool:
    return (
        schema.get("type") in ("object", ["object", "null"])
        and not schema.get("properties")
        and schema.get("additionalProperties") is not False
    )


def _accepts_null(schema: Mapping[str, Any]) -> bool:
    kind = schema.get("type")
    return (
        kind == "null"
        or (isinstance(kind, list) and "null" in kind)
        or None in schema.get("enum", ())
        or any(_accepts_null(option) for option in schema.get("anyOf", ()))
    )


def _description(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {"description": schema["description"]} if "description" in schema else {}
