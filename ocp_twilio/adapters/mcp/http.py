"""The MCP server over Streamable HTTP, with the StatusCallback receiver on the same port.

One Starlette application (the SDK's own ASGI stack): the SDK's Streamable HTTP session manager
at ``/mcp`` behind a bearer token, and the receiver's path, which Twilio signs instead. The
receiver's checks are its framework-free core (``StatusCallbackReceiver.answer``), so the same
code answers here as under aiohttp. The Host check against DNS rebinding is the SDK's
(``TransportSecuritySettings``, 421); a browser Origin other than the server's own address or
one the operator allows gets 403 (``origins``), saying how to allow it.
"""

from __future__ import annotations

import hmac
import math
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from ..._exceptions import ConfigurationError
from ..._extras import needs_extra
from ...payments.receiver import CallbackRequest, StatusCallbackReceiver, joined_lines
from ...payments.signatures import SIGNATURE_HEADER
from ...tools.tool import Tool
from .origins import OriginCheck, accepted_origins
from .server import served_by

if TYPE_CHECKING:
    from mcp.server.auth.provider import AccessToken
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import Scope

    from ..._caller import ToolCaller

__all__ = ["MCP_PATH", "MIN_TOKEN_LENGTH", "http_application", "serve_http"]


MCP_PATH = "/mcp"
MIN_TOKEN_LENGTH = 16
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def http_application(
    agent: ToolCaller,
    tools: Sequence[Tool],
    *,
    token: str | None,
    receiver: StatusCallbackReceiver | None = None,
    allowed_hosts: Sequence[str] = (),
    allowed_origins: Sequence[str] = (),
    session_idle_timeout: float | None = None,
) -> Starlette:
    """The ASGI application: MCP at ``/mcp`` (bearer ``token``), ``receiver`` at its path.

    Hosts are allowed as the SDK matches them (``host:*`` for any port); the loopback names
    are always allowed. A browser's Origin must be the request's own (its Host's) or one of
    ``allowed_origins``, exactly: any other gets 403. An MCP session
    with no request in flight for ``session_idle_timeout`` seconds (default: the SDK's, 30
    minutes) is ended, and its subscriptions with it.
    """
    with needs_extra("mcp", "The MCP server over HTTP"):
        from mcp.server.auth.middleware.bearer_auth import (
            BearerAuthBackend,
            RequireAuthMiddleware,
        )
        from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
        from mcp.server.transport_security import TransportSecuritySettings
        from starlette.applications import Starlette
        from starlette.middleware import Middleware
        from starlette.middleware.authentication import AuthenticationMiddleware
        from starlette.routing import Route

        from .http_sessions import SubscriptionsEndingSessionManager

    checked = _checked_token(token)
    origins = accepted_origins(allowed_origins)
    idle = (
        {}
        if session_idle_timeout is None
        else {"session_idle_timeout": _checked_idle(session_idle_timeout)}
    )
    server, pay_sessions = served_by(agent, tools)
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[*(f"{name}:*" for name in _LOOPBACK), *_LOOPBACK, *allowed_hosts],
        # The SDK's Origin check is the coarse bound (any origin on an allowed host);
        # OriginCheck, in front of it, narrows that to the request's own and the configured.
        allowed_origins=[
            *(f"http://{name}:*" for name in _LOOPBACK),
            *(f"{scheme}://{host}" for host in allowed_hosts for scheme in ("http", "https")),
            *origins,
        ],
    )
    manager = SubscriptionsEndingSessionManager(
        server, pay_sessions, security_settings=security, **idle
    )
    mcp_endpoint = OriginCheck(
        RequireAuthMiddleware(StreamableHTTPASGIApp(manager), required_scopes=[]), origins
    )
    routes = [Route(MCP_PATH, endpoint=mcp_endpoint)]
    if receiver is not None:  # Pay's path, and beside it those of messages, calls and replies
        routes.extend(
            Route(path, endpoint=_callback_endpoint(receiver, kind), methods=["POST"])
            for kind, path in receiver.paths.items()
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with manager.run():
            try:
                yield
            finally:
                await pay_sessions.close()

    # The authentication middleware only says who the caller is; /mcp alone requires it.
    backend = BearerAuthBackend(_OneToken(checked))
    return Starlette(
        routes=routes,
        middleware=[Middleware(AuthenticationMiddleware, backend=backend)],
        lifespan=lifespan,
    )


async def serve_http(
    agent: ToolCaller,
    tools: Sequence[Tool],
    *,
    host: str,
    port: int,
    token: str | None,
    receiver: StatusCallbackReceiver | None = None,
    allowed_hosts: Sequence[str] = (),
    allowed_origins: Sequence[str] = (),
    session_idle_timeout: float | None = None,
) -> None:
    """Serve :func:`http_application` on ``host:port`` (uvicorn) until interrupted."""
    with needs_extra("mcp", "The MCP server over HTTP"):
        import uvicorn

    app = http_application(
        agent,
        tools,
        token=token,
        receiver=receiver,
        allowed_hosts=allowed_hosts,
        allowed_origins=allowed_origins,
        session_idle_timeout=session_idle_timeout,
    )
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    await uvicorn.Server(config).serve()


def _checked_token(token: str | None) -> str:
    if not token or len(token) < MIN_TOKEN_LENGTH:
        raise ConfigurationError(
            "The MCP server over HTTP needs a bearer token of at least "
            f"{MIN_TOKEN_LENGTH} characters in OCP_TWILIO_MCP_TOKEN (e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`); clients send it "
            "as Authorization: Bearer <token>."
        )
    return token


def _checked_idle(seconds: float) -> float:
    if not (math.isfinite(seconds) and seconds > 0):
        raise ConfigurationError(
            f"session_idle_timeout must be a positive number of seconds, not {seconds!r}: "
            "an MCP session with no request in flight for that long is ended."
        )
    return seconds


class _OneToken:
    """The SDK's TokenVerifier for one shared token, compared in constant time."""

    def __init__(self, token: str) -> None:
        self._token = token.encode("utf-8")

    def __repr__(self) -> str:
        return "<_OneToken>"

    async def verify_token(self, token: str) -> AccessToken | None:
        from mcp.server.auth.provider import AccessToken

        if not hmac.compare_digest(token.encode("utf-8"), self._token):
            return None
        return AccessToken(token="", client_id="ocp-twilio-mcp-client", scopes=[])


def _callback_endpoint(receiver: StatusCallbackReceiver, kind: str) -> Any:
    from starlette.responses import Response

    async def callback(request: Request) -> Response:
        read = CallbackRequest(
            body=await _body_within(request, receiver.max_body_bytes),
            content_type=_media_type(request.headers.get("content-type")),
            signature=request.headers.get(SIGNATURE_HEADER),
            raw_path=_raw_path(request.scope),
            forwarded_proto=joined_lines(request.headers.getlist("x-forwarded-proto")),
            forwarded_host=joined_lines(request.headers.getlist("x-forwarded-host")),
        )
        answer = await receiver.answer(read, kind)
        return Response(
            answer.text or None, status_code=answer.status, media_type=answer.media_type
        )

    return callback


async def _body_within(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is longer than ``limit`` (read no further than that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _media_type(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


def _raw_path(scope: Scope) -> str:
    """The path and query as the client sent them (what Twilio signed)."""
    raw = scope.get("raw_path") or str(scope["path"]).encode("utf-8")
    query = scope.get("query_string") or b""
    path = bytes(raw).decode("latin-1")
    return f"{path}?{bytes(query).decode('latin-1')}" if query else path
