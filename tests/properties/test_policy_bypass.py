"""A model cannot get around the operator's policy, and the policy decides every request.

A hostile scripted model tries every way around it, through the OpenAI and Anthropic result
helpers, and a real 127.0.0.1 server counts what arrives: nothing. Then random policies and
random calls: a request reaches the server exactly when an independent reading of the rules
allows it.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.policy import messaging_agent
from support.servers import RecordingServer

from ocp_twilio import Approval, OCPAgent, OCPError, Policy
from ocp_twilio.adapters import anthropic_tool_result, openai_tool_result

ALLOWED_TO = "+15551234567"
FORBIDDEN_TO = "+447700900123"
PINNED_FROM = "+15005550006"
POLICY = {
    "pin": {"createMessage": {"From": PINNED_FROM}, "createCall": {"From": PINNED_FROM}},
    "limits": {"recipients": {"prefixes": ["+1"]}},
    "deny": ["effect:delete"],
    "require_approval": ["createCall"],  # and no approver: never sent
}


@pytest.fixture
async def agent(recording_server: RecordingServer) -> AsyncIterator[OCPAgent]:
    async with messaging_agent(recording_server.url) as ocp_agent:
        yield ocp_agent


def _forbidden_text(to: str = FORBIDDEN_TO, **more: Any) -> dict[str, Any]:
    return {"To": to, "Body": "hello", **more}


# (tool name as the model writes it, arguments): each one a way around the policy.
ATTEMPTS: list[tuple[str, Any]] = [
    ("createMessage", _forbidden_text()),
    ("api_v2010__createMessage", _forbidden_text()),  # the qualified name
    ("createMessage", _forbidden_text(to=f"whatsapp:{FORBIDDEN_TO}")),  # another channel
    ("createMessage", _forbidden_text(to=" +44 7700 900123")),  # spaced out
    ("createMessage", _forbidden_text(to=[ALLOWED_TO, FORBIDDEN_TO])),  # a list
    ("createMessage", {"to": FORBIDDEN_TO, "To": ALLOWED_TO, "Body": "x"}),  # other case
    ("createMessage", {"TO": FORBIDDEN_TO, "Body": "x"}),
    ("createMessage", _forbidden_text(to=ALLOWED_TO, From="+19995550100")),  # repeat a pin
    ("createMessage", _forbidden_text(to=ALLOWED_TO, **{"from": "+19995550100"})),
    ("createMessage", _forbidden_text(to=ALLOWED_TO, Authorization="Basic eA==")),  # a header
    ("createMessage", _forbidden_text(to=ALLOWED_TO, **{"OCP-Session": "x"})),
    ("callTwilioTool", {"name": "createMessage", "arguments": _forbidden_text()}),
    ("callTwilioTool", {"name": "api_v2010__createMessage", "arguments": _forbidden_text()}),
    ("callTwilioTool", {"name": "deleteMessage", "arguments": {"Sid": "SM" + "0" * 32}}),
    ("callTwilioTool", {"name": "createCall", "arguments": {"To": ALLOWED_TO}}),
    ("callTwilioTool", {"name": "callTwilioTool", "arguments": {"name": "createMessage"}}),
    ("deleteMessage", {"Sid": "SM" + "0" * 32}),
    ("api_v2010__deleteMessage", {"Sid": "SM" + "0" * 32}),
    ("createCall", {"To": ALLOWED_TO}),  # needs approval: there is no approver
    ("create\N{CYRILLIC SMALL LETTER A}Message", _forbidden_text()),  # a look-alike letter
]


async def test_a_hostile_model_sends_nothing_through_either_helper(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    agent.use_policy(Policy.from_mapping(POLICY))
    tools = [*agent.list_tools(), *agent.compact_tools()]
    answers = []
    for i, (name, arguments) in enumerate(ATTEMPTS):
        chat_call = {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments)},
        }
        answers.append(
            json.loads((await openai_tool_result(agent, chat_call, offered=tools))["content"])
        )
        block = {"type": "tool_use", "id": f"toolu_{i}", "name": name, "input": arguments}
        answers.append(await anthropic_tool_result(agent, block, offered=tools))
    assert recording_server.requests == []
    assert all(a["is_error"] is True for a in answers)
    # The model is told what the policy allows, not only that it failed.
    texts = [a.get("error") or a.get("content") for a in answers]
    assert any("Allowed: numbers starting +1" in t for t in texts)
    assert any("no way to ask for it is set up" in t for t in texts)
    # The allowed call, for contrast: exactly one request.
    block = {
        "type": "tool_use",
        "id": "ok",
        "name": "createMessage",
        "input": _forbidden_text(to=ALLOWED_TO),
    }
    assert (await anthropic_tool_result(agent, block, offered=tools))["is_error"] is False
    assert len(recording_server.requests) == 1
    assert ("From", PINNED_FROM) in recording_server.requests[0].form


# The tools of messaging.yaml and the effects of each.
EFFECTS = {
    "createMessage": {"write", "contacts-person"},
    "createCall": {"write", "contacts-person"},
    "fetchMessage": {"read"},
    "deleteMessage": {"delete"},
}
# A new SendKey each time: the same send repeated is the send ledger's to refuse, not the policy's.
ARGUMENTS = {
    "createMessage": lambda to: {"To": to, "Body": "hi", "SendKey": uuid.uuid4().hex},
    "createCall": lambda to: {"To": to, "From": PINNED_FROM, "SendKey": uuid.uuid4().hex},
    "fetchMessage": lambda to: {"Sid": "SM" + "0" * 32},
    "deleteMessage": lambda to: {"Sid": "SM" + "0" * 32},
}
SELECTORS = [
    *EFFECTS,
    "effect:read",
    "effect:write",
    "effect:delete",
    "effect:contacts-person",
    "service:api_v2010",
]


def _selects(selector: str, tool: str) -> bool:
    """The rules read independently of the library: a name, an effect or the one service."""
    if selector.startswith("effect:"):
        return selector.removeprefix("effect:") in EFFECTS[tool]
    return selector in (tool, "service:api_v2010")


def _sent(rules: dict[str, Any], approves: bool, tool: str, to: str) -> bool:
    if any(_selects(s, tool) for s in rules.get("deny", [])):
        return False
    if "allow" in rules and not any(_selects(s, tool) for s in rules["allow"]):
        return False
    prefixes = rules.get("limits", {}).get("recipients", {}).get("prefixes")
    if prefixes and "contacts-person" in EFFECTS[tool] and not to.startswith(tuple(prefixes)):
        return False
    if rules.get("dry_run"):
        return False
    return approves or not any(_selects(s, tool) for s in rules.get("require_approval", []))


def _policies() -> st.SearchStrategy[dict[str, Any]]:
    chosen = st.lists(st.sampled_from(SELECTORS), max_size=3, unique=True)
    return st.fixed_dictionaries(
        {},
        optional={
            "deny": chosen,
            "allow": chosen.filter(bool),
            "require_approval": chosen,
            "limits": st.fixed_dictionaries(
                {
                    "recipients": st.fixed_dictionaries(
                        {"prefixes": st.sampled_from([["+1"], ["+44"]])}
                    )
                }
            ),
            "dry_run": st.booleans(),
        },
    )


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rules=_policies(),
    approves=st.booleans(),
    calls=st.lists(
        st.tuples(st.sampled_from(sorted(EFFECTS)), st.sampled_from([ALLOWED_TO, FORBIDDEN_TO])),
        min_size=1,
        max_size=4,
    ),
)
async def test_a_request_reaches_the_server_only_if_the_policy_allows_it(
    agent: OCPAgent,
    recording_server: RecordingServer,
    rules: dict[str, Any],
    approves: bool,
    calls: list[tuple[str, str]],
) -> None:
    async def approver(request: Any) -> Approval:
        return Approval(approves, by="property test")

    agent.use_policy(Policy.from_mapping(rules), approver=approver)
    for tool, to in calls:
        recording_server.requests.clear()
        with contextlib.suppress(OCPError):
            await agent.call_tool(tool, ARGUMENTS[tool](to))
        assert len(recording_server.requests) == int(_sent(rules, approves, tool, to)), (tool, to)
