"""The retry rules: what may be sent again after which failure, and how long to wait first."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from vcf_provider.api import retry


@pytest.mark.parametrize(
    ("kind", "reached", "repeatable", "expected"),
    [
        ("refused", False, False, True),  # a login that never left may go again
        ("connect-timeout", False, False, True),
        ("tls", False, False, True),
        ("timeout", True, False, False),  # a login that may have been processed: never again
        ("dropped", True, False, False),
        ("timeout", True, True, True),  # a refresh or revoke may be repeated
        ("dropped", True, True, True),
        ("tls-verify", False, True, False),  # does not heal in seconds
        ("tls-hostname", False, True, False),
        ("plain-http", False, True, False),
        ("shutdown", True, True, False),
    ],
)
def test_network_failures_are_retried_by_idempotence(
    kind: str, reached: bool, repeatable: bool, expected: bool
) -> None:
    assert retry.may_retry_failure(kind, reached, repeatable=repeatable) is expected


@pytest.mark.parametrize(
    ("status", "repeatable", "expected"),
    [
        (429, False, True),  # the server asked: even a login
        (503, False, True),
        (500, False, False),
        (502, False, False),
        (504, False, False),
        (500, True, True),
        (504, True, True),
        (400, True, False),
        (404, True, False),
    ],
)
def test_answers_are_retried_when_the_server_asks_or_the_call_is_repeatable(
    status: int, repeatable: bool, expected: bool
) -> None:
    assert retry.may_retry_status(status, repeatable=repeatable) is expected


@pytest.mark.parametrize("value", ["soon", "-5", "", "1.5", "Tuesday", "9" * 400 + "x"])
def test_a_malformed_retry_after_is_ignored(value: str) -> None:
    assert retry.parse_retry_after(value) is None


def test_retry_after_in_seconds_and_as_a_date_is_capped() -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
    assert retry.parse_retry_after("2") == 2.0
    assert retry.parse_retry_after("86400") == retry.MAX_RETRY_AFTER_SECONDS
    in_five = format_datetime(now + timedelta(seconds=5), usegmt=True)
    assert retry.parse_retry_after(in_five, now=now.timestamp()) == pytest.approx(5.0)
    past = format_datetime(now - timedelta(hours=1), usegmt=True)
    assert retry.parse_retry_after(past, now=now.timestamp()) == 0.0


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = retry.RetryPolicy(total=10, backoff_factor=0.5)
    for number, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (10, retry.BACKOFF_MAX_SECONDS)]:
        wait = policy.backoff(number)
        assert ceiling / 2 <= wait <= ceiling


def test_one_policy_for_the_client_and_task_polls_reads_retry_after_its_way() -> None:
    polls = retry.RetryPolicy(
        total=5, backoff_factor=10, backoff_max=60, jitter=False, retry_after_at_least=True
    )
    calls = retry.RetryPolicy(total=3, backoff_factor=0.5, jitter=False)

    assert [polls.backoff(n) for n in (1, 2, 3, 4)] == [10, 20, 40, 60]
    assert polls.pause(1, "25") == 25, "the longer of backoff and Retry-After"
    assert polls.pause(2, "5") == 20
    assert calls.pause(1, "7") == 7, "Retry-After replaces the backoff"
    assert calls.pause(1, "soon") == 0.5, "a malformed Retry-After leaves the backoff"
    assert calls.pause(1, "3600") == retry.MAX_RETRY_AFTER_SECONDS
    assert all(calls.is_retry_status(s) for s in (429, 500, 502, 503, 504))
    assert not calls.is_retry_status(404)


def test_the_worst_case_is_every_attempt_to_its_deadline_plus_the_waits() -> None:
    assert retry.worst_case_seconds(30, 3, 0.5, retry_after=False) == 4 * 30 + 0.5 + 1 + 2
    assert retry.worst_case_seconds(5, 0, 0.5) == 5
    assert retry.worst_case_seconds(5, 2, 0.5) == 3 * 5 + 2 * retry.MAX_RETRY_AFTER_SECONDS
