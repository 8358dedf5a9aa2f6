"""Requests the sandbox cannot read, sent byte for byte over a raw socket: a cookie that is not
UTF-8 (no login needed) and bodies that are not a UTF-8 form, multipart ones included, get
Twilio's 400 body, and the logs hold no traceback."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from support.sandbox import basic_auth, payments_path

from ocp_twilio.sandbox import Sandbox

ERROR_KEYS = {"code", "message", "more_info", "status"}
CONSOLE_PATHS = ["/sandbox/console", "/sandbox/console/events", "/sandbox/console/console.js"]


@pytest.fixture
async def sandbox(caplog: pytest.LogCaptureFixture) -> AsyncIterator[Sandbox]:
    caplog.set_level(logging.DEBUG)
    async with Sandbox() as running:
        yield running


async def raw_request(
    sandbox: Sandbox, method: str, path: str, headers: dict[str, bytes], body: bytes = b""
) -> tuple[int, dict[str, Any]]:
    """One request as these bytes exactly; the answer's status and JSON body."""
    port = int(sandbox.url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".encode()
    head += f"Content-Length: {len(body)}\r\n".encode()
    head += b"".join(name.encode() + b": " + value + b"\r\n" for name, value in headers.items())
    writer.write(head + b"\r\n" + body)
    answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), json.loads(rest.partition(b"\r\n\r\n")[2])


def assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert caplog.records, "the sandbox logs each request: the logs were read"
    assert [
        r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR
    ] == []


@pytest.mark.parametrize("path", CONSOLE_PATHS)
@pytest.mark.parametrize(
    "cookie",
    [b"ocp_console=\xff\xfe", b'ocp_console="\xe9t\xe9"', b"theme=dark; ocp_console=\xc3"],
    ids=["bytes", "quoted", "among-others"],
)
async def test_a_console_cookie_that_is_not_utf8_is_400_without_a_login(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture, path: str, cookie: bytes
) -> None:
    status, answer = await raw_request(sandbox, "GET", path, {"Cookie": cookie})

    assert (status, set(answer), answer["code"]) == (400, ERROR_KEYS, 20001), answer
    assert "ocp_console cookie must be ASCII" in answer["message"]
    assert len(sandbox.console.viewers) == 0
    assert_no_traceback(caplog)


async def test_a_one_time_token_that_is_not_ascii_opens_nothing(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    for token in ["%FF%FE", "%ED%A0%80", "%C3%A9"]:
        status, answer = await raw_request(sandbox, "GET", f"/sandbox/console?token={token}", {})
        assert (status, answer["code"]) == (401, 20003)
    assert_no_traceback(caplog)


BOUNDARY = b"multipart/form-data; boundary=b"
PART = b'--b\r\nContent-Disposition: form-data; name="IdempotencyKey"\r\n'
BODIES = {
    "truncated-multipart": (BOUNDARY, b"--b\r\nContent-Disposition: form-data\r\n\r\nx"),
    # aiohttp's reader raised RuntimeError for this one: a 500 and a traceback.
    "unknown-transfer-encoding": (
        BOUNDARY,
        PART + b"Content-Transfer-Encoding: nope\r\n\r\nk\r\n--b--\r\n",
    ),
    "bad-base64-part": (
        BOUNDARY,
        PART + b"Content-Transfer-Encoding: base64\r\n\r\n!!\r\n--b--\r\n",
    ),
    "unknown-part-charset": (
        BOUNDARY,
        PART + b"Content-Type: text/plain; charset=x\r\n\r\nk\r\n--b--\r\n",
    ),
    "nested-multipart": (
        BOUNDARY,
        PART
        + b"Content-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nk\r\n--c--\r\n--b--\r\n",
    ),
    "no-boundary": (b"multipart/form-data", PART + b"\r\nk\r\n--b--\r\n"),
    "well-formed-multipart": (BOUNDARY, PART + b"\r\nk\r\n--b--\r\n"),
    "json": (b"application/json", b'{"IdempotencyKey": "k"}'),
    "non-utf8-form": (b"application/x-www-form-urlencoded", b"IdempotencyKey=%FF"),
    "unknown-charset": (b"application/x-www-form-urlencoded; charset=x", b"IdempotencyKey=k"),
}


@pytest.mark.parametrize("route", ["create", "calls", "keys"])
@pytest.mark.parametrize("body", list(BODIES), ids=list(BODIES))
async def test_a_body_that_is_not_a_utf8_form_is_400_and_nothing_happens(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture, route: str, body: str
) -> None:
    call_sid = sandbox.start_call()
    path = {
        "create": payments_path(sandbox, call_sid),
        "calls": "/sandbox/calls",
        "keys": "/sandbox/console/keys",
    }[route]
    content_type, content = BODIES[body]
    login = basic_auth(sandbox.account_sid, sandbox.auth_token).encode()
    headers = {"Authorization": login, "Content-Type": content_type}

    status, answer = await raw_request(sandbox, "POST", path, headers, content)

    assert (status, set(answer), answer["code"]) == (400, ERROR_KEYS, 20001), answer
    assert "application/x-www-form-urlencoded" in answer["message"]
    assert list(sandbox.state.calls) == [call_sid] and sandbox.state.sessions == {}
    assert sandbox.events() == []
    assert_no_traceback(caplog)
