"""What an OpenAPI operation's security asks for (Basic, a bearer token, nothing), read from the
operation or its document, and Twilio's Organizations API sending its access tokens."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from support.credentials import ACCOUNT_SID
from support.files import SHARED_OAI
from support.oauth import CLIENT_ID, CLIENT_SECRET, TokenServer

from ocp_twilio import OCPAgent, SpecError
from ocp_twilio.specs.openapi import parse_openapi_document

SCHEMES = {
    "basic": {"type": "http", "scheme": "basic"},
    "bearer": {"type": "http", "scheme": "Bearer"},
    "oauth": {"type": "oauth2", "flows": {}},
    "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
}


def auth_of(operation_security: Any, document_security: Any = None) -> str | None:
    operation: dict[str, Any] = {"operationId": "FetchThing", "responses": {"200": {}}}
    if operation_security != "unsaid":
        operation["security"] = operation_security
    document: dict[str, Any] = {
        "openapi": "3.0.1",
        "components": {"securitySchemes": SCHEMES},
        "paths": {"/v1/Thing": {"get": operation}},
    }
    if document_security is not None:
        document["security"] = document_security
    (spec,) = parse_openapi_document(document, service="things")
    return spec.auth


@pytest.mark.parametrize(
    ("operation", "document", "auth"),
    [
        ([{"basic": []}], None, "basic"),
        ([{"bearer": []}], None, "bearer"),
        ([{"oauth": []}], None, "bearer"),
        # Either will do: Basic, which every Twilio API has always been sent.
        ([{"bearer": []}, {"basic": []}], None, "basic"),
        ([], [{"basic": []}], "none"),  # the operation's own empty list wins
        ("unsaid", [{"oauth": []}], "bearer"),  # else the document's
        ("unsaid", None, None),
        ([{"key": []}], None, None),  # a scheme the library does not send: left unsaid
        ([{"undeclared": []}], None, None),
    ],
)
def test_the_security_an_operation_asks_for(operation: Any, document: Any, auth: str) -> None:
    assert auth_of(operation, document) == auth


def test_a_security_that_is_no_list_is_refused() -> None:
    with pytest.raises(SpecError, match="its security must be a list"):
        auth_of({"basic": []})


ORGANIZATIONS = SHARED_OAI / "twilio_iam_organizations.yaml"


def argument(name: str, schema: dict[str, Any]) -> str:
    """A value of the operation's pattern: Twilio's SIDs are two letters and 32 hex digits."""
    prefix = re.match(r"\^?([A-Z]{2})\[0-9", schema.get("pattern", ""))
    if prefix:
        return prefix.group(1) + "0" * 32
    return "US" + "0" * 32 if "pattern" in schema else "ann@example.com"


@pytest.mark.skipif(not ORGANIZATIONS.is_file(), reason=f"Twilio's files are not at {SHARED_OAI}")
async def test_twilio_organizations_operations_send_a_bearer_token(
    token_server: TokenServer, tmp_path: Path
) -> None:
    """Every operation of Twilio's OAuth-only file carries the access token, except the token
    and authorize endpoints, whose security is empty."""
    async with OCPAgent(retries=0, response_validation="off") as agent:
        registered = await agent.register_api(
            "orgs",
            spec=ORGANIZATIONS,
            base_url=token_server.url,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            account_sid=ACCOUNT_SID,  # fills fetchOrganizationAccount's AccountSid
            environ={},
        )
        sent: dict[str, str | None] = {}
        for tool in registered.tools:
            schema = tool.input_schema
            arguments = {
                name: argument(name, schema["properties"][name])
                for name in schema.get("required", ())
            }
            before = len(token_server.api_requests)
            await agent.call_tool(tool.name, arguments)
            (request,) = token_server.api_requests[before:]
            sent[tool.spec.name] = request.headers.get("Authorization")

    assert len(sent) == 13
    assert {name for name, header in sent.items() if header is None} == {
        "fetchAuthorize",
        "createToken",
    }
    assert {header for header in sent.values() if header is not None} == {"Bearer tok-1"}
    assert len(token_server.token_requests) == 1
