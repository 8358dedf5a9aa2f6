"""APIs as OCP registry entries: what a tool catalog lists about them and their tools.

The names are OCP's, derived by rules that stay stable across versions:

- An entry per service: ``twilio`` for Twilio's 2010 API (service ``api_v2010``) and for an
  API without services, ``{api}_{service}`` for the others (``twilio_messaging_v1``).
- A tool is named by its operation name in camelCase, and a parameter by OCP's rule for them
  (both in ``ocp_twilio.ocp.tool_format``, which writes each tool). Where several operations of
  one entry get the same name, the one first by method and path keeps it and each other ends
  with the first 8 hex digits of the SHA-256 of ``"{METHOD} {path}"``.

What an OCP tool cannot say is kept in the entry's ``x-ocp-twilio`` object, which other clients
ignore and this library's registry client reads. Tools answered in this process (the payment
progress tools) have no HTTP operation to list.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from ..ocp.entries import EXTENSION
from ..ocp.plugin import APIDefinition
from ..ocp.tool_format import camel_case, ocp_tool, tool_extension
from ..specs.hosts import is_twilio_host
from ..tools.tool import Tool

__all__ = ["entry_name", "ocp_catalog", "ocp_catalog_entry", "tool_names"]

TWILIO_2010 = "api_v2010"


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
                name: tool_extension(tool, listed_tool)
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
