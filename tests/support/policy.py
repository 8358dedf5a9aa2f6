"""Twilio's Messages beside the packaged tools, for the tests of the operator's policy, and a
message those tests send."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from ocp_twilio import OCPAgent
from ocp_twilio.specs.model import packaged_schemas_dir
from support.credentials import TWILIO_ENV

MESSAGING_SPEC = Path(__file__).parent.parent / "data" / "specs" / "messaging.yaml"
SPECS = [packaged_schemas_dir(), MESSAGING_SPEC]
# Two specs of one service: the tools are named with the service, as the agent lists them.
SEND_TOOL = "api_v2010__createMessage"
FETCH_TOOL = "api_v2010__fetchMessage"
MESSAGE: dict[str, Any] = {"To": "+15005550010", "From": "+15005550006", "Body": "Your code"}


@asynccontextmanager
async def messaging_agent(base_url: str, **options: Any) -> AsyncIterator[OCPAgent]:
    """An agent (made with ``options``) whose Pay and Messages tools call ``base_url``."""
    async with OCPAgent(**options) as agent:
        await agent.register_api("twilio", spec=SPECS, base_url=base_url, environ=TWILIO_ENV)
        yield agent
