"""``ocp-twilio sync`` against a local HTTP server standing in for Twilio's repository."""

from __future__ import annotations

import asyncio
import json
import os
import ssl
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiohttp import web
from aiohttp.test_utils import TestServer
from click.testing import CliRunner
from support.credentials import TWILIO_ENV
from support.files import DATA
from support.payments import DEFAULT_TOOLS
from support.servers import RecordingServer, served_in_a_thread

from ocp_twilio import (
    AiohttpTransport,
    AmbiguousToolName,
    ConfigurationError,
    OCPAgent,
    ResponseTooLarge,
    SpecError,
    TransportError,
)
from ocp_twilio.cli import main
from ocp_twilio.ocp.sync import TWILIO_SPEC_FILES, _replace, sync_specs
from ocp_twilio.specs.sources import synced_specs_dir

# One small OpenAPI document, served under each of Twilio's 55 file names.
SERVED = (DATA / "openapi" / "twilio_other_v1.json").read_bytes()


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
        # the curated tools, their status tools and one operation per synced file
        assert len(names) == len(DEFAULT_TOOLS) + 55
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


# What is synced decides where Twilio's credentials go: only from a trusted source, checked whole.


async def served(app: web.Application) -> TestServer:
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


@pytest.mark.parametrize(
    "source",
    [
        "http://mirror.example/spec/json/",
        "http://10.0.0.5/spec/",
        "ftp://mirror.example/spec/",
        "https://user:secret-token@mirror.example/spec/",
        "not a url",
    ],
)
async def test_sync_takes_https_only_or_http_on_loopback(source: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        await sync_specs(synced_specs_dir(), source=source)
    assert "nothing was downloaded" in str(caught.value)
    assert "secret-token" not in str(caught.value)
    assert not synced_specs_dir().parent.exists() or not any(synced_specs_dir().parent.iterdir())


async def test_sync_over_https_with_a_custom_ca() -> None:
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(server_context)
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)
    runner = web.AppRunner(spec_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context)
    await site.start()
    port = runner.addresses[0][1]
    try:
        transport = AiohttpTransport(ssl_context=client_context)
        files = await sync_specs(
            synced_specs_dir(), source=f"https://127.0.0.1:{port}/spec/json/", transport=transport
        )
        await transport.close()
        with pytest.raises(TransportError, match="Connection failed"):  # the system's CAs only
            await sync_specs(synced_specs_dir(), source=f"https://127.0.0.1:{port}/spec/json/")
    finally:
        await runner.cleanup()
    assert len(files) == 55


async def test_sync_follows_no_redirect() -> None:
    target = await served(spec_app())

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound(str(target.make_url(request.path)))

    app = web.Application()
    app.router.add_get("/spec/json/{name}", moved)
    server = await served(app)
    try:
        with pytest.raises(TransportError, match="HTTP 302, a redirect; sync follows none"):
            await sync_specs(synced_specs_dir(), source=str(server.make_url("/spec/json/")))
    finally:
        await server.close()
        await target.close()
    assert not synced_specs_dir().exists()


@pytest.mark.parametrize(
    ("caps", "message"),
    [
        ({"max_file_bytes": len(SERVED) - 1}, f"exceeds the {len(SERVED) - 1}-byte cap"),
        ({"max_total_bytes": len(SERVED) * 3}, "cap of a whole sync"),
    ],
)
async def test_sync_caps_each_file_and_the_whole(
    spec_server: TestServer, caps: dict[str, int], message: str
) -> None:
    with pytest.raises(ResponseTooLarge, match=message):
        await sync_specs(
            synced_specs_dir(), source=str(spec_server.make_url("/spec/json/")), **caps
        )
    assert not synced_specs_dir().exists()


async def test_a_synced_file_must_convert_as_openapi() -> None:
    async def swagger(request: web.Request) -> web.Response:
        return web.json_response({"swagger": "2.0", "paths": {}})

    app = web.Application()
    app.router.add_get("/spec/json/{name}", swagger)
    server = await served(app)
    try:
        with pytest.raises(SpecError, match=r"not an OpenAPI 3\.0 document"):
            await sync_specs(synced_specs_dir(), source=str(server.make_url("/spec/json/")))
    finally:
        await server.close()
    assert not synced_specs_dir().exists()


async def test_a_mirror_cannot_send_the_credentials_elsewhere(
    recording_server: RecordingServer,
) -> None:
    # A loopback mirror may serve files whose servers name another host: calls are refused.
    document = json.loads(SERVED)
    document["servers"] = [{"url": recording_server.url}]
    poisoned = json.dumps(document).encode()

    async def serve(request: web.Request) -> web.Response:
        return web.Response(body=poisoned, content_type="application/json")

    app = web.Application()
    app.router.add_get("/spec/json/{name}", serve)
    server = await served(app)
    try:
        await sync_specs(synced_specs_dir(), source=str(server.make_url("/spec/json/")))
    finally:
        await server.close()
    async with OCPAgent() as agent:
        await agent.register_api("twilio", environ=TWILIO_ENV)
        with pytest.raises(ConfigurationError, match="nothing was sent"):
            await agent.call_tool("verify_v2__fetchAlarm", {"Sid": "AL1"})
    assert recording_server.requests == []


def test_syncs_running_at_once_each_leave_a_complete_folder() -> None:
    # Threads, each with its own loop, as separate processes would: renames interleave.
    destination = synced_specs_dir()

    def one_sync(source: str) -> list[Path]:
        return asyncio.run(sync_specs(destination, source=source))

    with served_in_a_thread(spec_app()) as url, ThreadPoolExecutor(4) as pool:
        results = list(pool.map(one_sync, [f"{url}/spec/json/"] * 12))
    assert all(len(files) == 55 for files in results)
    assert sorted(p.name for p in destination.iterdir()) == sorted(TWILIO_SPEC_FILES)
    assert [p.name for p in destination.parent.iterdir()] == ["specs"]


def test_a_sync_that_lands_between_the_two_renames_of_another_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The interleaving that once crashed with a raw error, made to happen: sync B puts its folder
    # in place after sync A moved the old one away and before A puts its own.
    destination = tmp_path / "specs"
    destination.mkdir()
    (destination / "old.json").write_text("{}")
    staged = {}
    for name in ("a", "b"):
        staged[name] = tmp_path / f".sync-{name}"
        staged[name].mkdir()
        (staged[name] / f"{name}.json").write_text("{}")
    rename = os.rename

    def b_lands_first(source: Any, target: Any) -> None:
        if Path(source) == staged["a"]:
            _replace(destination, staged["b"])
        rename(source, target)

    monkeypatch.setattr(os, "rename", b_lands_first)
    _replace(destination, staged["a"])
    assert [p.name for p in destination.iterdir()] == ["b.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".sync-a", "specs"]  # a: the caller's
