"""Response bodies decode as json.loads decodes them, on orjson's path and on the standard one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocp_twilio import _json as json_body
from ocp_twilio._config import MAX_JSON_DEPTH
from ocp_twilio._json import decode_json


@pytest.fixture(params=["orjson", "stdlib"])
def decoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test on orjson's path (where the fast extra is installed) and on the standard one."""
    if request.param == "orjson":
        pytest.importorskip("orjson", reason="orjson comes with the fast extra")
    else:
        monkeypatch.setattr(json_body, "_orjson_loads", lambda: None)
    return str(request.param)


def outcome(parse: Any) -> str:
    try:
        return repr(parse())  # repr: NaN is not equal to itself
    except ValueError as exc:
        return type(exc).__name__


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": "\\u00e9 x"}',
        '{"a": "é"}'.encode(),
        '{"a": "é"}'.encode("utf-8-sig"),
        '{"a": "é"}'.encode("utf-16"),
        '{"a": "é"}'.encode("utf-16-le"),
        '{"a": "é"}'.encode("utf-16-be"),
        '{"a": "é"}'.encode("utf-32"),
        '{"a": "é"}'.encode("utf-32-le"),
        b"1",
        b" 7",
        b"\xff\xfe",
        b'{"a": "\xff"}',
        b"NaN",
        b"[1e400, -Infinity]",
        b"123456789012345678901234567890",
        b"[18446744073709551615, -9223372036854775808, 9999999999999999999]",
        b'{"n":12345678901234567890123, "e": 1e+1234567890123456789012}',
        b"[0.12345678901234567890123, 1.5E-12345678901234567890123]",
        b'{"a": 1, "a": 2}',
        b"[1.1, -0.0, 1e-7, 0.30000000000000004]",
        b"",
        b"[1,]",
    ],
)
def test_response_body_is_decoded_as_json_loads_decodes_bytes(body: bytes, decoder: str) -> None:
    assert outcome(lambda: decode_json(body)) == outcome(lambda: json.loads(body))


@pytest.mark.parametrize(
    "body", [b'"\xed\xa0\x80"', b'"\\ud800"', b'{"\\udc00": 1}', b'["\\ud83d", NaN]']
)
def test_an_unpaired_surrogate_is_no_json_to_pass_on(body: bytes, decoder: str) -> None:
    """json.loads takes it, but no UTF-8 text can carry it on: a model's answer, a log."""
    json.loads(body)
    with pytest.raises(ValueError, match="unpaired surrogate"):
        decode_json(body)


def test_a_surrogate_pair_is_one_character() -> None:
    assert decode_json(b'{"a": "\\ud83d\\ude00", "n": NaN}')["a"] == "\U0001f600"


def test_a_plain_answer_is_decoded_once_a_rounded_number_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    orjson = pytest.importorskip("orjson", reason="orjson comes with the fast extra")
    decoded: list[bytes] = []

    def spy(body: bytes) -> Any:
        decoded.append(body)
        return orjson.loads(body)

    monkeypatch.setattr(json_body, "_orjson_loads", lambda: spy)
    body = b'{"sid": "PK00112233445566778899aabbccddeeff", "price": "-0.0123456789012345678"}'
    assert decode_json(body) == json.loads(body)
    assert decoded == [body]
    # orjson rounds it to a float; the standard library decodes it again, exactly.
    assert decode_json(b'{"count": 12345678901234567890}') == {"count": 12345678901234567890}
    assert type(decode_json(b"[-9223372036854775809]")[0]) is int


@pytest.mark.parametrize("kind", ["[", '{"a":'])
def test_nesting_is_bounded_on_both_paths(decoder: str, kind: str) -> None:
    close = "]" if kind == "[" else "}"

    def nested(depth: int) -> bytes:
        return (kind * depth + "1" + close * depth).encode()

    assert (
        json_body.nested_deeper_than(decode_json(nested(MAX_JSON_DEPTH)), MAX_JSON_DEPTH) is False
    )
    for depth in (MAX_JSON_DEPTH + 1, 5000):
        with pytest.raises(json_body.NestedTooDeep):
            decode_json(nested(depth))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_any_json_document_decodes_as_json_loads_decodes_it(value: Any) -> None:
    body = json.dumps(value).encode()
    assert outcome(lambda: decode_json(body)) == outcome(lambda: json.loads(body))
