"""A callback's rank among the others of its Pay session, in memory and in Redis: a genuine
callback re-split (Twilio's signed text has no separators, so the signature still holds) loses
its dates, and a callback without dates never outranks one with them."""

from __future__ import annotations

import pytest
from support.credentials import AUTH_TOKEN, TWILIO_ENV
from support.progress import CARD_ENTERED, CARD_REFUSED, TYPING, post, status

from ocp_twilio import OCPAgent, compute_signature


def re_split(fields: dict[str, str], into: str, absorbed: list[str]) -> dict[str, str]:
    """``fields`` with ``absorbed`` (the names that follow ``into`` in signing order) moved into
    the value of ``into``: the same signed text, so the same signature."""
    names = sorted(fields)
    start = names.index(into) + 1
    assert names[start : start + len(absorbed)] == absorbed, "absorb the names that follow"
    twin = {name: value for name, value in fields.items() if name not in absorbed}
    twin[into] += "".join(name + fields[name] for name in absorbed)
    return twin


# Its dates and its ErrorType folded into Capture's value.
REFUSED_TWIN = re_split(CARD_REFUSED, "Capture", ["DateCreated", "DateUpdated", "ErrorType"])
TYPING_TWIN = re_split(TYPING, "Capture", ["DateCreated", "DateUpdated"])


def test_a_re_split_callback_keeps_its_signature() -> None:
    url = "https://pay.example.com/twilio/pay-status"
    for original, twin in ((CARD_REFUSED, REFUSED_TWIN), (TYPING, TYPING_TWIN)):
        assert "DateCreated" not in twin and "DateUpdated" not in twin and twin != original
        assert compute_signature(AUTH_TOKEN, url, twin) == compute_signature(
            AUTH_TOKEN, url, original
        )
    assert "ErrorType" not in REFUSED_TWIN


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_a_callback_without_dates_never_outranks_a_dated_one(
    kind: str, request: pytest.FixtureRequest
) -> None:
    redis_url = request.getfixturevalue("redis_server").url if kind == "redis" else None
    async with (
        OCPAgent(redis_url=redis_url) as agent,
        agent.serve_status_callbacks(environ=TWILIO_ENV) as receiver,
    ):
        await agent.register_api("twilio", environ=TWILIO_ENV)
        assert await post(receiver.url, TYPING) == 204
        assert await post(receiver.url, CARD_REFUSED) == 204
        # The refusal's twin, signed as Twilio signed the refusal: stored, yet it does not
        # hide the refusal.
        assert await post(receiver.url, REFUSED_TWIN) == 204
        view = await status(agent)
        assert view["version"] == 3
        assert view["capturing"] == "payment-card-number"
        assert view["error"]["type"] == "invalid-card-number"

        # A newer callback, then the twin of an older one: the newer one stands.
        assert await post(receiver.url, CARD_ENTERED) == 204
        assert await post(receiver.url, TYPING_TWIN) == 204
        view = await status(agent)
        assert view["version"] == 5
        assert (view["capturing"], view["typing"]) == ("payment-card-number", False)
        assert "error" not in view
        assert view["entered"]["card_number"] == "xxxxxxxxxxxx1111"
        assert view["required"] == ["expiration-date", "security-code", "postal-code"]
