"""The SDK's Streamable HTTP session manager, which also ends a session's Pay subscriptions
when it discards the session (the ``mcp`` extra: imported only by ``http_application``)."""

from __future__ import annotations

from typing import Any

from mcp.server.lowlevel import Server
from mcp.server.streamable_http import StreamableHTTPServerTransport
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

from .pay_sessions import PaySessions

__all__ = ["SubscriptionsEndingSessionManager"]


class SubscriptionsEndingSessionManager(StreamableHTTPSessionManager):
    """Ends the handshake-era subscriptions of every MCP session the manager discards.

    The SDK discards each session through ``_discard_session``, however it ended: a DELETE,
    the idle timeout (a client that crashed or went away), a crash, or the server stopping.
    It has no public hook for that (``Connection.exit_stack``, meant for per-connection
    cleanup, is not reachable from a low-level handler), so this one method is extended;
    tests/adapters/mcp/test_mcp_http_subscriptions.py fails if the SDK stops calling it.
    """

    def __init__(self, app: Server[Any], pay_sessions: PaySessions, **options: Any) -> None:
        super().__init__(app, **options)
        self._pay_sessions = pay_sessions

    async def _discard_session(
        self, session_id: str, transport: StreamableHTTPServerTransport
    ) -> None:
        self._pay_sessions.forget(session_id)
        await super()._discard_session(session_id, transport)
