"""``ocp-twilio sync`` against a local HTTP server standing in for Twilio's repository."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from click.testing import CliRunner
from conftest import TWILIO_ENV

from ocp_twilio import AmbiguousToolName, OCPAgent, SpecError, TransportError
from ocp_twilio.cli import main
from ocp_twilio.spec_sources import synced_specs_dir
from ocp_twilio.sync import TWILIO_SPEC_FILES, sync_specs

# One small OpenAPI document, served under each of Twilio's 55 file names.
SERVED = (Path(__file__).parent / "fixtures" / "openapi" / "twilio_other_v1.json").read_bytes()


def spec_app(missing: str = "", broken: str = "") -> web.Application:
    async def serve(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name == missing or name not in TWILIO_SPEC_FILES:
            return web.Response(status=404, text="404: Not Found")
        return web.Response(body=b"<html>" if name == broken else SERVED)

    app = web.Application()
    app.router.add_get("/spec/json/{name}", serve)
    return app


@pytest.fixture
async def spec_server() -> AsyncIterator[TestServer]:
    server = TestServer(spec_app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()


async def test_sync_fetches_every_file_and_register_api_offers_them(
    spec_server: TestServer,
) -> None:
    arrived: list[str] = []
    source = str(spec_server.make_url("/spec/json"))
    files = await sync_specs(synced_specs_dir(), source=source, on_file=arrived.append)

    assert sorted(arrived) == sorted(TWILIO_SPEC_FILES)
    assert [p.read_bytes() for p in files] == [SERVED] * 55
    async with OCPAgent() as agent:
        await agent.register_api("twilio", environ=TWILIO_ENV)
        names = {t.name for t in agent.list_tools()}
        # the curated Pay tools, the progress tools and one operation per synced file
        assert len(names) == 4 + 55
        assert {"api_v2010__updatePayments", "verify_v2__fetchAlarm"} <= names
        with pytest.raises(AmbiguousToolName):
            agent.get_tool("fetchAlarm")


@pytest.mark.parametrize(
    ("app", "error", "message"),
    [
        (spec_app(missing="twilio_voice_v1.json"), TransportError, "HTTP 404"),
        (spec_app(broken="twilio_sync_v1.json"), SpecError, "twilio_sync_v1.json is not JSON"),
    ],
)
async def test_a_failed_sync_keeps_the_previous_one(
    app: web.Application, error: type[Exception], message: str
) -> None:
    previous = synced_specs_dir()
    previous.mkdir(parents=True)
    (previous / "twilio_api_v2010.json").write_bytes(SERVED)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        with pytest.raises(error, match=message):
            await sync_specs(previous, source=str(server.make_url("/spec/json/")))
    finally:
        await server.close()
    assert [p.name for p in previous.parent.iterdir()] == ["specs"]
    assert [p.name for p in previous.iterdir()] == ["twilio_api_v2010.json"]


@contextmanager
def served_in_a_thread(app: web.Application) -> Iterator[str]:
    """A real server on its own loop, for the CLI, which runs its own loop in the foreground."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    host, port = runner.addresses[0][:2]
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    try:
        yield f"http://{host}:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def test_sync_command_shows_progress_and_where_files_went() -> None:
    with served_in_a_thread(spec_app()) as url:
        result = CliRunner().invoke(main, ["sync", "--from", f"{url}/spec/json/"])
    assert result.exit_code == 0, result.output
    assert "Syncing Twilio's OpenAPI files" in result.output
    assert f"Synced 55 files into {synced_specs_dir()}" in result.output
    assert len(list(synced_specs_dir().iterdir())) == 55


def test_sync_command_failure_is_a_clear_error() -> None:
    with served_in_a_thread(spec_app(missing="twilio_api_v2010.json")) as url:
        result = CliRunner().invoke(main, ["sync", "--from", f"{url}/spec/json"])
    assert result.exit_code == 4  # a transport error, as for every command
    assert "error: Downloading" in result.output
    assert "twilio_api_v2010.json failed: HTTP 404" in result.output
    assert not synced_specs_dir().exists()
