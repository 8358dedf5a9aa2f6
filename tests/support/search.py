"""The search over all of Twilio's files (../shared/twilio-oai), for the search's tests: built
once, and skipped where the files are absent."""

from __future__ import annotations

import functools

import pytest

from ocp_twilio import load_tools
from ocp_twilio.tools.search import ToolSearch
from support.files import SHARED_OAI

NEEDS_TWILIO_FILES = pytest.mark.skipif(
    not SHARED_OAI.is_dir(), reason=f"Twilio's OpenAPI files are not at {SHARED_OAI}"
)


@functools.cache
def twilio_search() -> ToolSearch:
    return ToolSearch(load_tools("twilio", spec=SHARED_OAI))


def names(search: ToolSearch, query: str, limit: int = 5) -> list[str]:
    """The names of the first ``limit`` tools the search finds."""
    return [tool.name for tool in search.search(query, limit)]
