"""Misspelt words: a word neither the tools, the search's tables nor English know is read as the
nearest word the tools know, and a real word is never respelt into a tool's; over all of
Twilio's files (../shared/twilio-oai; skipped where absent)."""

from __future__ import annotations

import pytest
from support.search import NEEDS_TWILIO_FILES, names, twilio_search

from ocp_twilio.tools.search import ToolSearch

pytestmark = NEEDS_TWILIO_FILES


@pytest.fixture(scope="module")
def twilio() -> ToolSearch:
    return twilio_search()


@pytest.mark.parametrize(
    ("misspelt", "spelt"),
    [
        ("show me the recrodings of this call", "show me the recordings of this call"),
        ("list all the recrodings", "list all the recordings"),
        ("list the transcirpts", "list the transcripts"),
        ("fetch a conferance", "fetch a conference"),
        ("the particpants of a conference", "the participants of a conference"),
        ("delete a conversaiton", "delete a conversation"),
    ],
)
def test_a_misspelt_request_finds_what_the_spelt_one_finds_first(
    twilio: ToolSearch, misspelt: str, spelt: str
) -> None:
    assert names(twilio, misspelt, 1) == names(twilio, spelt, 1)


def test_a_real_word_the_tools_lack_is_not_respelt_into_one_they_have(
    twilio: ToolSearch,
) -> None:
    # "still" is one letter from "skill" (TaskRouter), which no request about a brand means.
    found = names(twilio, "is our brand registration still pending", 10)

    assert found[0] == "messaging_v1__fetchBrandRegistrations"
    assert not any("Skill" in name for name in found)


def test_a_word_too_short_to_tell_is_left_as_it_is(twilio: ToolSearch) -> None:
    # "cal" is one letter from "call" and from "cap": four letters or fewer are never respelt.
    assert names(twilio, "cal") != names(twilio, "call")


def test_a_word_written_as_a_name_is_not_respelt(twilio: ToolSearch) -> None:
    # "iPhones" is one letter from "phones": a name no tool has finds no tool.
    assert names(twilio, "list the iPhones") == []
    assert names(twilio, "list the iphones")[0] == "api_v2010__listIncomingPhoneNumber"
