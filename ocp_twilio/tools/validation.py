"""Compiled JSON Schema validators, and their errors rephrased for a model to act on.

jsonschema-rs answers "valid?" for plain JSON; jsonschema decides every other case and phrases
the errors. jsonschema-rs is asked only for a quick yes: each format it checks is either one of
the sound patterns of :mod:`ocp_twilio.tools.formats` or the same Python check jsonschema calls,
so its yes is jsonschema's yes (tests/properties/test_schema_agreement.py holds the two
together), and on a no, or anything it cannot read, jsonschema looks again.

Messages say what is expected, never echo the value given: a value may be card data or a secret.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError
from referencing.exceptions import Unresolvable

from .._config import MAX_JSON_DEPTH
from .._exceptions import ArgumentError, SpecError
from ..specs.json_schema import SUBSCHEMA_LISTS, SUBSCHEMA_MAPS, SUBSCHEMA_VALUES
from .body_forms import forms_text, is_forms_choice
from .formats import CHECKS_BEYOND_STRINGS, SOUND_PATTERNS

__all__ = ["SchemaValidator", "has_surrogate", "is_plain_json", "quick_validator"]


class SchemaValidator:
    """One schema, compiled once; ``errors(instance)`` lists every problem at once."""

    __slots__ = ("_owner", "_quick", "_validator")

    def __init__(
        self,
        schema: Mapping[str, Any],
        formats: FormatChecker,
        owner: str,
    ) -> None:
        # A schema jsonschema cannot use would otherwise fail in the middle of a call, as a raw
        # jsonschema exception; ``owner`` names it (e.g. "input schema of updatePayments").
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            raise SpecError(f"The {owner} is not a valid JSON Schema: {exc.message}") from exc
        self._validator = Draft202012Validator(schema, format_checker=formats)
        self._quick = quick_validator(schema, formats)
        self._owner = owner

    def errors(self, instance: Any, *, decoded: bool = False) -> tuple[ArgumentError, ...]:
        """``decoded=True`` promises that ``instance`` is what a JSON decoder made (plain JSON,
        its nesting bounded by the decoder): the quick check then takes it without a walk."""
        if self._quick is not None and (decoded or is_plain_json(instance)):
            try:
                if self._quick.is_valid(instance):
                    return ()
            except ValueError:  # a value jsonschema-rs cannot read: jsonschema explains it
                pass
        not_json = tuple(_not_json(instance, ()))
        # The schema sees null where a value cannot be sent (a Decimal NaN makes bound checks
        # raise), so that every other problem is reported too; those places are reported once.
        checked = _json_only(instance) if not_json else instance
        unsendable = {e.path for e in not_json}
        try:
            found = sorted(self._validator.iter_errors(checked), key=_error_order)
        except Unresolvable as exc:  # jsonschema follows a $ref only when a value reaches it
            raise SpecError(
                f"The {self._owner} has a $ref that leads nowhere "
                f"({getattr(exc, 'ref', 'unresolvable')}); fix the spec."
            ) from None
        explained = (e for error in found for e in _explain(error) if e.path not in unsendable)
        return tuple(dict.fromkeys([*not_json, *explained]))


def quick_validator(
    schema: Mapping[str, Any], formats: FormatChecker
) -> jsonschema_rs.Validator | None:
    """jsonschema-rs's validator for ``schema`` with the formats of ``formats``, or None where
    jsonschema-rs cannot compile it (jsonschema alone then validates)."""
    python_checks = {name: _conforms(formats, name) for name in formats.checkers}
    rewrites: dict[str, dict[str, str]] = {}
    for name, (check, _raises) in formats.checkers.items():
        if check in SOUND_PATTERNS:
            rewrites[name] = {"pattern": SOUND_PATTERNS[check]}
        elif check in CHECKS_BEYOND_STRINGS:
            # jsonschema-rs checks the formats of strings only: it must not say yes to a number
            # that the check would refuse, so anything but a string there goes to jsonschema.
            rewrites[name] = {"type": "string", "format": name}
    try:
        return jsonschema_rs.Draft202012Validator(
            _rewritten_formats(schema, rewrites),
            validate_formats=True,
            ignore_unknown_formats=True,
            formats=python_checks,
        )
    except (ValueError, jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError):
        return None


def is_plain_json(value: Any, depth: int = MAX_JSON_DEPTH) -> bool:
    """True for what ``json.loads`` makes, less NaN and Infinity, unpaired surrogates and nesting
    deeper than ``depth`` (jsonschema-rs recurses on the C stack); the rest goes to jsonschema."""
    kind = type(value)
    if kind is str:
        return value.isascii() or not has_surrogate(value)
    if kind is int or kind is bool or value is None:
        return True
    if kind is float:
        return math.isfinite(value)
    if depth <= 0:
        return False
    # A loop, not all() of a generator: this runs on every call's arguments.
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not (key.isascii() or not has_surrogate(key)):
                return False
            if type(item) is str:  # the common case, without a call
                if not (item.isascii() or not has_surrogate(item)):
                    return False
            elif not is_plain_json(item, depth - 1):
                return False
        return True
    if kind is list:
        return all(is_plain_json(item, depth - 1) for item in value)
    return False


_UNPAIRED = re.compile("[\ud800-\udfff]")


def has_surrogate(text: str) -> bool:
    """True where ``text`` holds an unpaired surrogate, which UTF-8 cannot encode."""
    return _UNPAIRED.search(text) is not None


def _conforms(formats: FormatChecker, name: str) -> Callable[[str], bool]:
    return lambda value: formats.conforms(value, name)


def _rewritten_formats(schema: Any, rewrites: Mapping[str, Mapping[str, str]]) -> Any:
    """``schema`` with each ``format`` named in ``rewrites`` checked by its rewrite instead."""
    if not isinstance(schema, Mapping):
        return schema
    out = dict(schema)
    for key, value in schema.items():
        if key in SUBSCHEMA_LISTS and isinstance(value, list):
            out[key] = [_rewritten_formats(s, rewrites) for s in value]
        elif key in SUBSCHEMA_VALUES:
            out[key] = _rewritten_formats(value, rewrites)
        elif key in SUBSCHEMA_MAPS and isinstance(value, Mapping):
            out[key] = {name: _rewritten_formats(s, rewrites) for name, s in value.items()}
    name = out.get("format")
    rewrite = rewrites.get(name) if isinstance(name, str) else None
    if rewrite is None:
        return out
    del out["format"]
    return {"allOf": [out, rewrite]}


def _not_json(value: Any, path: tuple[str | int, ...]) -> Iterable[ArgumentError]:
    """Values that cannot be sent although a schema lets them through: NaN and Infinity pass every
    JSON Schema bound, any Python object passes a schema that names no type, an open object
    takes keys of any kind, text may hold unpaired surrogates (UTF-8 cannot encode them), and
    nothing limits nesting (the validator and the encoder recurse once per level)."""
    if len(path) > MAX_JSON_DEPTH:
        yield ArgumentError(path[:1], _TOO_DEEP, "maxDepth")
    elif isinstance(value, str):
        if not value.isascii() and has_surrogate(value):
            yield ArgumentError(path, _SURROGATE, "type")
    elif isinstance(value, (float, Decimal)) and not _is_finite(value):
        yield ArgumentError(path, _NOT_FINITE, "type")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str) and path:
                yield ArgumentError((*path, str(key)), _KEY_NOT_TEXT, "type")
            elif isinstance(key, str) and not key.isascii() and has_surrogate(key):
                yield ArgumentError((*path, key), _SURROGATE, "type")
            else:
                yield from _not_json(item, (*path, str(key)))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _not_json(item, (*path, index))
    elif not isinstance(value, (int, float, Decimal, type(None))):
        yield ArgumentError(path, _NOT_JSON, "type")


def _json_only(value: Any, nested: bool = False, depth: int = 0) -> Any:
    """``value`` with null in place of what _not_json refuses, and without the keys it refuses
    (a top-level one is left for the schema to report as an unknown argument)."""
    if depth > MAX_JSON_DEPTH:
        return None
    if isinstance(value, (float, Decimal)) and not _is_finite(value):
        return None
    if isinstance(value, Mapping):
        return {
            k: _json_only(v, True, depth + 1)
            for k, v in value.items()
            if isinstance(k, str) or not nested
        }
    if isinstance(value, (list, tuple)):
        return [_json_only(v, True, depth + 1) for v in value]
    if isinstance(value, (str, int, float, Decimal, type(None))):
        return value
    return None


def _is_finite(number: float | Decimal) -> bool:
    return number.is_finite() if isinstance(number, Decimal) else math.isfinite(number)


_OTHER_FORM = "belongs to another form: remove it, or give that form's arguments instead"
_NOT_FINITE = "must be a finite number, not NaN or Infinity"
_NOT_JSON = "must be a JSON value: string, number, boolean, null, array or object"
_KEY_NOT_TEXT = "is not a text key; the keys of a JSON object are strings"
_SURROGATE = "holds an unpaired surrogate (U+D800 to U+DFFF), which cannot be sent as text"
_TOO_DEEP = f"is nested more than {MAX_JSON_DEPTH} levels deep; send a flatter value"


# Unknown arguments named one by one; the rest are counted.
_UNKNOWN_NAMED = 5


def _error_order(error: ValidationError) -> tuple[str, ...]:
    return tuple(str(p) for p in error.absolute_path)


def _explain(error: ValidationError) -> Iterable[ArgumentError]:
    path = tuple(error.absolute_path)
    kind = str(error.validator)
    expected: Any = error.validator_value
    given = error.instance if isinstance(error.instance, Mapping) else {}
    if kind == "required":
        for name in expected:
            if name not in given:
                yield ArgumentError((*path, name), "is required but missing", kind)
        return
    if kind == "additionalProperties":
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        known = sorted(schema.get("properties", {}))
        allowed = f"; allowed arguments: {', '.join(known)}" if known else ""
        # key=str: a Python caller may pass non-string keys, which cannot be sorted with strings.
        unknown = sorted(set(given) - set(known), key=str)
        for name in unknown[:_UNKNOWN_NAMED]:
            message = f"is not an accepted argument, remove it{allowed}"
            yield ArgumentError((*path, name), message, kind)
        if len(unknown) > _UNKNOWN_NAMED:
            # The first names and the count: a list of all could be megabytes long.
            more = len(unknown) - _UNKNOWN_NAMED
            yield ArgumentError(path, f"has {more:,} more arguments that are not accepted", kind)
        return
    if kind == "oneOf" and _is_choice_of_required(expected):
        yield _exactly_one_of(path, expected, given)
        return
    if kind in ("oneOf", "anyOf") and is_forms_choice(expected):
        yield from _forms_explained(error, path, kind, expected, given)
        return
    yield ArgumentError(path, _message(kind, error), kind)


def _forms_explained(
    error: ValidationError,
    path: tuple[Any, ...],
    kind: str,
    forms: list[Any],
    given: Mapping[str, Any],
) -> Iterable[ArgumentError]:
    """The body's forms, then what keeps the arguments from the nearest form (the one with the
    fewest problems); where no form failed, a oneOf's arguments fit several."""
    failures: dict[Any, list[ValidationError]] = {}
    for problem in error.context or ():
        failures.setdefault(problem.relative_schema_path[0], []).append(problem)
    text = forms_text(kind, forms)
    if len(failures) < len(forms):
        yield ArgumentError(path, f"{text} (these arguments fit more than one)", kind)
        return
    yield ArgumentError(path, text, kind)
    nearest, problems = min(failures.items(), key=lambda failure: len(failure[1]))
    for problem in problems:
        # A refused argument fails a false schema, whose error names no argument: named below.
        if problem.validator is not None:
            yield from _explain(problem)
    for name, schema in forms[nearest].get("properties", {}).items():
        if schema is False and name in given:
            yield ArgumentError((*path, name), _OTHER_FORM, kind)


def _is_choice_of_required(options: Any) -> bool:
    return isinstance(options, list) and all(
        isinstance(o, Mapping) and set(o) == {"required"} for o in options
    )


def _exactly_one_of(
    path: tuple[Any, ...], options: list[Any], arguments: Mapping[str, Any]
) -> ArgumentError:
    names = [name for option in options for name in option["required"]]
    given = [n for n in names if n in arguments]
    which = " or ".join(names)
    state = f"{' and '.join(given)} were both given" if given else "none was given"
    return ArgumentError(path, f"give exactly one of {which} ({state})", "oneOf")


def _message(kind: str, error: ValidationError) -> str:
    expected: Any = error.validator_value
    if kind == "type":
        wanted = expected if isinstance(expected, str) else " or ".join(expected)
        if wanted in ("number", "integer") and _is_number_text(error.instance):
            # Models often quote numbers; the fix is shown on an example, never on the value.
            example = "12.5" if wanted == "number" else "12"
            return (
                f"must be a JSON {wanted}, not a string: write it without quotes "
                f'({example}, not "{example}")'
            )
        return f"must be of type {wanted}, not {_json_type(error.instance)}"
    if kind == "enum":
        return "must be one of: " + ", ".join(_show(v) for v in expected)
    if kind == "const":
        return f"must be exactly {_show(expected)}"
    if kind == "pattern":
        return f"must match the pattern {expected}"
    if kind == "format":
        return f"must be a valid {expected}" + _FORMAT_HINTS.get(str(expected), "")
    if kind in ("minLength", "maxLength"):
        bound = "at least" if kind == "minLength" else "at most"
        return f"must be {bound} {expected} characters long"
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"must be {_BOUNDS[kind]} {expected}"
    if kind in ("minItems", "maxItems"):
        bound = "at least" if kind == "minItems" else "at most"
        return f"must have {bound} {expected} items"
    if error.validator is None:  # a false schema; jsonschema's message repeats the value
        return "no value is allowed here"
    if kind == "not":
        excluded = expected.get("enum") if isinstance(expected, Mapping) else None
        if excluded:
            return "must not be any of: " + ", ".join(_show(v) for v in excluded)
        return "has a value that is not allowed here"
    return _OTHER_RULES.get(kind, f"does not satisfy the {kind} rule of its schema")


# jsonschema's own messages for these repeat the value, which may be card data or a secret.
_OTHER_RULES = {
    "anyOf": "matches none of the forms this argument allows",
    "oneOf": "must match exactly one of the forms this argument allows",
    "allOf": "breaks a rule this argument must follow",
    "multipleOf": "is not a multiple of the step this argument requires",
    "uniqueItems": "must not repeat an item",
    "minProperties": "has too few entries",
    "maxProperties": "has too many entries",
    "propertyNames": "has a key that is not allowed",
    "dependentRequired": "needs other arguments given with it",
    "contains": "lacks an item of the required kind",
}
_BOUNDS = {
    "minimum": "at least",
    "maximum": "at most",
    "exclusiveMinimum": "greater than",
    "exclusiveMaximum": "less than",
}
_FORMAT_HINTS = {
    "uri": " (an absolute URL such as https://example.com/path)",
    "http-url": " (an absolute http or https URL such as https://example.com/path)",
    "date-time-rfc-2822": " (RFC 2822 date such as Wed, 18 Dec 2019 20:02:01 +0000)",
    "date-time": " (ISO 8601 date-time with a time zone, such as 2024-05-01T12:00:00Z)",
    "date": " (YYYY-MM-DD)",
    "iso-4217": " currency code (ISO 4217, such as USD or EUR)",
    "amount": " (at most two decimals, such as 12.5 or 19.99)",
}


def _is_number_text(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def _show(value: Any) -> str:
    return "null" if value is None else str(value)
