"""The retry policy's pure parts: Retry-After, backoff bounds, what may be retried."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ocp_twilio import ConfigurationError, OCPAgent, RetryPolicy
from ocp_twilio.http.retry import parse_retry_after, retry_allowed_for_status

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        (" 0 ", 0.0),
        ("Thu, 01 Jan 2026 12:00:10 GMT", 10.0),
        ("Thu, 01 Jan 2026 11:00:00 GMT", 0.0),
        ("soon", None),
        ("-1", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, NOW) == seconds


def test_backoff_grows_with_jitter_up_to_its_cap() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=4.0)
    for retry, cap in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (10, 4.0)]:
        waits = {policy.backoff(retry) for _ in range(50)}
        assert all(0 <= w <= cap for w in waits)
        assert len(waits) > 1, "no jitter"
    assert policy.backoff(5, retry_after=7.0) == 7.0


@pytest.mark.parametrize(
    ("status", "idempotent", "allowed"),
    [
        (429, False, True),  # Twilio: never processed
        (503, False, False),  # may have been processed, Retry-After or not
        (503, True, True),
        (500, False, False),
        (502, True, True),
        (400, True, False),
        (404, True, False),
    ],
)
def test_which_answers_may_be_retried(status: int, idempotent: bool, allowed: bool) -> None:
    assert retry_allowed_for_status(status, idempotent) is allowed


@pytest.mark.parametrize(
    "settings",
    [
        {"retries": -1},
        {"retries": True},
        {"retries": "3"},
        {"retries": 1.5},
        {"max_in_flight": 0},
    ],
)
def test_bad_settings_are_refused(settings: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        OCPAgent(**settings)  # type: ignore[arg-type]


def test_policy_checks_its_numbers() -> None:
    with pytest.raises(ConfigurationError):
        RetryPolicy(deadline=0)
    with pytest.raises(ConfigurationError):
        RetryPolicy(backoff_base=-1)
