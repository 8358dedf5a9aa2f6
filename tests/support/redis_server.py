"""A real redis-server on 127.0.0.1 for the tests (no fake), and the processes that share it.

``python tests/support/redis_server.py receive`` serves a StatusCallback receiver whose store is the
Redis of OCP_TWILIO_REDIS_URL, prints its URL and runs until its stdin closes;
``python tests/support/redis_server.py status PK...`` prints getPaymentStatus of a session as JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

REDIS_SERVER = shutil.which("redis-server")
# A password, so that every test also shows it never leaves the URL.
REDIS_PASSWORD = "r3d1s-" + "pa55w0rd" * 3
SCRIPT = Path(__file__).resolve()
STATUS_TOOL = "api_v2010__getPaymentStatus"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class RedisServer:
    """redis-server on 127.0.0.1:``port`` with its own directory; ``appendonly`` keeps its data
    across a restart (SIGTERM writes the append-only file out before it exits)."""

    directory: Path
    appendonly: bool = False
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://:{REDIS_PASSWORD}@127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None and self.process is None
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--bind", "127.0.0.1",
                "--port", str(self.port),
                "--dir", str(self.directory),
                "--save", "",
                "--appendonly", "yes" if self.appendonly else "no",
                "--requirepass", REDIS_PASSWORD,
                "--daemonize", "no",
                "--logfile", str(self.directory / "redis.log"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not self._answers_ping():
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.directory / "redis.log").read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}:\n{log}")
            time.sleep(0.02)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(f"AUTH {REDIS_PASSWORD}\r\nPING\r\n".encode())
                answer = b""
                while b"PONG" not in answer and b"-" not in answer:
                    chunk = connection.recv(100)
                    if not chunk:
                        break
                    answer += chunk
                return b"+PONG" in answer
        except OSError:
            return False


@dataclass
class ReceiverProcess:
    """A receiver in a process of its own, on the Redis at ``redis_url``."""

    redis_url: str
    auth_token: str
    process: subprocess.Popen[str] | None = None
    url: str = ""

    def start(self) -> str:
        environ = {
            **os.environ,
            "OCP_TWILIO_REDIS_URL": self.redis_url,
            "TWILIO_AUTH_TOKEN": self.auth_token,
        }
        self.process = subprocess.Popen(
            [sys.executable, str(SCRIPT), "receive"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=environ,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        assert self.url.startswith("http://127.0.0.1:"), f"the receiver said {self.url!r}"
        return self.url

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            assert process.stdin is not None and process.stdout is not None
            process.stdin.close()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
            process.stdout.close()


async def connections_to(server: RedisServer) -> list[dict[str, str]]:
    """CLIENT LIST of ``server`` as a client of its own sees it (that client left out)."""
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(server.url)
    try:
        own = await client.client_id()
        return [c for c in await client.client_list() if int(c["id"]) != own]
    finally:
        await client.aclose()


async def until_blocked(server: RedisServer, count: int) -> list[dict[str, str]]:
    """CLIENT LIST once ``count`` clients are blocked (flag b: in XREAD BLOCK); fails the test
    after 30 s."""
    deadline = time.monotonic() + 30
    while True:
        clients = await connections_to(server)
        blocked = sum("b" in c["flags"] for c in clients)
        if blocked >= count:
            return clients
        assert time.monotonic() < deadline, f"{blocked} of {count} waits blocked after 30 s"
        await asyncio.sleep(0.02)


def status_in_new_process(redis_url: str, environ: Mapping[str, str], sid: str) -> object:
    """getPaymentStatus of ``sid`` as a freshly started agent process on ``redis_url`` sees it."""
    finished = subprocess.run(
        [sys.executable, str(SCRIPT), "status", sid],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **environ, "OCP_TWILIO_REDIS_URL": redis_url},
        check=True,
    )
    return json.loads(finished.stdout)


async def _receive() -> None:
    from ocp_twilio import OCPAgent

    async with OCPAgent() as agent, agent.serve_status_callbacks() as receiver:
        print(receiver.url, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


async def _status(sid: str) -> None:
    from ocp_twilio import OCPAgent

    async with OCPAgent() as agent:
        await agent.register_api("twilio")
        print(json.dumps(await agent.call_tool(STATUS_TOOL, {"Sid": sid})), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "receive":
        asyncio.run(_receive())
    else:
        asyncio.run(_status(sys.argv[2]))
