"""Spec files, registry files and cache entries made to hurt: every one is a SpecError naming the
file (or a rebuilt cache entry), found at load, with bounded work; nothing fails at call time."""

from __future__ import annotations

import hashlib
import json
import logging
import marshal
import sys
from pathlib import Path
from typing import Any

import pytest
from support.credentials import TWILIO_ENV
from support.files import DATA

from ocp_twilio import OCPAgent, OperationSpec, ParameterSpec, SpecError, load_operations
from ocp_twilio.specs.documents import MAX_DOCUMENT_DEPTH, parse_document

ACME: dict[str, str] = {}
# Half a KB of YAML that PyYAML keeps small (aliases are shared) but that stands for 9**9 strings.
ALIAS_BOMB = "apis:\n  acme:\n    tools: &t9 [*t8, *t8, *t8, *t8, *t8, *t8, *t8, *t8, *t8]\n"
LAUGHS = "".join(f"x-{i}: &t{i} [{', '.join([f'*t{i - 1}'] * 9)}]\n" for i in range(1, 9)).replace(
    "*t0", '"lol"'
)


def registry_with(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "registry.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(params=["ryaml", "pyyaml"])
def yaml_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each YAML test runs with the fast extra's parser and with PyYAML alone."""
    if request.param == "pyyaml":
        monkeypatch.setitem(sys.modules, "ryaml", None)  # import ryaml raises ImportError
    name: str = request.param
    return name


async def test_a_yaml_alias_bomb_in_a_registry_file_is_refused(
    tmp_path: Path, yaml_parser: str
) -> None:
    registry = registry_with(tmp_path, LAUGHS + ALIAS_BOMB)
    assert len(registry.read_bytes()) < 1024
    async with OCPAgent(registry_file=registry) as agent:
        with pytest.raises(SpecError, match=r"registry file .*registry\.yaml"):
            await agent.register_api("acme", environ=ACME)


async def test_looped_yaml_is_refused(tmp_path: Path, yaml_parser: str) -> None:
    registry = registry_with(tmp_path, "apis: &a {acme: *a}\n")
    async with OCPAgent(registry_file=registry) as agent:
        with pytest.raises(
            SpecError, match=r"registry file .*registry\.yaml.*alias inside its own"
        ):
            await agent.register_api("acme", environ=ACME)


# Just past the bound; past libyaml's own bound of 1000; the finding's 200 KB.
@pytest.mark.parametrize("levels", [MAX_DOCUMENT_DEPTH, 1_000, 100_000])
async def test_deep_yaml_is_refused_as_too_deep(
    tmp_path: Path, yaml_parser: str, levels: int
) -> None:
    registry = registry_with(tmp_path, "apis: " + "[" * levels + "]" * levels + "\n")
    async with OCPAgent(registry_file=registry) as agent:
        with pytest.raises(
            SpecError,
            match=rf"registry file .*registry\.yaml nests more than {MAX_DOCUMENT_DEPTH} levels",
        ):
            await agent.register_api("acme", environ=ACME)


def test_ryaml_never_scans_what_libyaml_refuses_for_its_nesting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # ryaml's scanner works through the whole text, its work growing with size times nesting,
    # before it checks the nesting (26 s for these 200 KB); libyaml's refuses at once.
    ryaml = pytest.importorskip("ryaml", reason="the fast extra is not installed")
    parsed: list[str] = []
    loads = ryaml.loads

    def recorded(text: str) -> Any:
        parsed.append(text)
        return loads(text)

    monkeypatch.setattr(ryaml, "loads", recorded)
    deep = b"apis: " + b"[" * 100_000 + b"]" * 100_000 + b"\n"
    with pytest.raises(SpecError, match=r"registry file r\.yaml nests more than 128 levels"):
        parse_document(deep, "registry file r.yaml", as_json=False)
    assert parsed == []
    assert parse_document(b"apis: [[1]]\n", "registry file r.yaml", as_json=False) == {
        "apis": [[1]]
    }
    assert parsed == ["apis: [[1]]\n"]  # what is shallow enough is ryaml's


def test_json_nested_past_the_bound_is_refused(tmp_path: Path) -> None:
    depth = MAX_DOCUMENT_DEPTH + 1
    path = tmp_path / "twilio_deep_v1.json"
    path.write_text('{"openapi": "3.0.1", "x": ' + "[" * depth + "]" * depth + "}")
    with pytest.raises(SpecError, match=rf"twilio_deep_v1\.json nests more than {depth - 1}"):
        load_operations([path])
    path.write_text("[" * 100_000 + "]" * 100_000)  # past the JSON parser's own recursion
    with pytest.raises(SpecError, match=r"twilio_deep_v1\.json nests"):
        load_operations([path])


def ref_bomb(levels: int = 12, fan: int = 8) -> dict[str, Any]:
    """Each schema refers to the one before eight times: 8**11 copies once inlined."""
    schemas: dict[str, Any] = {"s0": {"type": "string"}}
    for i in range(1, levels):
        ref = {"$ref": f"#/components/schemas/s{i - 1}"}
        schemas[f"s{i}"] = {"type": "object", "properties": {f"p{j}": ref for j in range(fan)}}
    body = {"type": "object", "properties": {"a": {"$ref": f"#/components/schemas/s{levels - 1}"}}}
    operation = {
        "operationId": "Boom",
        "requestBody": {"content": {"application/json": {"schema": body}}},
        "responses": {"200": {"description": "OK"}},
    }
    return {
        "openapi": "3.0.1",
        "paths": {"/v1/Boom": {"post": operation}},
        "components": {"schemas": schemas},
    }


def test_an_openapi_ref_bomb_is_refused_with_bounded_work(tmp_path: Path) -> None:
    path = tmp_path / "twilio_bomb_v1.json"
    path.write_text(json.dumps(ref_bomb()))
    assert len(path.read_bytes()) < 5000
    with pytest.raises(SpecError, match=r"twilio_bomb_v1\.json: POST /v1/Boom: follows more than"):
        load_operations([path])


def test_a_ref_inside_itself_through_allof_is_refused(tmp_path: Path) -> None:
    looped = {"allOf": [{"$ref": "#/components/schemas/a"}], "type": "object"}
    document = ref_bomb()
    document["components"]["schemas"] = {"a": looped}
    post = document["paths"]["/v1/Boom"]["post"]
    post["requestBody"]["content"]["application/json"]["schema"] = looped
    path = tmp_path / "twilio_loop_v1.json"
    path.write_text(json.dumps(document))
    with pytest.raises(SpecError, match=r"twilio_loop_v1\.json: POST /v1/Boom"):
        load_operations([path])


def test_an_unreadable_spec_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "twilio_a_v1.yaml").mkdir()  # a folder where a file should be
    with pytest.raises(SpecError, match=r"Cannot read spec file .*twilio_a_v1\.yaml"):
        load_operations([tmp_path])


@pytest.mark.parametrize("corrupt", [b"[\xff\xff\xff\x7f", b"", b"\x00" * 40])
def test_a_corrupt_cache_entry_is_rebuilt(tmp_path: Path, corrupt: bytes) -> None:
    source = DATA / "openapi"
    cache = tmp_path / "cache"
    expected = load_operations([source], cache_dir=cache)
    [entry] = (cache / "catalog").iterdir()
    good = entry.read_bytes()
    entry.write_bytes(corrupt)
    assert load_operations([source], cache_dir=cache) == expected
    assert entry.read_bytes() == good  # rebuilt, not only worked around


def sealed(payload: bytes) -> bytes:
    """A cache entry holding ``payload``, with the checksum it is read behind."""
    return hashlib.sha256(payload).digest() + payload


def with_row(entry: bytes, index: int, value: object) -> bytes:
    """``entry`` with field ``index`` of its first operation's row set to ``value``."""
    rows = marshal.loads(entry[hashlib.sha256().digest_size :])
    rows[0] = (*rows[0][:index], value, *rows[0][index + 1 :])
    return sealed(marshal.dumps(rows))


@pytest.mark.parametrize(
    "poison",
    [
        lambda good: sealed(marshal.dumps([])),  # 37 bytes: a catalog of nothing
        lambda good: sealed(b"[" + (10**6).to_bytes(4, "little")),  # a million rows promised
        lambda good: sealed(marshal.dumps(7)),
        lambda good: sealed(marshal.dumps(["not a row"])),
        lambda good: sealed(marshal.dumps([{"name": "x"}])),
        lambda good: with_row(good, 2, "/v1/Th1ngs\r\nHost: x"),  # OperationSpec refuses it
    ],
    ids=["empty", "truncated", "not a list", "row too short", "row a dict", "refused path"],
)
def test_a_cache_entry_that_does_not_load_behind_a_good_checksum_is_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, poison: Any
) -> None:
    source = DATA / "openapi"
    cache = tmp_path / "cache"
    expected = load_operations([source], cache_dir=cache)
    [entry] = (cache / "catalog").iterdir()
    good = entry.read_bytes()
    entry.write_bytes(poison(good))
    with caplog.at_level(logging.WARNING, logger="ocp_twilio"):
        assert load_operations([source], cache_dir=cache) == expected
    assert entry.read_bytes() == good
    [warning] = caplog.records
    assert warning.levelno == logging.WARNING and str(entry) in warning.getMessage()
    with caplog.at_level(logging.WARNING, logger="ocp_twilio"):
        assert load_operations([source], cache_dir=cache) == expected
    assert len(caplog.records) == 1  # read back from the rebuilt entry, no second warning


def test_the_warning_for_a_cache_entry_quotes_none_of_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = DATA / "openapi"
    cache = tmp_path / "cache"
    expected = load_operations([source], cache_dir=cache)
    [entry] = (cache / "catalog").iterdir()
    # OperationSpec's refusal names the operation: 'Th1ngMarker' is in the SpecError's words.
    poisoned = with_row(entry.read_bytes(), 0, "Th1ngMarker")
    entry.write_bytes(with_row(poisoned, 2, "/v1/Th1ngs\r\n"))
    with pytest.raises(SpecError, match="Th1ngMarker"):
        OperationSpec(name="Th1ngMarker", method="GET", path="/v1/Th1ngs\r\n")
    with caplog.at_level(logging.DEBUG):
        assert load_operations([source], cache_dir=cache) == expected
    assert "does not load (SpecError)" in caplog.text
    assert "Th1ng" not in caplog.text


async def test_register_api_twilio_rebuilds_a_poisoned_catalog(
    isolated_cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with OCPAgent() as agent:
        await agent.register_api("twilio", environ=TWILIO_ENV)
        expected = [tool.name for tool in agent.list_tools()]
    [entry] = (isolated_cache / "catalog").iterdir()
    good = entry.read_bytes()
    entry.write_bytes(sealed(marshal.dumps([])))
    assert len(entry.read_bytes()) == 37
    for _ in range(2):  # the second from the rebuilt entry
        async with OCPAgent() as agent:
            await agent.register_api("twilio", environ=TWILIO_ENV)
            assert [tool.name for tool in agent.list_tools()] == expected
    assert entry.read_bytes() == good
    assert f"The spec cache entry {entry} does not load (it holds no operations)" in caplog.text


def test_a_cache_entry_altered_behind_its_checksum_is_rebuilt(tmp_path: Path) -> None:
    source = DATA / "openapi"
    cache = tmp_path / "cache"
    expected = load_operations([source], cache_dir=cache)
    [entry] = (cache / "catalog").iterdir()
    data = bytearray(entry.read_bytes())
    data[-10] ^= 0xFF
    entry.write_bytes(bytes(data))
    assert load_operations([source], cache_dir=cache) == expected


SPEC_HEAD = "api: twilio\noperations:\n  - name: getThing\n    method: GET\n"


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        ("    path: v1/Things\n", "path"),  # the schema of the file format already says so
        ("    path: /v1/Things/{Sid}\n", r"no path parameter for \{Sid\}: declare it"),
        (
            "    path: /v1/Things/{Sid}\n    parameters: [{name: Sid, in: path}]\n",
            r"path parameter 'Sid' must be required \(required: true\)",
        ),
        ('    path: "/v1/Things\\r\\nHost: x"\n', "path holds a control character"),
        ("    path: /v1/Things?a=1\n", r"'\?'"),
        ("    path: /v1/Things/{Sid!r}\n", r"must be a plain name such as \{Sid\}"),
        ("    path: /v1/Things/{\n", r"unmatched '\{'"),
        (
            "    path: /v1/Things\n    parameters: [{name: Sid, in: path, required: true}]\n",
            r"path parameters \['Sid'\] have no \{placeholder\}",
        ),
        (
            "    path: /v1/Things\n    parameters: [{name: 'a b', in: header}]\n",
            "",  # refused by the file format's name pattern
        ),
        (
            "    path: /v1/Things\n    parameters: [{name: A, in: header, wire_name: 'a b'}]\n",
            "'a b' is not a valid HTTP header name",
        ),
    ],
)
def test_a_spec_that_would_fail_at_call_time_is_refused_at_load(
    tmp_path: Path, operation: str, message: str
) -> None:
    path = tmp_path / "things.yaml"
    path.write_text(SPEC_HEAD + operation)
    with pytest.raises(SpecError, match=rf"{tmp_path}.*things\.yaml.*{message}"):
        load_operations([path])


def test_openapi_placeholders_need_declared_parameters(tmp_path: Path) -> None:
    document = {
        "openapi": "3.0.1",
        "paths": {"/v1/Things/{Sid}": {"get": {"operationId": "FetchThing", "responses": {}}}},
    }
    path = tmp_path / "twilio_things_v1.json"
    path.write_text(json.dumps(document))
    with pytest.raises(SpecError, match=r"twilio_things_v1\.json: GET /v1/Things/\{Sid\}: .*Sid"):
        load_operations([path])


async def test_a_registry_entrys_path_parameter_is_required(tmp_path: Path) -> None:
    tool = {
        "name": "getThing",
        "method": "GET",
        "path": "/v1/Things/{Sid}",
        "parameters": {"Sid": {"location": "path", "type": "string"}},
    }
    registry = registry_with(
        tmp_path,
        json.dumps({"apis": {"acme": {"base_url": "http://127.0.0.1:9", "tools": [tool]}}}),
    )
    async with OCPAgent(registry_file=registry) as agent:
        await agent.register_api("acme", account_sid="AC1", auth_token="t")
        assert agent.get_tool("getThing").input_schema["required"] == ["Sid"]


def test_operation_specs_made_by_hand_are_checked_too() -> None:
    with pytest.raises(SpecError, match=r"'getThing': no path parameter for \{Sid\}"):
        OperationSpec(name="getThing", method="GET", path="/v1/Things/{Sid}")
    with pytest.raises(SpecError, match="must be required"):
        OperationSpec(
            name="getThing",
            method="GET",
            path="/v1/Things/{Sid}",
            parameters=(ParameterSpec("Sid", "path"),),
        )


async def test_a_plugin_whose_operations_fail_is_a_spec_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ocp_twilio import APIDefinition
    from ocp_twilio.ocp.registry import ResolvedAPI

    def broken() -> list[OperationSpec]:
        raise KeyError("paths")

    async def resolve(self: object, name: str) -> ResolvedAPI:
        definition = APIDefinition(
            name=name, description="", base_url="http://127.0.0.1:9", load_operations=broken
        )
        return ResolvedAPI(definition, "python:broken")

    monkeypatch.setattr("ocp_twilio.ocp.registry.APIRegistry.resolve", resolve)
    async with OCPAgent() as agent:
        with pytest.raises(SpecError, match="operations of API 'acme' failed to load: KeyError"):
            await agent.register_api("acme", account_sid="AC1", auth_token="t")
