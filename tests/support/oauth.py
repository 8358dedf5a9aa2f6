"""A real server on 127.0.0.1 that plays Twilio's OAuth token endpoint and an API that takes its
access tokens, and an OpenAPI document whose operations ask for them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from support.servers import RecordingServer

CLIENT_ID = "OQ" + "0123456789abcdef" * 2
CLIENT_SECRET = "client-" + "s3cr3t" * 6  # a known secret that tests search for in every output
TOKEN_PATH = "/v2/token"


@dataclass
class TokenServer:
    """Answers the token path with ``tok-1``, ``tok-2``, … (each kept ``expires_in`` seconds),
    and every other path with 200 where the bearer is one it accepts or none is sent, else with
    Twilio's 401."""

    recording: RecordingServer
    expires_in: Any = 3600
    issued: list[str] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)  # tokens the API no longer accepts
    token_status: int = 200

    def __post_init__(self) -> None:
        self.recording.respond = self.respond

    @property
    def url(self) -> str:
        return self.recording.url

    @property
    def token_requests(self) -> list[Any]:
        return [r for r in self.recording.requests if r.path_qs == TOKEN_PATH]

    @property
    def api_requests(self) -> list[Any]:
        return [r for r in self.recording.requests if r.path_qs != TOKEN_PATH]

    def respond(self, request: web.Request) -> web.Response:
        if request.path == TOKEN_PATH:
            if self.token_status != 200:
                return web.json_response({"error": "invalid_client"}, status=self.token_status)
            token = f"tok-{len(self.issued) + 1}"
            self.issued.append(token)
            return web.json_response({"access_token": token, "expires_in": self.expires_in})
        # No Authorization at all: an operation that takes none (Twilio's own would say 401).
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if "Authorization" not in request.headers or (
            bearer in self.issued and bearer not in self.refused
        ):
            return web.json_response({"sid": "TH" + "0" * 32})
        return web.json_response(
            {"code": 20003, "message": "Authenticate", "status": 401}, status=401
        )


def token_form(server: TokenServer, index: int = 0) -> dict[str, str]:
    return dict(parse_qsl(server.token_requests[index].body.decode()))


def bearer_spec(tmp_path: Path) -> Path:
    """An OpenAPI file of Twilio's host whose operations take an OAuth 2 token, as Twilio's
    Organizations API does, and one whose security is empty."""
    operation = {"responses": {"200": {"content": {"application/json": {"schema": {}}}}}}
    document = {
        "openapi": "3.0.1",
        "info": {"title": "Things", "version": "1"},
        "servers": [{"url": "https://things.twilio.com"}],
        "security": [{"oauth": []}],
        "components": {
            "securitySchemes": {
                "oauth": {
                    "type": "oauth2",
                    "flows": {"clientCredentials": {"tokenUrl": "/v2/token", "scopes": {}}},
                }
            }
        },
        "paths": {
            "/v1/Things": {
                "get": {**operation, "operationId": "ListThing"},
                "post": {**operation, "operationId": "CreateThing"},
            },
            "/v1/Public": {"get": {**operation, "operationId": "FetchPublic", "security": []}},
        },
    }
    path = tmp_path / "twilio_things_v1.json"
    path.write_text(json.dumps(document))
    return path
