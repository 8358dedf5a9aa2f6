"""Everyday words for kinds of need (``search_needs``) find the Twilio resources that answer
them, over all of Twilio's files (../shared/twilio-oai; skipped where absent). The requests here
are none of tests/data/search_dev.tsv's."""

from __future__ import annotations

import pytest
from support.search import NEEDS_TWILIO_FILES, names, twilio_search

from ocp_twilio.tools.search import ToolSearch
from ocp_twilio.tools.search_needs import NEED_PHRASES, NEEDS

pytestmark = NEEDS_TWILIO_FILES


@pytest.fixture(scope="module")
def twilio() -> ToolSearch:
    return twilio_search()


def test_every_need_names_words_of_twilios_tools(twilio: ToolSearch) -> None:
    # A need that names no tool's word would find nothing: the table follows Twilio's own words.
    targets = {
        word for table in (NEEDS, NEED_PHRASES) for words in table.values() for word in words
    }
    found = {word for word in targets if twilio.search(word, 1)}

    assert found == targets


@pytest.mark.parametrize(
    ("query", "tool"),
    [
        ("do we have enough credit left", "api_v2010__fetchBalance"),
        ("set up an alert when we spend more than our budget", "api_v2010__createUsageTrigger"),
        ("send our events to Kinesis", "events_v1__createSink"),
        ("listen to the voicemail a customer left", "api_v2010__fetchRecording"),
        ("is twilio having an outage", "monitor_v1__fetchAlert"),
    ],
)
def test_a_need_finds_the_resource_that_answers_it(
    twilio: ToolSearch, query: str, tool: str
) -> None:
    assert names(twilio, query, 1) == [tool]


def test_a_need_finds_its_resource_among_the_first_three(twilio: ToolSearch) -> None:
    assert "notify_v1__listCredential" in names(twilio, "our APNs certificate must be replaced", 3)
    assert "api_v2010__listUsageRecord" in names(twilio, "how big was our bill in january", 3)


def test_a_need_word_does_not_take_over_a_request_that_names_its_resource(
    twilio: ToolSearch,
) -> None:
    # "credit" asks for the balance, unless the request names what it is about.
    assert names(twilio, "collect a credit card payment over the phone", 1) == [
        "api_v2010__createPayments"
    ]
