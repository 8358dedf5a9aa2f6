"""The MCP server over Streamable HTTP, with the StatusCallback receiver on the same port.

One Starlette application (the SDK's own ASGI stack): the SDK's Streamable HTTP session manager
at ``/mcp`` behind a bearer token, and the receiver's path, which Twilio signs instead. The
receiver's checks are its framework-free core (``StatusCallbackReceiver.answer``), so the same
code answers here as under aiohttp. The Host and Origin checks against DNS rebinding are the
SDK's (``TransportSecuritySettings``): a request with an Origin that is not allowed gets 403.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from .._exceptions import ConfigurationError
from ..payments.receiver import CallbackRequest, StatusCallbackReceiver
from ..payments.signatures import SIGNATURE_HEADER
from ..tools.tool import Tool
from .mcp_pay_sessions import PaySessions
from .mcp_server import served_by

if TYPE_CHECKING:
    from mcp.server.auth.provider import AccessToken
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import ASGIApp, Receive, Scope, Send

    from .._agent import OCPAgent

__all__ = ["MCP_PATH", "MIN_TOKEN_LENGTH", "http_application", "serve_http"]


MCP_PATH = "/mcp"
MIN_TOKEN_LENGTH = 16
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def http_application(
    agent: OCPAgent,
    tools: Sequence[Tool],
    *,
    token: str | None,
    receiver: StatusCallbackReceiver | None = None,
    allowed_hosts: Sequence[str] = (),
    allowed_origins: Sequence[str] = (),
) -> Starlette:
    """The ASGI application: MCP at ``/mcp`` (bearer ``token``), ``receiver`` at its path.

    Hosts and origins are allowed as the SDK matches them (``host:*`` for any port); the
    loopback names are always allowed.
    """
    from mcp.server.auth.middleware.bearer_auth import BearerAuthBackend, RequireAuthMiddleware
    from mcp.server.streamable_http_manager import (
        StreamableHTTPASGIApp,
        StreamableHTTPSessionManager,
    )
    from mcp.server.transport_security import TransportSecuritySettings
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.authentication import AuthenticationMiddleware
    from starlette.routing import Route

    checked = _checked_token(token)
    server, pay_sessions = served_by(agent, tools)
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[*(f"{name}:*" for name in _LOOPBACK), *_LOOPBACK, *allowed_hosts],
        allowed_origins=[*(f"http://{name}:*" for name in _LOOPBACK), *allowed_origins],
    )
    manager = StreamableHTTPSessionManager(app=server, security_settings=security)
    mcp_endpoint = RequireAuthMiddleware(
        _ForgetsDeletedSessions(StreamableHTTPASGIApp(manager), pay_sessions), required_scopes=[]
    )
    routes = [Route(MCP_PATH, endpoint=mcp_endpoint)]
    if receiver is not None:
        routes.append(Route(receiver.path, endpoint=_callback_endpoint(receiver), methods=["POST"]))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with manager.run():
            try:
                yield
            finally:
                pay_sessions.close()

    # The authentication middleware only says who the caller is; /mcp alone requires it.
    backend = BearerAuthBackend(_OneToken(checked))
    return Starlette(
        routes=routes,
        middleware=[Middleware(AuthenticationMiddleware, backend=backend)],
        lifespan=lifespan,
    )


async def serve_http(
    agent: OCPAgent,
    tools: Sequence[Tool],
    *,
    host: str,
    port: int,
    token: str | None,
    receiver: StatusCallbackReceiver | None = None,
    allowed_hosts: Sequence[str] = (),
    allowed_origins: Sequence[str] = (),
) -> None:
    """Serve :func:`http_application` on ``host:port`` (uvicorn) until interrupted."""
    import uvicorn

    app = http_application(
        agent,
        tools,
        token=token,
        receiver=receiver,
        allowed_hosts=allowed_hosts,
        allowed_origins=allowed_origins,
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


class _ForgetsDeletedSessions:
    """The MCP endpoint; a DELETE of an MCP session also ends its subscriptions."""

    def __init__(self, app: ASGIApp, pay_sessions: PaySessions) -> None:
        self._app = app
        self._pay_sessions = pay_sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)
        if scope.get("method") == "DELETE":
            session_id = dict(scope.get("headers") or []).get(b"mcp-session-id")
            if session_id:
                self._pay_sessions.forget(session_id.decode("latin-1"))


def _callback_endpoint(receiver: StatusCallbackReceiver) -> Any:
    from starlette.responses import Response

    async def callback(request: Request) -> Response:
        read = CallbackRequest(
            body=await _body_within(request, receiver.max_body_bytes),
            content_type=_media_type(request.headers.get("content-type")),
            signature=request.headers.get(SIGNATURE_HEADER),
            raw_path=_raw_path(request.scope),
            forwarded_proto=request.headers.get("x-forwarded-proto"),
            forwarded_host=request.headers.get("x-forwarded-host"),
        )
        answer = await receiver.answer(read)
        return Response(answer.text or None, status_code=answer.status, media_type="text/plain")

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
