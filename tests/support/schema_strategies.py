"""Hypothesis strategies for the JSON Schema subset that the curated tools' inputs use.

A keyword outside the subset raises, so a new kind of schema cannot be fuzzed silently wrong;
every generated value is also checked against its schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timezone
from typing import Any

from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from ocp_twilio.tools.currencies import CURRENCY_CODES
from ocp_twilio.tools.formats import INPUT_FORMATS

_URL = r"https://[a-z]{1,12}\.example\.com/[a-z0-9/_-]{0,20}"
_UNDERSTOOD = {
    "type",
    "enum",
    "pattern",
    "minLength",
    "maxLength",
    "format",
    "minimum",
    "maximum",
    "exclusiveMaximum",
    "description",
    "not",
    "items",
    "minItems",
    "maxItems",
}

# Values that break careless code: not-a-number, huge and negative numbers, path tricks, controls.
edge_values = st.sampled_from(
    [
        float("nan"),
        float("inf"),
        float("-inf"),
        -1,
        0,
        10**30,
        1e-7,
        "",
        " ",
        ".",
        "..",
        "a/b",
        "%2F",
        "\x00",
        "\n",
        "true",
        True,
        None,
        [],
        {},
    ]
)
# Any JSON a model might send, and a few things a careless caller might.
any_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=40)
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.binary(max_size=4)
    | st.frozensets(st.integers(), max_size=2),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)
json_values = edge_values | any_values


def random_arguments(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """Anything: objects of known and unknown names with values of any type, valid arguments
    with a few changes, and values that are not objects at all."""
    known = st.sampled_from(sorted(schema["properties"]))
    objects = st.dictionaries(known | st.text(max_size=12), json_values, max_size=8)
    changes = st.lists(st.tuples(known, json_values | st.just(_REMOVE)), min_size=1, max_size=2)
    mutated = st.builds(_changed, valid_arguments(schema), changes)
    return objects | mutated | json_values


_REMOVE = object()


def _changed(arguments: dict[str, Any], changes: list[tuple[str, Any]]) -> dict[str, Any]:
    changed = dict(arguments)
    for name, value in changes:
        if value is _REMOVE:
            changed.pop(name, None)
        else:
            changed[name] = value
    return changed


def valid_arguments(schema: Mapping[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Argument objects that satisfy ``schema``: the required names, some optional ones, and one
    name of each exactly-one-of group."""
    properties: Mapping[str, Any] = schema["properties"]
    choices = [[o["required"][0] for o in group["oneOf"]] for group in _choice_groups(schema)]
    chosen = {name for group in choices for name in group}
    required = [n for n in schema.get("required", ()) if n not in chosen]
    optional = [n for n in properties if n not in required and n not in chosen]
    base = st.fixed_dictionaries(
        {n: value_for(properties[n]) for n in required},
        optional={n: value_for(properties[n]) for n in optional},
    )
    picks = [
        st.sampled_from(group).flatmap(lambda n: value_for(properties[n]).map(lambda v: {n: v}))
        for group in choices
    ]
    return st.tuples(base, *picks).map(lambda parts: {k: v for p in parts for k, v in p.items()})


def value_for(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    unknown = set(schema) - _UNDERSTOOD
    if unknown:
        raise ValueError(f"No strategy for schema keywords {sorted(unknown)}")
    validator = Draft202012Validator(schema, format_checker=INPUT_FORMATS)
    return _shape(schema).filter(validator.is_valid)


def _shape(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        if schema.get("format") in ("uri", "http-url"):
            return st.from_regex(
                r"https://[a-z]{1,12}\.example\.com/[a-z0-9/_-]{0,20}", fullmatch=True
            )
        if schema.get("format") == "iso-4217":
            return st.sampled_from(sorted(CURRENCY_CODES))
        if schema.get("format") == "date-time":
            moments = st.datetimes(timezones=st.just(timezone.utc))
            return moments.map(lambda moment: moment.isoformat(timespec="seconds"))
        return st.text(min_size=schema.get("minLength", 0), max_size=schema.get("maxLength", 40))
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number" and schema.get("format") == "amount":
        # Whole cents below the bound: what a two-decimal amount is.
        low = round(schema.get("minimum", 0) * 100)
        high = round(schema["exclusiveMaximum"] * 100) - 1
        return st.integers(low, high).map(lambda cents: cents / 100)
    if kind == "number":
        return st.floats(
            schema.get("minimum"),
            schema.get("exclusiveMaximum", schema.get("maximum")),
            exclude_max="exclusiveMaximum" in schema,
            allow_nan=False,
            allow_infinity=False,
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(
            value_for(schema["items"]),
            min_size=schema.get("minItems", 0),
            max_size=min(schema.get("maxItems", 3), 3),
        )
    if kind == "object":
        scalars = st.text(max_size=10) | st.integers() | st.booleans()
        return st.dictionaries(st.text(min_size=1, max_size=10), scalars, max_size=3)
    raise ValueError(f"No strategy for schema type {kind!r}")


def _choice_groups(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if "oneOf" in schema:
        return [schema]
    return [group for group in schema.get("allOf", ()) if "oneOf" in group]
