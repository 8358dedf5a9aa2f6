"""APIs as OCP registry entries: what a tool catalog lists about them and their tools.

The names are OCP's, derived by rules that stay stable across versions:

- An entry per service: ``twilio`` for Twilio's 2010 API (service ``api_v2010``) and for an
  API without services, ``{api}_{service}`` for the others (``twilio_messaging_v1``).
- A tool is named by its operation name in camelCase (``updatePayments``): every run of
  characters outside ``[A-Za-z0-9]`` ends a word, the next letter is capitalised, and the first
  letter is lowercase; a name that does not start with a letter gets ``op`` before it. Where
  several operations of one entry get the same name, the one first by method and path keeps it
  and each other ends with the first 8 hex digits of the SHA-256 of ``"{METHOD} {path}"``.
- A parameter keeps its name where OCP allows it (``^[a-zA-Z][a-zA-Z0-9_]*$``); otherwise every
  run of other characters becomes ``_`` (``Limits.ChannelMembers`` is ``Limits_ChannelMembers``,
  ``X-Twilio-Webhook-Enabled`` is ``X_Twilio_Webhook_Enabled``), ``p`` goes before one that does
  not start with a letter, and a name then taken already ends with ``_2``, ``_3``… in the
  operation's order.

What an OCP tool cannot say (the body encoding, the names Twilio receives, the arguments the
application fills in, exactly-one-of groups, the success status) is kept in the entry's
``x-ocp-twilio`` object, which other clients ignore and this library's registry client reads.
Tools answered in this process (the payment progress tools) have no HTTP operation to list.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..http.hosts import is_twilio_host
from ..ocp.plugin import APIDefinition
from ..ocp.registry import EXTENSION, OCP_PARAMETER_SCHEMA_KEYS
from ..tools.tool import Tool

__all__ = [
    "camel_case",
    "entry_name",
    "ocp_catalog",
    "ocp_catalog_entry",
    "ocp_tool",
    "parameter_names",
    "tool_names",
]

TWILIO_2010 = "api_v2010"
_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]+")
_NOT_OCP_PARAMETER = re.compile(r"[^A-Za-z0-9_]+")
_OCP_PARAMETER = re.compile(r"[a-zA-Z][a-zA-Z0-9_]*")


def ocp_catalog(definition: APIDefinition, tools: Iterable[Tool]) -> dict[str, Any]:
    """A registry file: ``{"apis": {name: entry}}``, one entry per service."""
    by_entry: dict[str, list[Tool]] = defaultdict(list)
    for tool in tools:
        if not tool.local:
            by_entry[entry_name(definition.name, tool.spec.service)].append(tool)
    return {
        "apis": {
            name: ocp_catalog_entry(definition, chosen, name=name)
            for name, chosen in sorted(by_entry.items())
        }
    }


def entry_name(api: str, service: str) -> str:
    return api if service in ("", TWILIO_2010) else f"{api}_{service}"


def ocp_catalog_entry(
    definition: APIDefinition, tools: Iterable[Tool], *, name: str | None = None
) -> dict[str, Any]:
    """One registry entry: name, description, base URL, auth_config, tools and our extension."""
    remote = [tool for tool in tools if not tool.local]
    names = tool_names(remote)
    listed = [ocp_tool(tool, name) for tool, name in zip(remote, names, strict=True)]
    servers = [tool.spec.server for tool in remote if tool.spec.server]
    base_url = servers[0] if servers else definition.base_url
    return {
        "name": name or definition.name,
        "display_name": name or definition.name,
        "description": definition.description,
        "base_url": base_url,
        "auth_config": {
            "type": "basic",
            "header_name": "Authorization",
            "instructions": _auth_text(base_url),
        },
        "tool_count": len(listed),
        "tools": listed,
        EXTENSION: {
            "tools": {
                name: _extension(tool, listed_tool)
                for name, tool, listed_tool in zip(names, remote, listed, strict=True)
            }
        },
    }


def _auth_text(base_url: str) -> str:
    if is_twilio_host(base_url):
        return (
            "HTTP Basic: API Key SID and secret, or Account SID and Auth Token; pass them to "
            "register_api (a registry's entry gets no TWILIO_* variables)."
        )
    return "HTTP Basic: the user name and password given to register_api."


def tool_names(tools: Sequence[Tool]) -> list[str]:
    """Each tool's OCP name, unique among ``tools`` (the collision rule in the module doc)."""
    by_name: dict[str, list[int]] = defaultdict(list)
    for index, tool in enumerate(tools):
        by_name[camel_case(tool.spec.name)].append(index)
    names = [""] * len(tools)
    for name, owners in by_name.items():
        first, *others = sorted(owners, key=lambda i: (tools[i].method, tools[i].path))
        names[first] = name
        for index in others:
            endpoint = f"{tools[index].method} {tools[index].path}"
            names[index] = f"{name}{hashlib.sha256(endpoint.encode()).hexdigest()[:8]}"
    return names


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


def _extension(tool: Tool, listed: Mapping[str, Any]) -> dict[str, Any]:
    """What the OCP tool cannot carry, in names of the OCP tool."""
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
    return extension


def _parameter(schema: Mapping[str, Any], location: str, required: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": _ocp_type(schema),
        "required": required,
        "location": location,
        "description": schema.get("description", ""),
        "schema": dict(schema),
    }
    # "type" was set above as OCP wants it: one name.
    entry.update({k: schema[k] for k in OCP_PARAMETER_SCHEMA_KEYS if k in schema and k != "type"})
    return entry


def _ocp_type(schema: Mapping[str, Any]) -> str:
    """OCP wants one type name; a nullable type gives its non-null part."""
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    named = [k for k in kinds if isinstance(k, str) and k != "null"]
    return named[0] if named else "string"
