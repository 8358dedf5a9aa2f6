"""What the library's Redis clients share: the URL's check, where it points (never its
password), and a command client of the running loop's, with short bounds.

redis-py is imported only by the modules that import this one, on demand (the ``redis`` extra).
``payments/redis_store.py`` predates it and keeps its own copy of these bounds for now.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from ._exceptions import ConfigurationError

__all__ = ["command_client", "redis_where"]

# A Redis on the same network connects in milliseconds; an outage should fail a call soon.
_CONNECT_TIMEOUT = 2.0
# A command answers in milliseconds: this long without an answer, or without a free connection
# among _CONNECTIONS, is an outage.
_COMMAND_TIMEOUT = 5.0
_CONNECTIONS = 50
# Reconnect twice on a dropped connection (for commands that are safe to repeat), then fail:
# redis-py's default backs off for seconds, which a model's turn should not wait out.
_RETRIES = 2


def redis_where(url: str, what: str) -> str:
    """Where ``url`` points, for messages (scheme, host, port, database; no password); a
    ConfigurationError naming ``what`` (written as mid-sentence) where it is no Redis URL."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"The port of {what} is not a number from 0 to 65535.") from None
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ConfigurationError(
            f"{what[:1].upper()}{what[1:]} must start with redis://, rediss:// or unix://, not "
            f"{parts.scheme + '://' if parts.scheme else 'nothing'}."
        )
    host = parts.hostname or ""
    shown = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{shown}{f':{port}' if port else ''}{parts.path}"


def command_client(url: str) -> redis.asyncio.Redis:
    """A client for commands that answer at once, on a bounded pool of connections; made in
    the loop that uses it (a connection belongs to the loop that opened it)."""
    pool = redis.asyncio.BlockingConnectionPool.from_url(
        url,
        max_connections=_CONNECTIONS,
        timeout=_COMMAND_TIMEOUT,
        socket_timeout=_COMMAND_TIMEOUT,
        socket_connect_timeout=_CONNECT_TIMEOUT,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), _RETRIES),
    )
    return redis.asyncio.Redis.from_pool(pool)
