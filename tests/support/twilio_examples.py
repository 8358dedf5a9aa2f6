"""Twilio's example answers (the ``examples`` of its OpenAPI files)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def example_answers(document: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(operationId, example name, answer) of every 2xx JSON example answer of ``document``,
    through ``$ref``s to components/responses and components/examples."""
    for item in document.get("paths", {}).values():
        for operation in _deref(document, item).values():
            if not isinstance(operation, Mapping) or "operationId" not in operation:
                continue
            for status, response in (operation.get("responses") or {}).items():
                if not str(status).startswith("2"):
                    continue
                content = _deref(document, response).get("content") or {}
                named = (content.get("application/json") or {}).get("examples") or {}
                for name, example in named.items():
                    example = _deref(document, example)
                    if "value" in example:
                        yield operation["operationId"], name, example["value"]


def _deref(document: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, Mapping) and "$ref" in node:
        target: Any = document
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node
