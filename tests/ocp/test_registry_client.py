"""What a registry URL is asked, through the transport it is given (the seam every request of
the library goes through), and what its answers become. The registry tests cover the same over
a real server, from register_api."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ocp_twilio import USER_AGENT, MockTransport, Request, Response, SpecError, Timeout
from ocp_twilio.ocp.registry_client import RegistryClient

REGISTRY = "http://127.0.0.1:9/api/v1"
ENTRY = {
    "base_url": "http://127.0.0.1:9",
    "tools": [{"name": "getParcel", "method": "GET", "path": "/parcels"}],
}


def client(answers: dict[str, tuple[int, Any]]) -> tuple[RegistryClient, MockTransport]:
    def answer(request: Request) -> Response:
        status, body = answers.get(request.url.raw_path, (404, {}))
        text = body if isinstance(body, bytes) else json.dumps(body).encode()
        return Response(status, {"Content-Type": "application/json"}, text)

    transport = MockTransport(answer)
    return RegistryClient(REGISTRY, transport, timeout=Timeout(7.0, connect=2.0)), transport


async def test_an_entry_is_asked_under_the_registry_path_and_checked() -> None:
    registry, transport = client({"/api/v1/registry/acme%20parcels": (200, ENTRY)})

    found = await registry.entry("acme parcels")

    assert found == (f"{REGISTRY}/registry/acme%20parcels", ENTRY)
    (request,) = transport.requests
    assert (request.method, str(request.url), request.body) == (
        "GET",
        f"{REGISTRY}/registry/acme%20parcels",
        None,
    )
    assert request.headers == {"Accept": "application/json", "User-Agent": USER_AGENT}
    assert (request.timeout, request.connect_timeout) == (7.0, 2.0)
    assert request.max_body == registry.max_answer_bytes


async def test_an_unknown_name_is_none_and_a_bad_entry_is_named() -> None:
    registry, _ = client({"/api/v1/registry/spec": (200, {**ENTRY, "spec": "x.yaml"})})

    assert await registry.entry("missing") is None
    with pytest.raises(SpecError, match=f"Registry entry {REGISTRY}/registry/spec is not valid"):
        await registry.entry("spec")


@pytest.mark.parametrize(
    ("answer", "names"),
    [
        (
            (200, {"results": [{"name": "parcels"}, {"name": "parcel_v2"}]}),
            ["parcels", "parcel_v2"],
        ),
        ((200, {"results": [{"title": "no name"}]}), []),
        ((200, b"<html>"), []),
        ((500, {}), []),
    ],
)
async def test_search_suggests_names_or_nothing(answer: tuple[int, Any], names: list[str]) -> None:
    registry, transport = client({"/api/v1/search": answer})

    assert await registry.search("parcel") == names
    assert [str(r.url) for r in transport.requests] == [f"{REGISTRY}/search?q=parcel"]
