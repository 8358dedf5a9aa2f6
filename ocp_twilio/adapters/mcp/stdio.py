"""The MCP server over stdin/stdout, and a read stream that answers the lines the SDK cannot
parse: the SDK would only log them, and the client would wait for ever.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ...tools.tool import Tool
from .server import served_by

if TYPE_CHECKING:
    from ..._caller import ToolCaller

__all__ = ["AnsweringReadStream", "serve_stdio"]


async def serve_stdio(agent: ToolCaller, tools: Sequence[Tool]) -> None:
    """Serve ``tools`` over stdin/stdout until the client closes the connection."""
    server, pay_sessions = served_by(agent, tools)  # first: it says where the SDK is missing
    from mcp.server.stdio import stdio_server

    try:
        async with stdio_server() as (read_stream, write_stream):
            answering = AnsweringReadStream(read_stream, write_stream)
            await server.run(answering, write_stream, server.create_initialization_options())
    finally:
        await pay_sessions.close()


class AnsweringReadStream:
    """The SDK's read stream, where a line that it cannot parse is answered, not dropped.

    The SDK's JSON parser stops at 200 levels of nesting and the server then only logs the
    failure: the client would wait for ever. Each such line gets an error answer with the
    request's id (found without parsing the nesting), or id null where it has none.
    """

    def __init__(self, inner: Any, write_stream: Any) -> None:
        self._inner = inner
        self._write_stream = write_stream

    def __getattr__(self, name: str) -> Any:  # last_context, which the SDK reads if present
        return getattr(self._inner, name)

    def __aiter__(self) -> AnsweringReadStream:
        return self

    async def __anext__(self) -> Any:
        while True:
            item = await self._inner.__anext__()
            if not isinstance(item, Exception):
                return item
            await self._answer(item)

    async def receive(self) -> Any:
        return await self.__anext__()

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> AnsweringReadStream:
        await self._inner.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> Any:
        return await self._inner.__aexit__(*exc_info)

    async def _answer(self, failure: Exception) -> None:
        import mcp_types as types
        from mcp.shared.message import SessionMessage

        line = _failed_line(failure)
        error = types.JSONRPCError(
            jsonrpc="2.0",
            id=_top_level_id(line) if line else None,
            error=types.ErrorData(
                code=types.INVALID_REQUEST,
                message=(
                    "The request could not be read: it is not valid JSON-RPC, or nests more "
                    "than 200 levels deep. Send it again with flatter arguments."
                ),
            ),
        )
        await self._write_stream.send(SessionMessage(error))


def _failed_line(failure: Exception) -> str:
    """The raw line a pydantic ValidationError of the SDK's parser holds as its input."""
    errors = getattr(failure, "errors", None)
    try:
        found = errors()[0].get("input") if callable(errors) else None
    except (TypeError, IndexError, AttributeError):
        return ""
    return found if isinstance(found, str) else ""


def _top_level_id(line: str) -> str | int | None:
    """The ``id`` member of the JSON object ``line``, read without descending into its nesting:
    strings are read as tokens, brackets only counted."""
    decoder = json.JSONDecoder()
    depth, index = 0, 0
    while index < len(line):
        char = line[index]
        if char == '"':
            try:
                text, index = decoder.raw_decode(line, index)
            except ValueError:
                return None
            if depth == 1 and text == "id":
                value_at = _after_colon(line, index)
                if value_at is not None and line[value_at] not in "{[":
                    try:
                        value = decoder.raw_decode(line, value_at)[0]
                    except ValueError:
                        return None
                    ok = isinstance(value, (str, int)) and not isinstance(value, bool)
                    return value if ok else None
            continue
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        index += 1
    return None


def _after_colon(line: str, index: int) -> int | None:
    """Where the value after ``:`` starts, if a colon (a key's) follows ``index``."""
    rest = line[index:].lstrip()
    if not rest.startswith(":"):
        return None
    value = rest[1:].lstrip()
    return len(line) - len(value) if value else None
