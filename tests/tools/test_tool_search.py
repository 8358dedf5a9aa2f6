"""ToolSearch: everyday requests ranked onto operations, on a few made-up tools and on all of
Twilio's (../shared/twilio-oai; skipped where the files are absent)."""

from __future__ import annotations

import re

import pytest
from support.files import SHARED_OAI, benchmark_json

from ocp_twilio import load_tools
from ocp_twilio.specs.model import OperationSpec, ParameterSpec
from ocp_twilio.tools.index import qualified_name
from ocp_twilio.tools.search import ToolSearch
from ocp_twilio.tools.tool import Tool

needs_twilio_files = pytest.mark.skipif(
    not SHARED_OAI.is_dir(), reason=f"Twilio's OpenAPI files are not at {SHARED_OAI}"
)

# service, operation name, path, description: a few of Twilio's shapes, legacy and nested ones.
_MADE_UP = [
    ("api_v2010", "createMessage", "/Accounts/{AccountSid}/Messages.json", "Send a message"),
    ("api_v2010", "listMessage", "/Accounts/{AccountSid}/Messages.json", ""),
    ("api_v2010", "fetchMessage", "/Accounts/{AccountSid}/Messages/{Sid}.json", ""),
    ("api_v2010", "updateMessage", "/Accounts/{AccountSid}/Messages/{Sid}.json", ""),
    ("api_v2010", "deleteMessage", "/Accounts/{AccountSid}/Messages/{Sid}.json", ""),
    ("api_v2010", "listCall", "/Accounts/{AccountSid}/Calls.json", ""),
    ("api_v2010", "updateCall", "/Accounts/{AccountSid}/Calls/{Sid}.json", "Ends a call"),
    ("api_v2010", "deleteCall", "/Accounts/{AccountSid}/Calls/{Sid}.json", "Delete a call log"),
    ("api_v2010", "listIncomingPhoneNumber", "/Accounts/{AccountSid}/IncomingPhoneNumbers", ""),
    ("chat_v2", "listMessage", "/v2/Services/{ServiceSid}/Channels/{ChannelSid}/Messages", ""),
    ("trunking_v1", "listPhoneNumber", "/v1/Trunks/{TrunkSid}/PhoneNumbers", ""),
    ("studio_v1", "createExecution", "/v1/Flows/{FlowSid}/Executions", "Trigger a flow"),
    ("studio_v2", "createExecution", "/v2/Flows/{FlowSid}/Executions", "Trigger a flow"),
    ("serverless_v1", "createDeployment", "/v1/Services/{ServiceSid}/Deployments", ""),
    ("serverless_v1", "createService", "/v1/Services", ""),
]


@pytest.fixture(scope="module")
def made_up() -> ToolSearch:
    tools = []
    for service, name, path, description in _MADE_UP:
        placeholders = re.findall(r"{(\w+)}", path)
        spec = OperationSpec(
            name=name,
            method="GET",
            path=path,
            description=description,
            service=service,
            parameters=tuple(ParameterSpec(n, "path", required=True) for n in placeholders),
        )
        tools.append(Tool(spec, name=qualified_name(spec)))
    return ToolSearch(tools)


def _over_twilio(query: str, first: str) -> object:
    return pytest.param("twilio", query, first, marks=needs_twilio_files)


@pytest.fixture(scope="module")
def twilio() -> ToolSearch:
    return ToolSearch(load_tools("twilio", spec=SHARED_OAI))


@pytest.mark.parametrize(
    ("tools", "query", "first"),
    [
        # a verb asks for the operation's own verb
        ("made_up", "send a text", "api_v2010__createMessage"),
        ("made_up", "cancel a message", "api_v2010__updateMessage"),
        ("made_up", "get a message", "api_v2010__fetchMessage"),
        ("made_up", "hang up the call", "api_v2010__updateCall"),
        ("made_up", "remove a message", "api_v2010__deleteMessage"),
        # plurals, "logs" and "all" ask for a list, unless something is to be changed
        ("made_up", "get call logs", "api_v2010__listCall"),
        ("made_up", "messages", "api_v2010__listMessage"),
        ("made_up", "delete all messages", "api_v2010__deleteMessage"),
        # the core API before a legacy service, a service's newest version before an older one
        ("made_up", "list messages", "api_v2010__listMessage"),
        ("made_up", "trigger a flow", "studio_v2__createExecution"),
        # a resource of its own before one nested under another, unless the query names that
        ("made_up", "list my phone numbers", "api_v2010__listIncomingPhoneNumber"),
        ("made_up", "list the phone numbers of a trunk", "trunking_v1__listPhoneNumber"),
        # a verb finds the resource named after it
        ("made_up", "deploy the serverless service", "serverless_v1__createDeployment"),
        # the first verb says what to do; "text" asks for it only as the first word
        ("made_up", "delete a text message", "api_v2010__deleteMessage"),
        ("made_up", "text the customer", "api_v2010__createMessage"),
        # a question reads, whatever its other verbs; one of who lists
        ("made_up", "did my text get delivered", "api_v2010__fetchMessage"),
        ("made_up", "who called us yesterday", "api_v2010__listCall"),
        # a clause saying what to send is not what is asked for
        ("made_up", "text the customer that the call has ended", "api_v2010__createMessage"),
        # over all of Twilio's tools
        _over_twilio("send an sms message", "api_v2010__createMessage"),
        _over_twilio("send a text message", "api_v2010__createMessage"),
        _over_twilio("make a phone call", "api_v2010__createCall"),
        _over_twilio("buy a phone number", "api_v2010__createIncomingPhoneNumber"),
        _over_twilio("look up a phone number", "lookups_v2__fetchPhoneNumber"),
        _over_twilio("verify a phone number with a code", "verify_v2__createVerification"),
        _over_twilio("hang up a call", "api_v2010__updateCall"),
        _over_twilio("get call logs", "api_v2010__listCall"),
        _over_twilio("list messages", "api_v2010__listMessage"),
        _over_twilio("trigger a studio flow", "studio_v2__createExecution"),
        _over_twilio("create a video room", "video_v1__createRoom"),
        _over_twilio("release a phone number", "api_v2010__deleteIncomingPhoneNumber"),
    ],
)
def test_everyday_requests_find_the_operation(
    request: pytest.FixtureRequest, tools: str, query: str, first: str
) -> None:
    search: ToolSearch = request.getfixturevalue(tools)
    found = search.search(query, 5)

    assert found, f"nothing found for {query!r}"
    assert found[0].name == first


def test_equal_matches_read_before_they_write(made_up: ToolSearch) -> None:
    found = [t.name for t in made_up.search("message", 10)]

    assert found[:2] == ["api_v2010__fetchMessage", "api_v2010__listMessage"]
    assert found.index("api_v2010__deleteMessage") > found.index("api_v2010__createMessage")
    assert found == [t.name for t in made_up.search("message", 10)]  # deterministic


@pytest.mark.parametrize("query", ["", "the of a", "zebra", "please"])
def test_nothing_to_match(made_up: ToolSearch, query: str) -> None:
    assert made_up.search(query, 10) == []


@needs_twilio_files
def test_creating_a_conference_offers_the_core_conference_tools(twilio: ToolSearch) -> None:
    # No operation creates a conference (a call or a participant joining one does): the core
    # API's conference tools come first, a write before the reads.
    found = [t.name for t in twilio.search("create a conference", 3)]

    assert found == [
        "api_v2010__updateConference",
        "api_v2010__fetchConference",
        "api_v2010__listConference",
    ]


@needs_twilio_files
def test_the_evaluation_set_scores() -> None:
    result = benchmark_json("search_quality.py", "--spec", str(SHARED_OAI), "--runs", "3")

    assert result["cases"]["queries"] >= 40
    assert result["cases"]["top1"] >= 0.75
    assert result["cases"]["top3"] >= 0.9
    assert result["held_out"]["top3"] >= 0.8
