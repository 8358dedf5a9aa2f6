"""The send ledger in Redis, shared by the processes of a fleet.

One key per send digest (``{prefix}{digest}``), whose value is the claim's time in
milliseconds and its token, with a TTL of the window: a Lua script reads and sets it in one
step, so two processes racing with the same send cannot both claim it. The time is the
claiming process's clock (compared in the script), so the window holds with any clock a test
gives; the TTL only frees the memory. Releasing deletes the key only while it holds the same
claim.

redis-py's exceptions are translated here, and only here, into SendLedgerUnavailable.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import redis.asyncio
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from .._exceptions import SendLedgerUnavailable
from .._redis import command_client, redis_where

__all__ = ["DEFAULT_LEDGER_PREFIX", "RedisSendLedger"]

DEFAULT_LEDGER_PREFIX = "ocp-twilio:send:"

# KEYS: the send's key. ARGV: now (ms), window (ms), token. The earlier claim's time, else -1.
# A claim a little "after" this one is as recent: racing callers read their clocks before their
# scripts run, in either order (and the processes' clocks differ a little).
_CLAIM = """
local held = redis.call('GET', KEYS[1])
if held then
  local at = tonumber(string.match(held, '^(%-?%d+):'))
  local age = tonumber(ARGV[1]) - (at or 0)
  if at and math.abs(age) < tonumber(ARGV[2]) then return at end
end
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[3], 'PX', ARGV[2])
return -1
"""
# KEYS: the send's key. ARGV: token. Deletes the key while it holds that token's claim.
_RELEASE = """
local held = redis.call('GET', KEYS[1])
if held and string.match(held, ':(.*)$') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisSendLedger:
    """The send ledger in the Redis at ``url`` (``redis://[:password@]host:port/db``,
    ``rediss://``, ``unix://``; the OCP_TWILIO_REDIS_URL conventions). Keys start with
    ``key_prefix``; ``clock`` gives the time in seconds (``time.time``). The connections open
    on first use, in the running loop; :meth:`aclose` closes them."""

    def __init__(
        self,
        url: str,
        *,
        key_prefix: str = DEFAULT_LEDGER_PREFIX,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # Where the ledger is, for messages: never the URL, which may hold a password.
        self.where = redis_where(url, "the send ledger's Redis URL")
        self._url = url
        self.key_prefix = key_prefix
        self._clock = clock
        self._client: (
            tuple[asyncio.AbstractEventLoop, redis.asyncio.Redis, tuple[AsyncScript, AsyncScript]]
            | None
        ) = None

    def __repr__(self) -> str:
        return f"<RedisSendLedger {self.where}>"

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client[1].aclose()

    async def claim(self, digest: str, window: float, token: str) -> float | None:
        now = int(self._clock() * 1000)
        arguments = [now, max(1, int(window * 1000)), token]
        earlier = await self._run(0, digest, arguments)
        return None if int(earlier) < 0 else max(now - int(earlier), 0) / 1000

    async def release(self, digest: str, token: str) -> None:
        await self._run(1, digest, [token])

    async def _run(self, script: int, digest: str, arguments: list[Any]) -> Any:
        """Script ``script`` (0: claim, 1: release) on the send's key; redis-py's errors become
        SendLedgerUnavailable, raised outside the handler so that nothing of redis-py's
        exception (its connection holds the URL) rides along."""
        try:
            scripts = self._scripts_of_loop()
            return await scripts[script](keys=[self.key_prefix + digest], args=arguments)
        except (RedisError, OSError, asyncio.TimeoutError) as exc:
            failure = SendLedgerUnavailable(
                f"The send ledger at {self.where} is unavailable ({type(exc).__name__}); "
                "nothing was sent."
            )
        raise failure

    def _scripts_of_loop(self) -> tuple[AsyncScript, AsyncScript]:
        # A connection belongs to the loop that opened it: another loop gets its own client. The
        # script objects load their scripts again after a Redis restart (NOSCRIPT).
        loop = asyncio.get_running_loop()
        if self._client is None or self._client[0] is not loop:
            client = command_client(self._url)
            scripts = (client.register_script(_CLAIM), client.register_script(_RELEASE))
            self._client = (loop, client, scripts)
        return self._client[2]
