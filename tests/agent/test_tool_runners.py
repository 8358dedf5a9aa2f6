"""Each kind of tool runs its own calls: operation tools by their API's dispatcher (a request to a
real server on 127.0.0.1), the payment progress tools from the progress store, the compact tools
by the catalog; and the local ones have no HTTP operation to show."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest
from support.credentials import TWILIO_ENV
from support.payments import PAYMENT_SID, STATUS_TOOL, UPDATE_TOOL, update_arguments
from support.servers import RecordingServer

import ocp_twilio
from ocp_twilio import (
    MemoryProgressStore,
    OCPAgent,
    ParameterSpec,
    SpecError,
    Tool,
    load_tools,
    mcp_tools,
)
from ocp_twilio.payments.progress import callback_event, kept_fields
from ocp_twilio.specs.model import LocalSpec
from ocp_twilio.tools.compact import compact_tools

ENTERED = {
    "AccountSid": TWILIO_ENV["TWILIO_ACCOUNT_SID"],
    "Sid": PAYMENT_SID,
    "DateUpdated": "2026-12-01T14:00:09Z",
    "Capture": "payment-card-number",
    "PartialResult": "false",
    "PaymentCardNumber": "xxxxxxxxxxxx1111",
    "Required": "expiration-date",
}


async def test_each_kind_runs_its_own_calls_and_the_history_shows_each_call_once(
    recording_server: RecordingServer,
) -> None:
    store = MemoryProgressStore()
    event = callback_event(kept_fields(ENTERED))
    assert event is not None
    await store.append(event)
    async with OCPAgent(progress_store=store) as agent:
        await agent.register_api("twilio", base_url=recording_server.url, environ=TWILIO_ENV)

        # The operation: one request, through the dispatcher.
        await agent.call_tool(UPDATE_TOOL, update_arguments())
        assert len(recording_server.requests) == 1
        # The progress tool: the store's state, and no request.
        progress = await agent.call_tool(STATUS_TOOL, {"Sid": PAYMENT_SID})
        assert progress["entered"] == {"card_number": "xxxxxxxxxxxx1111"}
        # The compact tools: answered by the catalog; callTwilioTool's call is the operation's.
        found = await agent.call_tool("findTwilioTool", {"query": "payment status"})
        assert STATUS_TOOL in [tool["name"] for tool in found["tools"]]
        described = await agent.call_tool("describeTwilioTool", {"name": STATUS_TOOL})
        assert described["endpoint"] == "local getPaymentStatus"
        assert len(recording_server.requests) == 1
        await agent.call_tool(
            "callTwilioTool", {"name": "updatePayments", "arguments": update_arguments()}
        )
        assert len(recording_server.requests) == 2

    history = [(record.tool, record.endpoint) for record in agent.context.history]
    update_endpoint = agent.get_tool(UPDATE_TOOL).endpoint
    assert update_endpoint.startswith("POST /2010-04-01/Accounts/{AccountSid}/Calls/")
    assert history == [
        (UPDATE_TOOL, update_endpoint),
        (STATUS_TOOL, "local getPaymentStatus"),
        (UPDATE_TOOL, update_endpoint),
    ]


def test_a_local_tool_has_no_http_operation() -> None:
    tools = [*load_tools("twilio"), *compact_tools(None), *compact_tools("twilio")]
    local = [tool for tool in tools if not tool.path]
    assert sorted({tool.spec.name for tool in local}) == [
        "browseTwilioTools",
        "callTwilioTool",
        "describeTwilioTool",
        "findTwilioTool",
        "getCallStatus",
        "getMessageStatus",
        "getPaymentStatus",
        "waitForCallStatus",
        "waitForMessageStatus",
        "waitForPaymentUpdate",
        "waitForReply",
    ]
    for tool in local:
        assert isinstance(tool.spec, LocalSpec)
        assert (tool.method, tool.spec.server, tool.spec.body_encoding) == ("", None, None)
        assert tool.endpoint == f"local {tool.spec.name}"
        assert repr(tool) == f"<Tool {tool.name} local {tool.spec.name}>"
    for tool in tools:
        assert "/local" not in tool.path
    update = next(tool for tool in tools if tool.name == UPDATE_TOOL)
    assert (update.method, update.local) == ("POST", False)
    assert update.endpoint == f"POST {update.path}"


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ({"method": "GET"}, "no method, path, server or body_encoding"),
        ({"path": "/local/x"}, "no method, path, server or body_encoding"),
        ({"server": "https://api.twilio.com"}, "no method, path, server or body_encoding"),
        ({"body_encoding": "form"}, "no method, path, server or body_encoding"),
        ({"name": ""}, "needs a name"),
        (
            {"parameters": (ParameterSpec(name="Sid", location="path", required=True),)},
            "have no {placeholder}",
        ),
    ],
)
def test_a_local_spec_refuses_what_an_http_operation_has(
    given: dict[str, Any], problem: str
) -> None:
    with pytest.raises(SpecError, match=problem):
        LocalSpec(**{"name": "getThing", **given})


def test_the_effects_of_local_tools_come_from_what_they_do_not_from_a_method() -> None:
    tools = [*load_tools("twilio"), *compact_tools(None)]
    annotations = {d["name"]: d["annotations"] for d in mcp_tools(tools)}
    read_only = {"readOnlyHint": True, "idempotentHint": True, "openWorldHint": False}
    for name in (STATUS_TOOL, "api_v2010__waitForPaymentUpdate", "findTwilioTool"):
        assert annotations[name] == {**read_only, "destructiveHint": False}
    assert annotations["callTwilioTool"] == {
        "readOnlyHint": False,
        "destructiveHint": True,
        "idempotentHint": False,
        "openWorldHint": True,
    }
    assert annotations[UPDATE_TOOL]["readOnlyHint"] is False
    assert annotations[UPDATE_TOOL]["openWorldHint"] is True


def test_no_kind_of_tool_is_a_class_of_its_own() -> None:
    """Nothing can pick among tool kinds by class: every tool is a Tool, paired with a runner."""
    for module in pkgutil.walk_packages(ocp_twilio.__path__, "ocp_twilio."):
        importlib.import_module(module.name)
    assert Tool.__subclasses__() == []
