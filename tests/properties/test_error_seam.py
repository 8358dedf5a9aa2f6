"""Every exception a lower library can raise on the library's paths becomes an OCPError.

Each library's exceptions are enumerated from the library itself, so that one it adds later
fails here until it is mapped (or shown not to be on any of our paths).
"""

from __future__ import annotations

import asyncio
import inspect
import ssl
import sys
from collections.abc import Iterator
from typing import Any

import aiohttp
import jsonschema.exceptions
import pytest
import redis.asyncio
import redis.exceptions
import yaml
from aiohttp.client_reqrep import ConnectionKey
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ocp_twilio import (
    ExitCode,
    OCPError,
    ProgressStoreUnavailable,
    RedisProgressStore,
    RequestTimeout,
    ResponseTooLarge,
    SpecError,
    TransportError,
    TwilioAPIError,
)
from ocp_twilio._json import NotJSON, read_json
from ocp_twilio.http.aiohttp_transport import AiohttpTransport
from ocp_twilio.http.transport import Request
from ocp_twilio.payments.progress import callback_event
from ocp_twilio.specs.documents import parse_document
from ocp_twilio.tools.formats import INPUT_FORMATS
from ocp_twilio.tools.validation import SchemaValidator

SECRET = "s3cr3t-token"
URL_WITH_SECRET = URL(f"https://api.twilio.com/2010-04-01/Calls.json?Token={SECRET}")


def subclasses(base: type[BaseException]) -> Iterator[type[BaseException]]:
    for cls in base.__subclasses__():
        yield cls
        yield from subclasses(cls)


# -- aiohttp: every ClientError, raised where the transport sends ------------------------------

_ARGUMENTS: dict[str, Any] = {
    "request_info": aiohttp.RequestInfo(
        URL_WITH_SECRET,
        "POST",
        CIMultiDictProxy(CIMultiDict({"Authorization": f"Basic {SECRET}"})),
        URL_WITH_SECRET,
    ),
    "history": (),
    "connection_key": ConnectionKey(
        *(
            {"host": "api.twilio.com", "port": 443, "is_ssl": True}.get(field)
            for field in ConnectionKey._fields
        )
    ),
    "os_error": ConnectionRefusedError(111, "Connection refused"),
    "certificate_error": ssl.SSLCertVerificationError(1, "certificate verify failed"),
    "url": URL_WITH_SECRET,
    "expected": b"\x00" * 32,
    "got": b"\x01" * 32,
    "host": "api.twilio.com",
    "port": 443,
    "path": "/run/twilio.sock",
}


def made(cls: type[BaseException]) -> BaseException:
    """An instance of ``cls``, its required arguments from _ARGUMENTS by name."""
    parameters = inspect.signature(cls.__init__).parameters.values()
    required = [
        p.name
        for p in parameters
        if p.name != "self"
        and p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    missing = [name for name in required if name not in _ARGUMENTS]
    assert missing == [], f"{cls.__name__} needs {missing}: add them to _ARGUMENTS"
    return cls(*(_ARGUMENTS[name] for name in required))


AIOHTTP_ERRORS = sorted(
    {aiohttp.ClientError, *subclasses(aiohttp.ClientError), asyncio.TimeoutError},
    key=lambda cls: cls.__name__,
)


def test_aiohttp_errors_are_enumerated() -> None:
    names = {cls.__name__ for cls in AIOHTTP_ERRORS}
    # The ones the retry rules turn on, so that a rename cannot hollow the test out.
    assert {"ClientConnectorError", "ServerDisconnectedError", "ClientPayloadError"} <= names
    assert len(AIOHTTP_ERRORS) > 25


@pytest.mark.parametrize("error_type", AIOHTTP_ERRORS, ids=lambda cls: cls.__name__)
async def test_every_aiohttp_error_on_send_becomes_a_transport_error(
    error_type: type[BaseException], monkeypatch: pytest.MonkeyPatch
) -> None:
    error = made(error_type)

    def failing_request(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(aiohttp.ClientSession, "request", failing_request)
    transport = AiohttpTransport()
    try:
        with pytest.raises(TransportError) as caught:
            request = Request(
                method="POST",
                url=URL_WITH_SECRET,
                headers={},
                body=b"",
                timeout=5.0,
                connect_timeout=None,
                max_body=1024,
            )
            await transport.send(request)
    finally:
        await transport.close()

    failure = caught.value
    assert SECRET not in str(failure) and SECRET not in repr(failure)
    # aiohttp's exception holds the request's headers: it must not ride along.
    assert failure.__cause__ is None and failure.__context__ is None
    assert failure.exit_code is ExitCode.TRANSPORT_ERROR
    assert failure.retryable and failure.hint
    expected = RequestTimeout if issubclass(error_type, asyncio.TimeoutError) else TransportError
    assert type(failure) is expected


# -- jsonschema: what validating a tool's arguments can raise -----------------------------------

# jsonschema's exception types, each with a schema that makes it happen through a tool's
# validator, or the reason it cannot happen there.
_JSONSCHEMA_CASES: dict[str, dict[str, Any] | str] = {
    "ValidationError": {"type": "object", "properties": {"a": {"type": "string"}}},
    "SchemaError": {"type": "object", "properties": {"a": {"type": "nonsense"}}},
    "_WrappedReferencingError": {"type": "object", "properties": {"a": {"$ref": "#/$defs/x"}}},
    "_RefResolutionError": "the base of _WrappedReferencingError; nothing raises it alone",
    "_Unresolvable": "referencing's Unresolvable under jsonschema's name, as above",
    "UnknownType": "check_schema refuses an unknown type name first (SchemaError)",
    "UndefinedTypeCheck": "raised by TypeChecker.remove, which the library never calls",
    "FormatError": "FormatChecker turns the checks' listed errors into a failed format",
    "_Error": "the base class of ValidationError and SchemaError",
}


def test_every_jsonschema_exception_is_accounted_for() -> None:
    found = {
        name
        for name, value in vars(jsonschema.exceptions).items()
        if isinstance(value, type) and issubclass(value, BaseException)
    }
    assert found == set(_JSONSCHEMA_CASES)


@pytest.mark.parametrize(
    "name", [n for n, case in _JSONSCHEMA_CASES.items() if isinstance(case, dict)]
)
def test_jsonschema_failures_become_argument_errors_or_spec_errors(name: str) -> None:
    schema = _JSONSCHEMA_CASES[name]
    assert isinstance(schema, dict)
    try:
        validator = SchemaValidator(schema, INPUT_FORMATS, "input schema of fetchThing")
        problems = validator.errors({"a": 1})
    except OCPError as exc:
        assert isinstance(exc, SpecError) and "input schema of fetchThing" in str(exc)
        assert name != "ValidationError"
    else:
        assert name == "ValidationError"
        assert [str(p) for p in problems] == ["a: must be of type string, not integer"]


def test_format_checks_raise_only_what_their_checker_catches() -> None:
    # Every format check of a tool, on values of every JSON type: a problem or none, no raise.
    values: list[Any] = ["", "x" * 300, "-1", "1e309", 0, -1, 1.5, True, None, [], {}]
    for format_name in INPUT_FORMATS.checkers:
        validator = SchemaValidator({"format": format_name}, INPUT_FORMATS, "test schema")
        for value in values:
            validator.errors(value)


# -- yaml: every YAMLError the safe loaders can raise while reading ------------------------------

_YAML_CASES: dict[str, bytes | str] = {
    "ScannerError": b"key: 'unterminated\n",
    "ParserError": b"[a, b\n",
    "ComposerError": b"a: *nowhere\n",
    "ConstructorError": b"a: !!python/object:os.system {}\n",
    "ReaderError": b"a: \x07\n",
    "MarkedYAMLError": "the base of the scanner's, parser's, composer's and constructor's",
    "ResolverError": "raised by Resolver.add_path_resolver, which the library never calls",
    "EmitterError": "raised while writing YAML; the library only reads it",
    "SerializerError": "raised while writing YAML; the library only reads it",
    "RepresenterError": "raised while writing YAML; the library only reads it",
}
# What PyYAML's safe constructors raise outside YAMLError for a bad explicit tag.
_YAML_TAG_FAILURES = {
    "ValueError (int)": b"a: !!int abc\n",
    "ValueError (timestamp)": b"a: !!timestamp 2001-01-01 99:99:99\n",
    "ValueError (year 0)": b"a: !!timestamp 0000-01-01\n",
    "KeyError (bool)": b"a: !!bool x\n",
    "not UTF-8": b"a: \xff\xfe\n",
}
_BAD_YAML = {
    **{name: case for name, case in _YAML_CASES.items() if isinstance(case, bytes)},
    **_YAML_TAG_FAILURES,
}


@pytest.fixture(params=["PyYAML", "ryaml"])
def yaml_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each parser the reader may use: ryaml (the fast extra) where installed, else PyYAML."""
    if request.param == "PyYAML":
        monkeypatch.setitem(sys.modules, "ryaml", None)  # import ryaml fails, as without it
    else:
        pytest.importorskip("ryaml", reason="the fast extra is not installed")
    return str(request.param)


def test_every_yaml_error_is_accounted_for() -> None:
    assert {cls.__name__ for cls in subclasses(yaml.YAMLError)} == set(_YAML_CASES)


@pytest.mark.parametrize("data", _BAD_YAML.values(), ids=list(_BAD_YAML))
def test_pyyaml_failures_become_spec_errors_naming_the_file(
    data: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ryaml", None)
    with pytest.raises(SpecError, match=r"Cannot read spec file x\.yaml: it is not YAML"):
        parse_document(data, "spec file x.yaml", as_json=False)


@pytest.mark.parametrize("data", _BAD_YAML.values(), ids=list(_BAD_YAML))
def test_either_parser_reads_a_document_or_says_spec_error(yaml_parser: str, data: bytes) -> None:
    # ryaml ignores tags, so some of these are documents to it; none may raise anything else.
    try:
        parse_document(data, "spec file x.yaml", as_json=False)
    except SpecError as exc:
        assert "spec file x.yaml" in str(exc)
        assert exc.__cause__ is None


# -- json: one translation, NotJSON, for every failure of the decoders ---------------------------

_NOT_JSON = {
    "JSONDecodeError": b'{"a": 1,',
    "UnicodeDecodeError": b'{"a": "\xff"}',
    "RecursionError": b"[" * 100_000 + b"]" * 100_000,
    "unpaired surrogate": b'{"a": "\\ud800"}',
}


@pytest.mark.parametrize("text", _NOT_JSON.values(), ids=list(_NOT_JSON))
def test_every_json_failure_is_not_json(text: bytes) -> None:
    with pytest.raises(NotJSON) as caught:
        read_json(text)
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert "ud800" not in str(caught.value)  # the reason never quotes the text


def test_not_json_says_where_and_whether_too_deep() -> None:
    with pytest.raises(NotJSON) as caught:
        read_json('{"a": x}')
    assert caught.value.column == 7 and not caught.value.too_deep
    with pytest.raises(NotJSON) as deep:
        read_json("[" * 100_000)
    assert deep.value.too_deep


@pytest.mark.parametrize("text", _NOT_JSON.values(), ids=list(_NOT_JSON))
def test_json_spec_files_that_are_not_json_are_spec_errors(text: bytes) -> None:
    with pytest.raises(SpecError, match=r"spec file x\.json"):
        parse_document(text, "spec file x.json", as_json=True)


# -- redis-py: every RedisError, raised where the Redis progress store sends a command -------

REDIS_URL = f"redis://:{SECRET}@127.0.0.1:6379/0"
REDIS_ERRORS = sorted(
    {redis.exceptions.RedisError, *subclasses(redis.exceptions.RedisError)}
    | {ConnectionRefusedError, asyncio.TimeoutError},
    key=lambda cls: f"{cls.__module__}.{cls.__name__}",
)


def test_redis_errors_are_enumerated() -> None:
    names = {cls.__name__ for cls in REDIS_ERRORS}
    assert {"ConnectionError", "TimeoutError", "BusyLoadingError", "NoScriptError"} <= names
    assert len(REDIS_ERRORS) > 25


@pytest.mark.parametrize(
    "error_type", REDIS_ERRORS, ids=lambda cls: f"{cls.__module__}.{cls.__name__}"
)
@pytest.mark.parametrize("operation", ["append", "progress", "wait"])
async def test_every_redis_error_becomes_progress_store_unavailable(
    error_type: type[BaseException], operation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The worst case: redis-py's message holding the URL with its password. A cluster's
    # redirection (MOVED, ASK) reads "slot host:port" instead.
    redirect = "resp" in inspect.signature(error_type.__init__).parameters
    error = error_type("3999 127.0.0.1:6381" if redirect else f"Error connecting to {REDIS_URL}")

    async def failing_command(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(redis.asyncio.Redis, "execute_command", failing_command)
    store = RedisProgressStore(REDIS_URL)
    event = callback_event({"Sid": "PK" + "0" * 32, "Capture": "postal-code"})
    assert event is not None
    try:
        with pytest.raises(ProgressStoreUnavailable) as caught:
            if operation == "append":
                await store.append(event)
            elif operation == "progress":
                await store.progress(event.sid)
            else:
                await store.wait(event.sid, 0, 1)
    finally:
        await store.aclose()

    failure = caught.value
    assert SECRET not in str(failure) and SECRET not in repr(failure) and SECRET not in repr(store)
    assert "redis://127.0.0.1:6379/0" in str(failure)
    assert failure.__cause__ is None and failure.__context__ is None
    assert failure.exit_code is ExitCode.TRANSPORT_ERROR
    assert failure.retryable and failure.hint


# -- what callers branch on ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "retryable"), [(400, False), (404, False), (429, True), (500, True), (503, True)]
)
def test_twilio_api_error_says_whether_a_retry_may_help(status: int, retryable: bool) -> None:
    error = TwilioAPIError(status, 20001, "no", request_id="RQ" + "0" * 32)
    assert error.retryable is retryable
    assert error.exit_code is ExitCode.API_ERROR
    assert ("temporary" in error.hint) is retryable
    assert str(error).endswith("(request RQ" + "0" * 32 + ")")


def test_a_too_large_answer_is_not_worth_repeating() -> None:
    error = ResponseTooLarge("Response body exceeds the 10-byte cap.")
    assert not error.retryable and "PageSize" in error.hint
    assert error.exit_code is ExitCode.TRANSPORT_ERROR
