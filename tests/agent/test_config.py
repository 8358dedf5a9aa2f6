"""Limits and the environment: defaults in one module, every variable read in one place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.credentials import TWILIO_ENV
from support.payments import DEFAULT_TOOLS
from support.specs import IMPORTED_PAYMENTS

from ocp_twilio import AiohttpTransport, ConfigurationError, Limits, OCPAgent
from ocp_twilio._config import CACHE_DIR_ENV, DEFAULT_MAX_IN_FLIGHT, read_environment


def test_limits_defaults_and_pool_size() -> None:
    assert Limits().max_in_flight == DEFAULT_MAX_IN_FLIGHT
    assert Limits().pool_size == DEFAULT_MAX_IN_FLIGHT  # the pool is no second, lower cap
    assert Limits(max_in_flight=3).pool_size == 3
    assert Limits(max_in_flight=3, max_connections=10).pool_size == 10


@pytest.mark.parametrize(
    "given",
    [
        {"max_in_flight": 0},
        {"max_connections": 0},
        {"max_response_bytes": -1},
        {"max_in_flight": True},
    ],
)
def test_limits_refuse_what_cannot_work(given: dict[str, int]) -> None:
    with pytest.raises(ConfigurationError, match=next(iter(given))):
        Limits(**given)


def test_the_agent_takes_limits_or_the_shorthands() -> None:
    agent = OCPAgent(limits=Limits(max_in_flight=4, max_connections=8, max_response_bytes=1000))
    assert (agent.max_in_flight, agent.max_response_bytes) == (4, 1000)
    assert isinstance(agent.transport, AiohttpTransport)
    assert agent.transport.max_connections == 8

    shorthand = OCPAgent(max_in_flight=2)
    assert shorthand.limits == Limits(max_in_flight=2)
    assert isinstance(shorthand.transport, AiohttpTransport)
    assert shorthand.transport.max_connections == 2


def test_limits_and_a_shorthand_together_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="max_in_flight in limits="):
        OCPAgent(limits=Limits(), max_in_flight=3)
    with pytest.raises(ConfigurationError, match="at least 1"):
        OCPAgent(max_in_flight=0)


def test_the_environment_is_read_in_one_place() -> None:
    env = read_environment({"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_REGION": "", CACHE_DIR_ENV: "/c"})
    assert (env.account_sid, env.region, env.cache_dir, env.auth_token) == ("AC1", None, "/c", None)


async def test_environ_names_the_cache_of_twilios_own_api(
    tmp_path: Path, isolated_cache: Path
) -> None:
    # The bug this pins: environ= reached the credentials but not the spec cache, so the
    # plugin's catalog and synced files came from the process's cache directory.
    elsewhere = tmp_path / "elsewhere"
    synced = elsewhere / "specs"
    synced.mkdir(parents=True)
    (synced / "twilio_api_v2010.json").write_text(json.dumps(IMPORTED_PAYMENTS))

    async with OCPAgent() as agent:
        await agent.register_api("twilio", environ={**TWILIO_ENV, CACHE_DIR_ENV: str(elsewhere)})
        assert agent.get_tool("fetchPayments").name == "api_v2010__fetchPayments"

    assert list((elsewhere / "catalog").iterdir())  # the catalog went where environ says
    assert not (isolated_cache / "catalog").exists()

    async with OCPAgent() as agent:  # the process's cache: nothing synced there
        await agent.register_api("twilio", environ=TWILIO_ENV)
        assert [t.name for t in agent.list_tools()] == DEFAULT_TOOLS


def test_the_secrets_are_read_and_kept_out_of_reprs() -> None:
    secrets = {
        "OCP_TWILIO_MCP_TOKEN": "mcp-" + "t0ken" * 6,
        "TWILIO_AUTH_TOKEN": "auth-" + "t0ken" * 6,
        "TWILIO_API_SECRET": "api-" + "s3cret" * 6,
        "OCP_TWILIO_REDIS_URL": "redis://:pa55w0rd-of-redis@127.0.0.1:6379/0",
    }
    env = read_environment({**secrets, "TWILIO_ACCOUNT_SID": "AC" + "0" * 32})
    assert (env.mcp_token, env.auth_token, env.api_secret, env.redis_url) == tuple(secrets.values())
    assert "AC" + "0" * 32 in repr(env)  # what is not secret still shows
    for secret in (*secrets.values(), "pa55w0rd-of-redis"):
        assert secret not in repr(env)
