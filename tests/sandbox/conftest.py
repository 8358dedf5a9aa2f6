"""Fixtures of the texts-and-calls tests: an agent with the tools of Twilio's own api_v2010
file pointed at the sandbox (strict response validation), and a receiver of its webhooks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from support.files import SHARED_OAI
from support.sandbox import PhoneReceiver

from ocp_twilio import OCPAgent
from ocp_twilio.sandbox import Sandbox

API_V2010 = SHARED_OAI / "twilio_api_v2010.yaml"


@pytest.fixture
async def phone_agent(sandbox: Sandbox) -> AsyncIterator[OCPAgent]:
    """createMessage, listCall, … from Twilio's file; every answer checked against it."""
    if not API_V2010.is_file():
        pytest.skip(f"Twilio's OpenAPI files are not at {SHARED_OAI}")
    async with OCPAgent(response_validation="strict") as agent:
        await agent.register_api("twilio", spec=API_V2010, environ=sandbox.environ())
        yield agent


@pytest.fixture
async def receiver(sandbox: Sandbox) -> AsyncIterator[PhoneReceiver]:
    """A real aiohttp server that records the sandbox's webhooks, each signature checked."""
    async with PhoneReceiver(sandbox.auth_token) as running:
        yield running
