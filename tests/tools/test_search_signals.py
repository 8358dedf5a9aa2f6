"""What a request carries besides words: a SID finds the tools of its resource (from the spec's
own patterns), and phone numbers, email addresses and dates are arguments, not search words;
over all of Twilio's files (../shared/twilio-oai; skipped where absent)."""

from __future__ import annotations

import pytest
from support.files import SHARED_OAI
from support.search import NEEDS_TWILIO_FILES, names, twilio_search

from ocp_twilio import load_tools
from ocp_twilio.tools.search import ToolSearch
from ocp_twilio.tools.search_signals import SignalIndex

pytestmark = NEEDS_TWILIO_FILES
CALL_SID = "CA" + "0123456789abcdef" * 2
VERIFY_SID = "VA" + "0123456789abcdef" * 2


@pytest.fixture(scope="module")
def twilio() -> ToolSearch:
    return twilio_search()


def test_a_query_of_only_a_sid_finds_the_tools_of_its_resource(twilio: ToolSearch) -> None:
    found = names(twilio, CALL_SID)

    assert found[0] == "api_v2010__fetchCall"
    assert {"api_v2010__updateCall", "api_v2010__deleteCall"} <= set(found)


def test_a_query_of_only_a_phone_number_finds_the_tools_that_take_one(twilio: ToolSearch) -> None:
    assert "lookups_v2__fetchPhoneNumber" in names(twilio, "+1 (415) 555-0100")


def test_a_sid_in_a_step_narrows_to_its_resource(twilio: ToolSearch) -> None:
    assert names(twilio, f"fetch the recording of {CALL_SID}", 1) == [
        "api_v2010__fetchCallRecording"
    ]
    assert names(twilio, f"{VERIFY_SID} check 123456", 1) == ["verify_v2__createVerificationCheck"]


def test_numbers_addresses_and_dates_are_not_search_words() -> None:
    signals = SignalIndex(load_tools("twilio", spec=SHARED_OAI)).read(
        "text +14155550100 and ops@example.com on 2025-01-02 at 10:30 about SM"
        + "0123456789abcdef" * 2
    )

    assert signals.text.split() == ["text", "and", "on", "at", "about"]
    assert signals.tools  # the message SID and the phone number point to tools
