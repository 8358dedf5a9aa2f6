"""A quick yes for instances that plainly satisfy a schema; jsonschema then runs only on the rest.

jsonschema walks a schema anew for every instance; for the small, flat schemas of Twilio's
operations that walk costs more than the HTTP exchange. A schema made only of the keywords below is
compiled once into nested closures that answer True only where jsonschema would find no error (and
the value is plain JSON); on False, or for any other keyword, the caller runs the full
validator, which also phrases the errors. Unsure is always False.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

from jsonschema import FormatChecker

from .json_body import MAX_JSON_DEPTH

__all__ = ["Check", "compile_check", "has_surrogate", "is_plain_json", "is_text"]

Check = Callable[[Any], bool]

# Keywords that do not constrain an instance.
_ANNOTATIONS = frozenset({"description", "title", "default", "examples", "$comment"})
_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: is_text(v),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    # As jsonschema: booleans are not numbers, 1.0 is an integer. Decimals take the slow path.
    "integer": lambda v: (type(v) is int) or (type(v) is float and v.is_integer()),
    "number": lambda v: type(v) is int or (type(v) is float and math.isfinite(v)),
}


def compile_check(schema: Mapping[str, Any], formats: FormatChecker) -> Check | None:
    """A quick check for ``schema``, or None where it uses a keyword this module does not know."""
    try:
        return _compile(schema, formats)
    except _Unsupported:
        return None


def is_plain_json(value: Any, depth: int = MAX_JSON_DEPTH) -> bool:
    """True for what ``json.loads`` makes, less NaN and Infinity, unpaired surrogates and nesting
    deeper than MAX_JSON_DEPTH; the rest goes the slow way."""
    kind = type(value)
    if kind is str:
        return value.isascii() or not has_surrogate(value)
    if kind is int or kind is bool or value is None:
        return True
    if kind is float:
        return math.isfinite(value)
    if depth <= 0:
        return False
    if kind is dict:
        return all(is_text(k) and is_plain_json(v, depth - 1) for k, v in value.items())
    if kind is list:
        return all(is_plain_json(v, depth - 1) for v in value)
    return False


_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogate(text: str) -> bool:
    """True where ``text`` holds an unpaired surrogate, which UTF-8 cannot encode."""
    return _SURROGATE.search(text) is not None


def is_text(value: Any) -> bool:
    """A string that can be sent: the common, ASCII case first."""
    return isinstance(value, str) and (value.isascii() or not has_surrogate(value))


class _Unsupported(Exception):
    pass


def _compile(schema: Mapping[str, Any], formats: FormatChecker) -> Check:
    if not isinstance(schema, Mapping):  # true and false are schemas too: leave them to jsonschema
        raise _Unsupported
    keywords = set(schema) - _ANNOTATIONS
    if keywords <= _STRING_KEYWORDS and _string_types(schema.get("type")):
        return _string_check(schema, formats)
    if keywords == {"type", "enum"} and schema["type"] == "string":
        options = schema["enum"]
        if all(type(o) is str for o in options):  # type and enum checks as one
            allowed = frozenset(options)
            return lambda value: type(value) is str and value in allowed
    checks: list[Check] = []
    if "type" in schema:
        checks.append(_type_check(schema["type"]))
    if "enum" in schema:
        checks.append(_enum_check(schema["enum"]))
    if "not" in schema:
        checks.append(_not_enum_check(schema["not"]))
    checks += _string_checks(schema, formats)
    checks += _number_checks(schema)
    if {"properties", "required", "additionalProperties"} & keywords:
        checks.append(_object_check(schema, formats))
    if "oneOf" in schema:
        checks.append(_one_required_check(schema["oneOf"]))
    for group in schema.get("allOf", ()):
        if set(group) != {"oneOf"}:
            raise _Unsupported("allOf")
        checks.append(_one_required_check(group["oneOf"]))
    if keywords - _HANDLED:
        raise _Unsupported(sorted(keywords - _HANDLED))
    if not checks or "type" not in schema or _may_hold_anything(schema):
        checks.append(is_plain_json)
    return _all_of(checks)


_HANDLED = frozenset(
    {
        "type",
        "enum",
        "not",
        "pattern",
        "minLength",
        "maxLength",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "properties",
        "required",
        "additionalProperties",
        "oneOf",
        "allOf",
    }
)


_STRING_KEYWORDS = frozenset({"type", "pattern", "minLength", "maxLength", "format"})


def _string_types(kind: Any) -> bool:
    kinds = kind if isinstance(kind, list) else [kind]
    return "string" in kinds and set(kinds) <= {"string", "null"}


def _string_check(schema: Mapping[str, Any], formats: FormatChecker) -> Check:
    """The most common schema (a string, maybe nullable) as one function rather than a chain."""
    null_allowed = "null" in schema["type"]
    search = re.compile(schema["pattern"]).search if "pattern" in schema else None
    low, high = schema.get("minLength", 0), schema.get("maxLength", math.inf)
    conforms = _format_check(formats, schema["format"]) if "format" in schema else None

    def check(value: Any) -> bool:
        if value is None:
            return null_allowed
        if not is_text(value) or not low <= len(value) <= high:
            return False
        if search is not None and search(value) is None:
            return False
        return conforms is None or conforms(value)

    return check


def _may_hold_anything(schema: Mapping[str, Any]) -> bool:
    """An object or array whose members are not described: scan it for NaN and Infinity."""
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    return ("object" in kinds and "properties" not in schema) or "array" in kinds


def _all_of(checks: list[Check]) -> Check:
    if len(checks) == 1:
        return checks[0]

    def check(value: Any) -> bool:
        for one in checks:  # noqa: SIM110 - all() over a generator costs twice as much here
            if not one(value):
                return False
        return True

    return check


def _type_check(kind: Any) -> Check:
    kinds = kind if isinstance(kind, list) else [kind]
    if any(k not in _TYPES for k in kinds):
        raise _Unsupported(kind)
    tests = [_TYPES[k] for k in kinds]
    if len(tests) == 1:
        return tests[0]
    return lambda value: any(test(value) for test in tests)


def _enum_check(options: Any) -> Check:
    # Only strings and null are compared here: jsonschema tells True from 1, ``in`` does not.
    if not all(o is None or isinstance(o, str) for o in options):
        raise _Unsupported("enum")
    allowed = frozenset(options)
    return lambda value: (value is None or type(value) is str) and value in allowed


def _not_enum_check(negated: Any) -> Check:
    if not isinstance(negated, Mapping) or set(negated) != {"enum"}:
        raise _Unsupported("not")
    excluded = _enum_check(negated["enum"])
    return lambda value: (value is None or type(value) is str) and not excluded(value)


def _string_checks(schema: Mapping[str, Any], formats: FormatChecker) -> list[Check]:
    checks: list[Check] = []
    if "pattern" in schema:
        search = re.compile(schema["pattern"]).search
        checks.append(lambda v: not isinstance(v, str) or search(v) is not None)
    low, high = schema.get("minLength"), schema.get("maxLength")
    if low is not None or high is not None:
        low, high = low or 0, math.inf if high is None else high
        checks.append(lambda v: not isinstance(v, str) or low <= len(v) <= high)
    if "format" in schema:
        checks.append(_format_check(formats, schema["format"]))
    return checks


def _format_check(formats: FormatChecker, name: str) -> Check:
    """Format checks are pure; responses repeat their dates and URLs, so answers are kept."""

    @lru_cache(maxsize=512)
    def conforms(text: str) -> bool:
        return formats.conforms(text, name)

    return lambda v: conforms(v) if type(v) is str else formats.conforms(v, name)


_BOUNDS: dict[str, Callable[[Any, Any], bool]] = {
    "minimum": operator.ge,
    "maximum": operator.le,
    "exclusiveMinimum": operator.gt,
    "exclusiveMaximum": operator.lt,
}


def _number_checks(schema: Mapping[str, Any]) -> list[Check]:
    checks: list[Check] = []
    for keyword, holds in _BOUNDS.items():
        if keyword not in schema:
            continue
        bound = schema[keyword]
        if not isinstance(bound, (int, float)) or isinstance(bound, bool):
            raise _Unsupported(keyword)
        checks.append(_bound_check(bound, holds))
    return checks


def _bound_check(bound: float, holds: Callable[[Any, Any], bool]) -> Check:
    def check(value: Any) -> bool:
        kind = type(value)
        if kind is int:
            return holds(value, bound)
        if kind is float:
            return math.isfinite(value) and holds(value, bound)
        # Bounds do not apply to booleans and non-numbers; other numbers take the slow path.
        return kind is bool or not isinstance(value, (int, float, Decimal))

    return check


def _object_check(schema: Mapping[str, Any], formats: FormatChecker) -> Check:
    properties = {
        name: _compile(sub, formats) for name, sub in schema.get("properties", {}).items()
    }
    required = tuple(schema.get("required", ()))
    extra = schema.get("additionalProperties", True)
    if extra not in (True, False):
        raise _Unsupported("additionalProperties")
    closed = extra is False

    def check(value: Any) -> bool:
        if type(value) is not dict:
            return not isinstance(value, Mapping)  # other mappings: the slow path decides
        for name in required:
            if name not in value:
                return False
        for name, item in value.items():
            test = properties.get(name)
            if test is None:
                if closed or not is_plain_json(item):
                    return False
            elif not test(item):
                return False
        return True

    return check


def _one_required_check(options: Any) -> Check:
    """``oneOf`` of ``{required: [name]}`` options: exactly one of the names is given."""
    if not all(isinstance(o, Mapping) and set(o) == {"required"} for o in options):
        raise _Unsupported("oneOf")
    if any(len(o["required"]) != 1 for o in options):
        raise _Unsupported("oneOf")
    names = tuple(o["required"][0] for o in options)

    def check(value: Any) -> bool:
        if type(value) is not dict:
            return False
        given = 0
        for name in names:  # a loop: sum() over a generator costs three times as much here
            if name in value:
                given += 1
        return given == 1

    return check
