"""Hostile and random input for every curated tool, through a real local server.

Whatever the arguments, a call either raises InvalidArguments and sends nothing, or sends a request
that Twilio's published description accepts; it never raises anything but an OCPError.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from conftest import SHARED_OAI, RecordingServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schema_strategies import random_arguments, valid_arguments
from secret_scan import assert_no_secrets
from twilio_acceptance import published_operation

from ocp_twilio import InvalidArguments, OCPAgent, OCPError, Tool, load_operations
from ocp_twilio.spec import packaged_schemas_dir

CURATED = sorted(op.name for op in load_operations([packaged_schemas_dir()]))
V2010 = SHARED_OAI / "twilio_api_v2010.yaml"
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def twilio_problems(tool: Tool, server: RecordingServer) -> list[str]:
    """What Twilio's description rejects in the one request the last call sent."""
    [request] = server.requests
    server.requests.clear()
    if not V2010.exists():
        return []
    path = request.path_qs.split("?", 1)[0]
    return published_operation(V2010, tool.spec.operation_id).problems(path, request.body)


@pytest.mark.parametrize("name", CURATED)
@settings(FUZZ, max_examples=300)
@given(data=st.data())
async def test_random_arguments_are_refused_or_sent_as_twilio_accepts(
    name: str,
    data: st.DataObject,
    agent: OCPAgent,
    recording_server: RecordingServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    tool = agent.get_tool(name)
    arguments: Any = data.draw(random_arguments(tool.input_schema), label="arguments")
    try:
        await agent.call_tool(name, arguments)
    except InvalidArguments as exc:
        assert recording_server.requests == [], "invalid arguments were sent"
        assert exc.errors, "an InvalidArguments names no problem"
        assert_no_secrets([str(exc), caplog.text])
        return
    except OCPError as exc:
        pytest.fail(f"a local server's good answer ended in {exc!r}")
    assert twilio_problems(tool, recording_server) == []
    assert_no_secrets([caplog.text])


@pytest.mark.skipif(not V2010.exists(), reason=f"Twilio's OpenAPI files are not at {SHARED_OAI}")
@pytest.mark.parametrize("name", CURATED)
@FUZZ
@given(data=st.data())
async def test_valid_arguments_make_requests_twilio_accepts(
    name: str,
    data: st.DataObject,
    agent: OCPAgent,
    recording_server: RecordingServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    tool = agent.get_tool(name)
    arguments = data.draw(valid_arguments(tool.input_schema), label="arguments")
    result = await agent.call_tool(name, arguments)
    assert twilio_problems(tool, recording_server) == []
    assert_no_secrets([caplog.text, repr(result)])
