"""browseTwilioTools' answers: the registered tools walked in three steps, for when search misses.

The services, one line each (how many tools, and their largest resources); then a service's
resources, each with the verbs of its operations; then a resource's tools, named and summarised
as findTwilioTool names them. A resource is the fixed segments of an operation's path
("/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Recordings.json": Calls/Recordings), so every
tool is in exactly one resource of one service, and three steps reach it.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from .._exceptions import ArgumentError, InvalidArguments
from ..specs.names import BROWSE_TOOL, DESCRIBE_TOOL
from .compact import summary
from .tool import Tool

__all__ = ["beside_paths", "browse_path", "browsed", "resource_of"]

_NOT_A_NAME = re.compile(r"\{|v?\d")  # path parameters and versions: {Sid}, v1, 2010-04-01
_ACCOUNT = "Accounts"  # the account every 2010 path is under: not a resource of its own
_SHOWN_RESOURCES = 5  # the largest resources a service's line names
_BESIDE = 3  # how many of its hits' resources findTwilioTool names for browsing
_VERB = re.compile("[a-z]+")


def browsed(tools: Iterable[Tool], path: str) -> dict[str, Any]:
    """What browseTwilioTools answers for ``path``: "" (the services), a service, or
    "service/resource"."""
    services: defaultdict[str, defaultdict[str, list[Tool]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for tool in tools:
        services[tool.spec.service or tool.api][resource_of(tool)].append(tool)
    path = path.strip().strip("/")
    if not path:
        return {
            "services": {name: _service_line(services[name]) for name in sorted(services)},
            "next_step": f'{BROWSE_TOOL} with {{"path": "<service>"}} lists its resources.',
        }
    service, _, resource = path.partition("/")
    if service not in services:
        raise _unknown("service", service, services)
    resources = services[service]
    if not resource:
        return {
            "service": service,
            "resources": {name: _verbs(resources[name]) for name in sorted(resources)},
            "next_step": (
                f'{BROWSE_TOOL} with {{"path": "{service}/<resource>"}} lists its tools.'
            ),
        }
    if resource not in resources:
        raise _unknown("resource", resource, resources, f"{service}/")
    return {
        "resource": path,
        "tools": [{"name": t.name, "summary": summary(t)} for t in resources[resource]],
        "next_step": f"{DESCRIBE_TOOL} gives a tool's arguments.",
    }


def beside_paths(hits: Iterable[Tool]) -> list[str]:
    """The browse paths of the first few resources ``hits`` belong to, for findTwilioTool to
    name: the right tool is often beside a hit (the fetch beside the create that matched). A
    local tool is a resource of its own: nothing is beside it."""
    return list(dict.fromkeys(browse_path(tool) for tool in hits if not tool.local))[:_BESIDE]


def browse_path(tool: Tool) -> str:
    """The path browseTwilioTools lists the tool's resource at: "api_v2010/Calls/Payments"."""
    return f"{tool.spec.service or tool.api}/{resource_of(tool)}"


def resource_of(tool: Tool) -> str:
    """The fixed segments of the tool's path: "Calls/Recordings"; a local tool's own name."""
    segments = tool.path.removesuffix(".json").split("/")
    fixed = [s for s in segments if s and not _NOT_A_NAME.match(s)]
    if len(fixed) > 1 and fixed[0] == _ACCOUNT:
        fixed.pop(0)
    return "/".join(fixed) or tool.spec.name


def _service_line(resources: dict[str, list[Tool]]) -> str:
    count = sum(len(tools) for tools in resources.values())
    tops: Counter[str] = Counter()
    for resource, tools in resources.items():
        tops[resource.split("/", 1)[0]] += len(tools)
    largest = sorted(tops, key=lambda top: (-tops[top], top))[:_SHOWN_RESOURCES]
    more = ", ..." if len(tops) > _SHOWN_RESOURCES else ""
    return f"{count} tools: {', '.join(largest)}{more}"


def _verbs(tools: list[Tool]) -> str:
    """The operations' verbs: "create, fetch, list" (the first word of each tool's name)."""
    verbs = {(m.group() if (m := _VERB.match(t.spec.name)) else t.spec.name) for t in tools}
    return ", ".join(sorted(verbs))


def _unknown(what: str, name: str, known: Iterable[str], prefix: str = "") -> InvalidArguments:
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(prefix + c for c in close)}?" if close else ""
    problem = f"names no {what} of these tools.{hint} A shorter path lists them."
    return InvalidArguments(BROWSE_TOOL, [ArgumentError(("path",), problem)])
