"""An API as an OCP registry entry: what a tool catalog lists about it and its tools."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..http.hosts import is_twilio_host
from ..ocp.plugin import APIDefinition
from ..ocp.registry import OCP_PARAMETER_SCHEMA_KEYS
from ..tools.tool import Tool

__all__ = ["ocp_catalog_entry", "ocp_tool"]


def ocp_catalog_entry(definition: APIDefinition, tools: Iterable[Tool]) -> dict[str, Any]:
    """Name, description, base URL, auth and tools, as an OCP registry lists an API."""
    return {
        "name": definition.name,
        "description": definition.description,
        "base_url": definition.base_url,
        "auth": {"type": "http_basic", "description": _auth_text(definition.base_url)},
        "tools": [ocp_tool(tool) for tool in tools],
    }


def _auth_text(base_url: str) -> str:
    if is_twilio_host(base_url):
        return (
            "HTTP Basic: API Key SID and secret (TWILIO_API_KEY, TWILIO_API_SECRET), or "
            "Account SID and Auth Token (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)."
        )
    return "HTTP Basic: the credentials given to register_api."


def ocp_tool(tool: Tool) -> dict[str, Any]:
    """One tool with OCP's tool fields; parameters carry their location and type."""
    schema = tool.input_schema
    required = set(schema.get("required", ()))
    properties: Mapping[str, Any] = schema["properties"]
    return {
        "name": tool.name,
        "description": tool.description,
        "method": tool.method,
        "path": tool.path,
        "operation_id": tool.spec.operation_id or None,
        "tags": list(tool.tags),
        "parameters": {
            p.name: _parameter(properties[p.name], p.location, p.name in required)
            for p in tool.spec.parameters
        },
        "response_schema": tool.output_schema or {},
    }


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
