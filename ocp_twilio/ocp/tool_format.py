"""The OCP tool format (OCP's ``ocp-tool.json``), both ways: a Tool written as an OCP tool for
a catalog (:func:`ocp_tool`), and OCP tools read back as operations (:func:`operations_of`), so
what one direction writes the other reads.

Names follow rules that stay stable across versions:

- A tool is named by its operation name in camelCase (``updatePayments``): every run of
  characters outside ``[A-Za-z0-9]`` ends a word, the next letter is capitalised, and the first
  letter is lowercase; a name that does not start with a letter gets ``op`` before it.
- A parameter keeps its name where OCP allows it (``^[a-zA-Z][a-zA-Z0-9_]*$``); otherwise every
  run of other characters becomes ``_`` (``Limits.ChannelMembers`` is ``Limits_ChannelMembers``,
  ``X-Twilio-Webhook-Enabled`` is ``X_Twilio_Webhook_Enabled``), ``p`` goes before one that does
  not start with a letter, and a name then taken already ends with ``_2``, ``_3``… in the
  operation's order.

What an OCP tool cannot say (the body encoding, the names Twilio receives, the arguments filled
from the credentials, exactly-one-of groups, the success status, the effects) is the tool's
object in its entry's ``x-ocp-twilio`` extension (:data:`TOOL_EXTENSION_SCHEMA`), in the OCP
tool's names. The effects are written for other readers and never read back: a registry entry's
tools have their method's effects alone, whatever it claims.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..specs.model import OperationSpec, parse_spec_document
from ..tools.tool import Tool

__all__ = [
    "TOOL_EXTENSION_SCHEMA",
    "camel_case",
    "ocp_tool",
    "operations_of",
    "parameter_names",
    "tool_extension",
]

_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]+")
_NOT_OCP_PARAMETER = re.compile(r"[^A-Za-z0-9_]+")
_OCP_PARAMETER = re.compile(r"[a-zA-Z][a-zA-Z0-9_]*")
# The keys of an OCP tool parameter that are JSON Schema keywords (besides its own "schema").
_SCHEMA_KEYS = (
    "type",
    "enum",
    "format",
    "items",
    "properties",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "default",
)
# A tool's object in the entry's extension: what tool_extension writes, and all a reader takes.
TOOL_EXTENSION_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "body_encoding": {"enum": ["form", "json"]},
        "wire_names": {"type": "object", "additionalProperties": {"type": "string"}},
        "from_credentials": {"type": "object", "additionalProperties": {"enum": ["account_sid"]}},
        "exactly_one_of": {
            "type": "array",
            "items": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        },
        "response_status": {"type": "integer", "minimum": 100, "maximum": 599},
        # Written for other readers and taken as any strings: this library never reads it back.
        "effects": {"type": "array", "items": {"type": "string"}},
    },
}


def ocp_tool(tool: Tool, name: str | None = None) -> dict[str, Any]:
    """One tool as OCP's ``ocp-tool.json`` defines it; path placeholders are its OCP names."""
    schema = tool.input_schema
    properties: Mapping[str, Any] = schema["properties"]
    required = set(schema.get("required", ()))
    ocp_names = parameter_names(tool)
    path = tool.path
    for param in tool.spec.parameters_in("path"):
        path = path.replace(f"{{{param.sent_as}}}", f"{{{ocp_names[param.name]}}}")
    return {
        "name": name or camel_case(tool.spec.name),
        "description": tool.description,
        "method": tool.method,
        "path": path,
        "operation_id": tool.spec.operation_id or None,
        "tags": list(dict.fromkeys(tool.tags)),
        "parameters": {
            ocp_names[p.name]: _parameter(
                properties[p.name], p.location, p.location == "path" or p.name in required
            )
            for p in tool.spec.parameters
            if p.name in properties
        },
        "response_schema": tool.output_schema or {},
    }


def tool_extension(tool: Tool, listed: Mapping[str, Any]) -> dict[str, Any]:
    """What the OCP tool ``listed`` (``tool`` as :func:`ocp_tool` wrote it) cannot carry, in
    its names."""
    ocp_names = parameter_names(tool)
    extension: dict[str, Any] = {}
    if tool.spec.body_encoding:
        extension["body_encoding"] = tool.spec.body_encoding
    wire = {
        ocp_names[p.name]: p.sent_as
        for p in tool.spec.parameters
        if p.location != "path" and ocp_names[p.name] != p.sent_as
    }
    if wire:
        extension["wire_names"] = wire
    filled = {
        ocp_names[p.name]: p.from_credentials for p in tool.spec.parameters if p.from_credentials
    }
    if filled:
        extension["from_credentials"] = filled
    if tool.spec.exactly_one_of:
        extension["exactly_one_of"] = [
            [ocp_names[n] for n in group] for group in tool.spec.exactly_one_of
        ]
    if tool.spec.response is not None and listed["response_schema"]:
        extension["response_status"] = tool.spec.response.status
    extension["effects"] = sorted(tool.effects)
    return extension


def camel_case(name: str) -> str:
    words = [w for w in _NOT_ALPHANUMERIC.split(name) if w]
    joined = "".join([words[0], *(w[0].upper() + w[1:] for w in words[1:])]) if words else "op"
    joined = joined[0].lower() + joined[1:]
    return joined if joined[0].isalpha() else f"op{joined}"


def parameter_names(tool: Tool) -> dict[str, str]:
    """OCP name by the agent's argument name (the rule in the module doc)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for param in tool.spec.parameters:
        name = param.name
        if not _OCP_PARAMETER.fullmatch(name):
            name = _NOT_OCP_PARAMETER.sub("_", name).strip("_") or "p"
            name = name if name[0].isalpha() else f"p{name}"
        base, count = name, 1
        while name in taken:
            count += 1
            name = f"{base}_{count}"
        taken.add(name)
        names[param.name] = name
    return names


def operations_of(
    api: str,
    server: str,
    tools: Iterable[Mapping[str, Any]],
    extensions: Mapping[str, Mapping[str, Any]],
    *,
    basic: bool,
    source: str,
) -> list[OperationSpec]:
    """OCP tool definitions (with their extensions by tool name) as a document of the project's
    own spec format, then its loader. ``basic``: the API takes HTTP Basic auth, whose user name
    fills the arguments the extensions take from the credentials (an account)."""
    document = {
        "api": api,
        "server": server,
        "operations": [
            _operation_document(tool, extensions.get(tool["name"], {}), basic) for tool in tools
        ],
    }
    return parse_spec_document(document, source=source)


def _operation_document(
    tool: Mapping[str, Any], extension: Mapping[str, Any], basic: bool
) -> dict[str, Any]:
    wire_names = extension.get("wire_names", {})
    filled = extension.get("from_credentials", {}) if basic else {}
    parameters = [
        {
            "name": param_name,
            "in": param["location"],
            # A path parameter is always required: the path cannot be made without it.
            "required": param["location"] == "path" or bool(param.get("required", False)),
            "description": str(param.get("description", "")),
            "schema": dict(
                param.get("schema") or {k: param[k] for k in _SCHEMA_KEYS if k in param}
            ),
            **({"wire_name": wire_names[param_name]} if param_name in wire_names else {}),
            **({"from_credentials": filled[param_name]} if param_name in filled else {}),
        }
        for param_name, param in tool.get("parameters", {}).items()
    ]
    operation: dict[str, Any] = {
        "name": tool["name"],
        "method": str(tool["method"]).upper(),
        "path": tool["path"],
        "description": str(tool.get("description") or ""),
        "parameters": parameters,
    }
    # OCP clients send body parameters as one JSON object.
    has_body = any(p["in"] == "body" for p in parameters)
    encoding = extension.get("body_encoding") or ("json" if has_body else None)
    if encoding:
        operation["body_encoding"] = encoding
    if extension.get("exactly_one_of"):
        operation["exactly_one_of"] = extension["exactly_one_of"]
    if tool.get("operation_id"):
        operation["operation_id"] = tool["operation_id"]
    if tool.get("tags"):
        operation["tags"] = list(tool["tags"])
    if tool.get("response_schema"):
        status = extension.get("response_status", 200)
        operation["response"] = {"status": status, "schema": tool["response_schema"]}
    return operation


def _parameter(schema: Mapping[str, Any], location: str, required: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": _ocp_type(schema),
        "required": required,
        "location": location,
        "description": schema.get("description", ""),
        "schema": dict(schema),
    }
    # "type" was set above as OCP wants it: one name.
    entry.update({k: schema[k] for k in _SCHEMA_KEYS if k in schema and k != "type"})
    return entry


def _ocp_type(schema: Mapping[str, Any]) -> str:
    """OCP wants one type name; a nullable type gives its non-null part."""
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    named = [k for k in kinds if isinstance(k, str) and k != "null"]
    return named[0] if named else "string"
