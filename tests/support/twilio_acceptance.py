"""Whether a request on the wire is one that Twilio's published OpenAPI description accepts.

Independent of ocp_twilio's own specs: the path, path parameters and form body are checked against
the operation of the same operationId in Twilio's file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import yaml
from jsonschema import Draft202012Validator, FormatChecker

from ocp_twilio.specs.json_schema import openapi_to_json_schema

_DECIMAL = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
_INTEGER = re.compile(r"^-?[0-9]+$")


@dataclass(frozen=True)
class PublishedOperation:
    path_template: str
    path_params: Mapping[str, Any]
    body_schema: Mapping[str, Any] | None
    components: Mapping[str, Any]

    def problems(self, path: str, body: bytes) -> list[str]:
        """Everything Twilio's description would reject in this request (empty when nothing)."""
        found = self._path_problems(path)
        if self.body_schema is not None:
            found += self._body_problems(body)
        elif body:
            found.append("a body was sent where the operation takes none")
        return found

    def _path_problems(self, path: str) -> list[str]:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path_template))
        match = re.fullmatch(pattern, path)
        if match is None:
            return [f"path {path!r} does not fit {self.path_template}"]
        found = []
        for name, schema in self.path_params.items():
            if not Draft202012Validator(schema).is_valid(unquote(match[name])):
                found.append(f"path parameter {name} breaks its schema")
        return found

    def _body_problems(self, body: bytes) -> list[str]:
        assert self.body_schema is not None
        properties = self.body_schema.get("properties", {})
        fields: dict[str, list[str]] = {}
        for key, value in parse_qsl(body.decode("utf-8"), keep_blank_values=True):
            fields.setdefault(key, []).append(value)
        found = [f"unknown form field {k}" for k in fields if k not in properties]
        document: dict[str, Any] = {}
        for key, values in fields.items():
            if key not in properties:
                continue
            schema = self._resolved(properties[key])
            if schema.get("type") == "array":  # the name once for each item
                kind = self._resolved(schema.get("items", {})).get("type")
                items = [_decoded(value, kind) for value in values]
                if _UNREADABLE in items:
                    found.append(f"form field {key} holds an item that is not a {kind}")
                else:
                    document[key] = items
                continue
            if len(values) != 1:
                found.append(f"form field {key} repeated")
                continue
            decoded = _decoded(values[0], schema.get("type"))
            if decoded is _UNREADABLE:
                found.append(f"form field {key} is not a {schema.get('type')} in form encoding")
            else:
                document[key] = decoded
        root = {**self.body_schema, "components": self.components}
        validator = Draft202012Validator(root, format_checker=FormatChecker())
        found += [f"body: {e.message}" for e in validator.iter_errors(document)]
        return found

    def _resolved(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            resolved: Mapping[str, Any] = self.components["schemas"][ref.rsplit("/", 1)[1]]
            return resolved
        return schema


_UNREADABLE = object()


def _decoded(text: str, kind: Any) -> Any:
    """A form value read the way its declared type asks (Twilio reads text, not JSON)."""
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, _UNREADABLE)
    if kind == "integer":
        return int(text) if _INTEGER.match(text) else _UNREADABLE
    if kind == "number":
        return float(text) if _DECIMAL.match(text) else _UNREADABLE
    return text


@cache
def published_operation(oai_file: Path, operation_id: str) -> PublishedOperation:
    document = _document(oai_file)
    components = {
        "schemas": {
            name: openapi_to_json_schema(schema)
            for name, schema in document["components"]["schemas"].items()
        }
    }
    for template, item in document["paths"].items():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                params = {
                    p["name"]: openapi_to_json_schema(p["schema"])
                    for p in operation.get("parameters", ())
                    if p.get("in") == "path"
                }
                content = operation.get("requestBody", {}).get("content", {})
                form = content.get("application/x-www-form-urlencoded")
                body = openapi_to_json_schema(form["schema"]) if form else None
                return PublishedOperation(template, params, body, components)
    raise LookupError(f"{operation_id} is not in {oai_file}")


@cache
def _document(oai_file: Path) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the file is 1.5 MB
    return yaml.load(oai_file.read_text(encoding="utf-8"), Loader=loader)
