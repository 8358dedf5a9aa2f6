"""The operator's policy on every call, against a real 127.0.0.1 server that records requests:
what it refuses sends nothing, what it allows sends exactly once, as pinned."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from support.credentials import AUTH_TOKEN, TWILIO_ENV
from support.files import SPECS as SPEC_FILES
from support.payments import create_arguments, update_arguments
from support.policy import SPECS, messaging_agent
from support.servers import RecordingServer
from support.span_capture import captured_spans

from ocp_twilio import (
    Approval,
    ApprovalRequest,
    CallRefused,
    InvalidArguments,
    OCPAgent,
    Policy,
    PolicyError,
)

MESSAGE = {"To": "+15551234567", "Body": "Your table is ready"}
SPECS_WITH_NOTIFY = [*SPECS, SPEC_FILES / "notify.yaml"]
CARD = "4111 1111 1111 1111"


@pytest.fixture
async def agent(recording_server: RecordingServer) -> AsyncIterator[OCPAgent]:
    async with messaging_agent(recording_server.url) as ocp_agent:
        yield ocp_agent


def use(agent: OCPAgent, rules: dict[str, Any], approver: Any = None) -> None:
    agent.use_policy(Policy.from_mapping(rules), approver=approver)


async def test_a_denied_effect_is_refused_naming_the_rule_and_nothing_is_sent(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    use(agent, {"deny": ["effect:delete", "effect:contacts-person"]})
    with pytest.raises(
        CallRefused, match=r"\(deny\[1\]\): the policy denies every call that contacts a person"
    ) as caught:
        await agent.call_tool("createMessage", MESSAGE)
    assert caught.value.rule == "deny[1]" and caught.value.exit_code == 6
    with pytest.raises(CallRefused, match=r"deny\[0\]"):
        await agent.call_tool("deleteMessage", {"Sid": "SM" + "0" * 32})
    await agent.call_tool("fetchMessage", {"Sid": "SM" + "0" * 32})
    assert [r.method for r in recording_server.requests] == ["GET"]
    assert [(r.decision, r.rule) for r in agent.audit] == [
        ("refused", "deny[1]"),
        ("refused", "deny[0]"),
        ("allowed", None),
    ]


async def test_allow_keeps_every_other_tool_out_and_says_what_is_allowed(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    use(agent, {"allow": ["tag:pay", "fetchMessage"]})
    with pytest.raises(CallRefused, match="the policy allows only: tag:pay, fetchMessage"):
        await agent.call_tool("createMessage", MESSAGE)
    await agent.call_tool("updatePayments", update_arguments())
    assert len(recording_server.requests) == 1


async def test_a_pinned_argument_leaves_the_schema_and_is_always_sent(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    use(agent, {"pin": {"createMessage": {"From": "+15005550006"}}})
    tool = agent.get_tool("createMessage")
    assert "From" not in tool.input_schema["properties"]
    await agent.call_tool("createMessage", MESSAGE)
    assert ("From", "+15005550006") in recording_server.requests[0].form
    for repeated in ({**MESSAGE, "From": "+19995550100"}, {**MESSAGE, "from": "+19995550100"}):
        with pytest.raises(InvalidArguments, match="is not an accepted argument"):
            await agent.call_tool("createMessage", repeated)
    assert len(recording_server.requests) == 1
    agent.use_policy(None)  # lifted: From is the model's again
    assert "From" in agent.get_tool("createMessage").input_schema["properties"]


async def test_a_pin_its_tool_cannot_take_is_refused_at_load(agent: OCPAgent) -> None:
    with pytest.raises(PolicyError, match=r"pin\.createMessage\.StatusCallback.*not a valid"):
        use(agent, {"pin": {"createMessage": {"StatusCallback": 5}}})
    with pytest.raises(PolicyError, match="must choose Capture call by call"):
        use(agent, {"pin": {"updatePayments": {"Capture": "payment-card-number"}}})
    assert agent.policy is None


@pytest.mark.parametrize(
    "rules",
    [{"deny": ["creatMessage"]}, {"allow": ["api:acme"]}, {"require_approval": ["tag:nothing"]}],
)
async def test_a_rule_that_selects_no_registered_tool_is_refused(
    agent: OCPAgent, rules: dict[str, Any]
) -> None:
    with pytest.raises(PolicyError, match="selects no registered tool"):
        use(agent, rules)


async def test_recipients_are_limited_by_prefix_or_exactly(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    use(agent, {"limits": {"recipients": {"prefixes": ["+1"], "exact": ["+447700900123"]}}})
    await agent.call_tool("createMessage", MESSAGE)
    await agent.call_tool("createMessage", {**MESSAGE, "To": "whatsapp:+447700900123"})
    for outside in ("+447700900999", "whatsapp:+33612345678", "client:alice", "+1555abc"):
        with pytest.raises(CallRefused, match=r"may not be contacted\. Allowed: numbers starting"):
            await agent.call_tool("createMessage", {**MESSAGE, "To": outside})
    with pytest.raises(CallRefused, match=r"limits\.recipients"):
        await agent.call_tool("createCall", {"To": "+33612345678", "From": "+15005550006"})
    assert len(recording_server.requests) == 2


async def test_charges_are_capped_per_currency(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    use(agent, {"limits": {"amounts": {"USD": 50}}})
    with pytest.raises(CallRefused, match="capped at 50 USD"):
        await agent.call_tool("createPayments", create_arguments(ChargeAmount=50.01))
    with pytest.raises(CallRefused, match="no charge in EUR is allowed; caps: 50 USD"):
        await agent.call_tool("createPayments", create_arguments(ChargeAmount=5, Currency="eur"))
    await agent.call_tool("createPayments", create_arguments(ChargeAmount=50))
    assert len(recording_server.requests) == 1


async def test_a_rate_limit_counts_calls_per_tool_in_its_window(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    use(agent, {"limits": {"rates": [{"tools": "fetch*", "calls": 2, "per": "1h"}]}})
    for _ in range(2):
        await agent.call_tool("fetchMessage", {"Sid": "SM" + "0" * 32})
    with pytest.raises(CallRefused, match=r"at most 2 calls in 3600 s; try again in \d+ s"):
        await agent.call_tool("fetchMessage", {"Sid": "SM" + "0" * 32})
    assert len(recording_server.requests) == 2


async def test_a_send_budget_counts_every_tool_that_contacts_a_person(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    use(agent, {"limits": {"budgets": {"sends": {"count": 2, "per": "1d"}}}})
    await agent.call_tool("createMessage", MESSAGE)
    await agent.call_tool("createCall", {"To": "+15551234567", "From": "+15005550006"})
    with pytest.raises(CallRefused, match="budget of 2 sends per 86400 s has 0 left"):
        await agent.call_tool("createMessage", MESSAGE)
    assert len(recording_server.requests) == 2


async def test_completing_a_charge_spends_its_amount_and_capturing_does_not(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    use(agent, {"limits": {"budgets": {"spend": {"USD": 50, "per": "1d"}}}})
    await agent.call_tool("createPayments", create_arguments(ChargeAmount=30))
    await agent.call_tool("updatePayments", update_arguments())  # Capture: spends nothing
    complete = update_arguments(Capture=None, Status="complete")
    await agent.call_tool("updatePayments", complete)
    # The server answers every call with the same session: its 30 USD are spent already.
    with pytest.raises(CallRefused, match="budget of 50 USD per 86400 s has 20 left"):
        await agent.call_tool("updatePayments", complete)
    # A session it did not create costs what it costs: a person approves it (none is set up).
    with pytest.raises(CallRefused, match=r"spend, the cost unknown.*no way to ask"):
        await agent.call_tool("updatePayments", {**complete, "Sid": "PK" + "1" * 32})
    assert len(recording_server.requests) == 3


async def test_completing_a_session_without_an_amount_spends_no_money(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    use(agent, {"deny": ["effect:spends-money"]})
    complete = update_arguments(Capture=None, Status="complete")
    with pytest.raises(CallRefused, match=r"deny\[0\]"):  # a session it knows nothing of
        await agent.call_tool("updatePayments", complete)
    await agent.call_tool("createPayments", create_arguments(ChargeAmount=0))  # tokenizing
    await agent.call_tool("updatePayments", complete)
    assert len(recording_server.requests) == 2


async def test_a_dry_run_sends_nothing_and_answers_the_masked_request(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    use(agent, {"dry_run": True, "pin": {"createMessage": {"From": "+15005550006"}}})
    answer = await agent.call_tool("createMessage", {**MESSAGE, "Body": f"card {CARD}"})
    assert recording_server.requests == []
    request = answer["request"]
    assert answer["dry_run"] is True and request["method"] == "POST"
    assert request["url"].endswith("/Messages.json")
    assert request["headers"]["Authorization"] == "***"
    assert request["body"] == "To=%2B15551234567&From=%2B15005550006&Body=card+xxxxxxxxxxxx1111"
    assert AUTH_TOKEN not in repr(answer) and "4111" not in repr(answer)
    assert [r.decision for r in agent.audit] == ["dry-run"]


class Approver:
    """Answers every approval with ``answer`` (a value, or what a callable returns)."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.asked: list[ApprovalRequest] = []

    async def __call__(self, request: ApprovalRequest) -> Any:
        self.asked.append(request)
        return self.answer() if callable(self.answer) else self.answer


async def test_an_approved_call_is_sent_once_and_the_approver_saw_it_masked(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    approver = Approver(Approval(True, by="ops@example.com"))
    use(agent, {"require_approval": ["effect:contacts-person"]}, approver)
    await agent.call_tool("createMessage", {**MESSAGE, "Body": f"card {CARD}"}, tool_call_id="c1")
    assert len(recording_server.requests) == 1
    (asked,) = approver.asked
    assert asked.tool == "api_v2010__createMessage" and asked.call_id == "c1"
    assert asked.effects == ("contacts-person", "write")
    assert asked.reasons == ("require_approval[0]",)
    assert asked.arguments["Body"] == "card xxxxxxxxxxxx1111"
    assert asked.request is not None and asked.request["headers"]["Authorization"] == "***"
    assert "4111" not in repr(asked.as_dict()) and AUTH_TOKEN not in asked.summary()
    record = list(agent.audit)[-1]
    assert (record.decision, record.by, record.call_id) == ("approved", "ops@example.com", "c1")


def _raises() -> Any:
    raise RuntimeError("the approval service is down")


@pytest.mark.parametrize(
    "answer",
    [False, Approval(False, by="ops"), "yes", None, 1, _raises],
    ids=["no", "declined", "a string", "none", "one", "raises"],
)
async def test_anything_but_a_yes_sends_nothing(
    agent: OCPAgent, recording_server: RecordingServer, answer: Any
) -> None:
    use(agent, {"require_approval": ["createMessage"]}, Approver(answer))
    with pytest.raises(CallRefused, match="needs a person's approval and was declined"):
        await agent.call_tool("createMessage", MESSAGE)
    assert recording_server.requests == []
    assert [r.decision for r in agent.audit] == ["declined"]


async def test_an_approver_that_hangs_is_a_no_after_the_timeout(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    async def hangs(request: ApprovalRequest) -> bool:
        await asyncio.sleep(3600)
        return True

    use(agent, {"require_approval": ["createMessage"], "approval_timeout": 0.05}, hangs)
    with pytest.raises(CallRefused, match=r"no answer within 0\.05 s"):
        await agent.call_tool("createMessage", MESSAGE)
    assert recording_server.requests == []


async def test_without_an_approver_a_call_needing_approval_is_refused(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    use(agent, {"require_approval": ["effect:contacts-person"]})
    with pytest.raises(CallRefused, match="no way to ask for it is set up"):
        await agent.call_tool("createMessage", MESSAGE)
    assert recording_server.requests == []


async def test_what_was_approved_is_what_is_sent(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    arguments = dict(MESSAGE)

    async def approve_then_change(request: ApprovalRequest) -> bool:
        arguments["To"] = "+19995550100"  # the caller's dict changes while a person decides
        return True

    use(agent, {"require_approval": ["createMessage"]}, approve_then_change)
    await agent.call_tool("createMessage", arguments)
    assert ("To", "+15551234567") in recording_server.requests[0].form


async def test_approval_is_previewed_for_a_framework_and_follows_call_twilio_tool(
    agent: OCPAgent,
) -> None:
    use(agent, {"require_approval": ["effect:contacts-person"]})
    assert agent.approval_request("fetchMessage", {"Sid": "SM" + "0" * 32}) is None
    direct = agent.approval_request("createMessage", MESSAGE)
    assert direct is not None and direct.tool == "api_v2010__createMessage"
    through = agent.approval_request(
        "callTwilioTool", {"name": "createMessage", "arguments": MESSAGE}
    )
    assert through is not None and through.arguments == direct.arguments
    assert agent.approval_request("createMessage", {"To": 5}) is None  # invalid: fails anyway


async def test_call_twilio_tool_meets_the_policy_of_the_tool_it_names(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    use(agent, {"deny": ["effect:contacts-person"]})
    for name in ("createMessage", "api_v2010__createMessage"):
        with pytest.raises(CallRefused, match=r"deny\[0\]"):
            await agent.call_tool("callTwilioTool", {"name": name, "arguments": MESSAGE})
    assert recording_server.requests == []


async def test_the_audit_holds_no_argument(agent: OCPAgent) -> None:
    use(agent, {"deny": ["effect:contacts-person"], "pin": {"createCall": {"From": "+1500"}}})
    with pytest.raises(CallRefused):
        await agent.call_tool("createMessage", {**MESSAGE, "Body": CARD})
    assert "4111" not in repr(list(agent.audit)) and "+1555" not in repr(list(agent.audit))


async def test_a_policy_file_can_be_given_to_the_agent(
    recording_server: RecordingServer, tmp_path: Any
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("deny: [effect:contacts-person]\n")
    async with messaging_agent(recording_server.url, policy=path) as agent:
        with pytest.raises(CallRefused, match=r"deny\[0\] \(policy.yaml line 1\)"):
            await agent.call_tool("createMessage", MESSAGE)
    assert recording_server.requests == []


async def test_a_model_is_not_offered_the_tools_the_policy_always_refuses(agent: OCPAgent) -> None:
    use(agent, {"deny": ["effect:delete"], "allow": ["service:api_v2010"]})
    offered = [t["function"]["name"] for t in agent.tools_for("openai")]
    assert "api_v2010__deleteMessage" not in offered
    assert {"api_v2010__createMessage", "api_v2010__updatePayments"} <= set(offered)


async def test_the_span_of_a_call_carries_the_policy_decision(agent: OCPAgent) -> None:
    memory = captured_spans()
    use(agent, {"deny": ["effect:contacts-person"]})
    with pytest.raises(CallRefused):
        await agent.call_tool("createMessage", MESSAGE, tool_call_id="c9")
    await agent.call_tool("fetchMessage", {"Sid": "SM" + "0" * 32})
    decisions = [
        (span.name, (span.attributes or {}).get("ocp_twilio.policy.decision"))
        for span in memory.get_finished_spans()
        if span.instrumentation_scope and span.instrumentation_scope.name == "ocp_twilio"
    ]
    assert decisions == [
        ("execute_tool api_v2010__createMessage", "refused"),
        ("execute_tool api_v2010__fetchMessage", "allowed"),
    ]


async def test_call_twilio_tool_is_decided_by_the_tool_it_names_not_by_its_own_effects(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    approver = Approver(True)
    use(
        agent, {"deny": ["effect:delete"], "require_approval": ["effect:contacts-person"]}, approver
    )
    offered = [t["function"]["name"] for t in agent.tools_for("openai", compact=True)]
    assert "callTwilioTool" in offered
    await agent.call_tool("callTwilioTool", {"name": "createMessage", "arguments": MESSAGE})
    assert [a.tool for a in approver.asked] == ["api_v2010__createMessage"]  # asked once
    with pytest.raises(CallRefused, match=r"deny\[0\]"):
        await agent.call_tool(
            "callTwilioTool", {"name": "deleteMessage", "arguments": {"Sid": "SM" + "0" * 32}}
        )
    assert [r.method for r in recording_server.requests] == ["POST"]
    use(agent, {"deny": ["callTwilioTool"]})
    with pytest.raises(CallRefused, match="the policy denies callTwilioTool"):
        await agent.call_tool("callTwilioTool", {"name": "fetchMessage", "arguments": {}})


async def test_a_call_refused_before_sending_takes_nothing_from_the_limits(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    use(agent, {"limits": {"rates": [{"tools": "createMessage", "calls": 1, "per": "1h"}]}})
    with pytest.raises(InvalidArguments):
        await agent.call_tool("createMessage", {**MESSAGE, "To": 5})
    await agent.call_tool("createMessage", MESSAGE)
    with pytest.raises(CallRefused, match="at most 1 calls"):
        await agent.call_tool("createMessage", MESSAGE)
    assert len(recording_server.requests) == 1


async def test_a_pin_of_an_argument_no_selected_tool_takes_is_refused(agent: OCPAgent) -> None:
    with pytest.raises(PolicyError, match=r"pin\.createMessage\.from.*case-sensitive"):
        use(agent, {"pin": {"createMessage": {"from": "+15005550006"}}})


async def test_a_notification_counts_a_send_for_each_person_and_segments_are_checked(
    recording_server: RecordingServer,
) -> None:
    rules = {
        "limits": {
            "recipients": {"prefixes": ["+1"]},
            "budgets": {"sends": {"count": 3, "per": "1d"}},
        }
    }
    async with OCPAgent() as agent:
        await agent.register_api(
            "twilio",
            spec=SPECS_WITH_NOTIFY,
            base_url=recording_server.url,
            environ=TWILIO_ENV,
        )
        use(agent, rules)
        notify = {"ServiceSid": "IS" + "0" * 32, "Body": "hi"}
        with pytest.raises(CallRefused, match="everyone may not be contacted"):
            await agent.call_tool("createNotification", {**notify, "Segment": ["everyone"]})
        await agent.call_tool(
            "createNotification", {**notify, "Identity": ["+15550001", "+15550002"]}
        )
        with pytest.raises(CallRefused, match="has 1 left"):
            await agent.call_tool(
                "createNotification", {**notify, "Identity": ["+15550003", "+15550004"]}
            )
    assert len(recording_server.requests) == 1


async def test_a_policy_given_before_registering_is_checked_on_the_first_call(
    recording_server: RecordingServer,
) -> None:
    misspelt = Policy.from_mapping({"deny": ["creatMessage"]})
    async with messaging_agent(recording_server.url, policy=misspelt) as agent:
        with pytest.raises(PolicyError, match=r"deny\[0\] selects no registered tool"):
            await agent.call_tool("fetchMessage", {"Sid": "SM" + "0" * 32})
    assert recording_server.requests == []


async def test_the_compact_tools_neither_find_nor_browse_a_tool_the_policy_always_refuses(
    agent: OCPAgent,
) -> None:
    use(agent, {"deny": ["createMessage"]})
    hits = await agent.call_tool("findTwilioTool", {"query": "send a text message"})
    services = await agent.call_tool("browseTwilioTools", {})
    browsed: set[str] = set()
    for service in services["services"]:
        resources = await agent.call_tool("browseTwilioTools", {"path": service})
        for resource in resources["resources"]:
            path = f"{service}/{resource}"
            listed = await agent.call_tool("browseTwilioTools", {"path": path})
            browsed |= {tool["name"] for tool in listed["tools"]}

    assert "api_v2010__createMessage" not in {tool["name"] for tool in hits["tools"]}
    assert len(hits["tools"]) == 5  # the next best take its place
    assert "api_v2010__createMessage" not in browsed and "api_v2010__fetchMessage" in browsed
