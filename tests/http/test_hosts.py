"""Which host a call goes to: Twilio's default, an override, or a regional host (no network)."""

from __future__ import annotations

from typing import Any

import pytest
from support.credentials import TWILIO_ENV
from support.payments import PAYMENT_BODY, UPDATE_PATH, update_arguments
from support.wire import Wire, sent_requests

from ocp_twilio import ConfigurationError, OCPAgent


async def host_called(wire: Wire, environ: dict[str, str], **register: Any) -> str:
    """Register with these settings, make one call, and return the scheme and host it went to."""
    wire.reply(202, PAYMENT_BODY)
    async with OCPAgent(transport=wire.transport) as agent:
        await agent.register_api("twilio", environ={**TWILIO_ENV, **environ}, **register)
        await agent.call_tool("updatePayments", update_arguments())
    [request] = sent_requests(wire)
    base, path = request.url.split("/2010-04-01/", 1)
    assert "/2010-04-01/" + path == UPDATE_PATH
    return base


async def test_default_host(wire: Wire) -> None:
    assert await host_called(wire, {}) == "https://api.twilio.com"


@pytest.mark.parametrize(
    ("environ", "register", "expected"),
    [
        ({}, {"base_url": "http://sandbox.test:8080"}, "http://sandbox.test:8080"),
        ({}, {"base_url": "http://sandbox.test:8080/"}, "http://sandbox.test:8080"),
        ({}, {"base_url": "https://proxy.test/twilio"}, "https://proxy.test/twilio"),
        ({"TWILIO_BASE_URL": "http://10.0.0.5:9000"}, {}, "http://10.0.0.5:9000"),
        (
            {"TWILIO_BASE_URL": "http://from-env.test"},
            {"base_url": "http://from-argument.test"},
            "http://from-argument.test",
        ),
        # An override wins over region and edge: a sandbox has no regions.
        (
            {"TWILIO_REGION": "ie1", "TWILIO_EDGE": "dublin"},
            {"base_url": "http://sandbox.test"},
            "http://sandbox.test",
        ),
    ],
)
async def test_base_url_override(
    wire: Wire, environ: dict[str, str], register: dict[str, str], expected: str
) -> None:
    assert await host_called(wire, environ, **register) == expected


@pytest.mark.parametrize(
    ("environ", "register", "expected"),
    [
        (
            {"TWILIO_REGION": "ie1", "TWILIO_EDGE": "dublin"},
            {},
            "https://api.dublin.ie1.twilio.com",
        ),
        (
            {"TWILIO_REGION": "au1", "TWILIO_EDGE": "sydney"},
            {},
            "https://api.sydney.au1.twilio.com",
        ),
        ({"TWILIO_REGION": "ie1"}, {}, "https://api.ie1.twilio.com"),
        # As in Twilio's SDKs, an edge alone means region us1.
        ({"TWILIO_EDGE": "ashburn"}, {}, "https://api.ashburn.us1.twilio.com"),
        ({}, {"region": "jp1", "edge": "tokyo"}, "https://api.tokyo.jp1.twilio.com"),
        (
            {"TWILIO_REGION": "ie1", "TWILIO_EDGE": "dublin"},
            {"region": "au1", "edge": "sydney"},
            "https://api.sydney.au1.twilio.com",
        ),
        ({"TWILIO_REGION": "", "TWILIO_EDGE": ""}, {}, "https://api.twilio.com"),
    ],
)
async def test_regional_hosts(
    wire: Wire, environ: dict[str, str], register: dict[str, str], expected: str
) -> None:
    assert await host_called(wire, environ, **register) == expected


@pytest.mark.parametrize(
    "base_url",
    [
        "ftp://sandbox.test",
        "127.0.0.1:8080",
        "sandbox.test",
        "http://",
        "not a url",
        "http://sandbox.test/?token=1",
        "http://127.0.0.1:8080/v\r\nX-Injected: 1",
        "http://127.0.0.1:8080/a b",
        "http://127.0.0.1:8080\t",
        "http://sandbox.test/#top",
    ],
)
@pytest.mark.parametrize("source", ["argument", "environment"])
async def test_bad_base_url_is_a_configuration_error(
    wire: Wire, base_url: str, source: str
) -> None:
    register = {"base_url": base_url} if source == "argument" else {}
    environ = {"TWILIO_BASE_URL": base_url} if source == "environment" else {}

    async with OCPAgent(transport=wire.transport) as agent:
        with pytest.raises(ConfigurationError) as caught:
            await agent.register_api("twilio", environ={**TWILIO_ENV, **environ}, **register)

    assert repr(base_url) in str(caught.value)
    assert "http://127.0.0.1:8080" in str(caught.value)  # the example of what to give
    assert agent.list_tools() == []
    assert wire.transport.requests == []


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("region", "evil.test/x?"),
        ("edge", "a b"),
        ("region", "ie1.example.com#"),
        ("edge", "dublin\n"),
        ("region", "-ie1"),
    ],
)
async def test_bad_region_or_edge_is_a_configuration_error(
    wire: Wire, setting: str, value: str
) -> None:
    async with OCPAgent(transport=wire.transport) as agent:
        with pytest.raises(ConfigurationError) as caught:
            await agent.register_api("twilio", environ=TWILIO_ENV, **{setting: value})

    assert setting in str(caught.value)
    assert wire.transport.requests == []
