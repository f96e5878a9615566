"""The provider-send retry policy: doubling delays with jitter, a cap, Retry-After as a floor."""

from __future__ import annotations

from datetime import timedelta

from payout_service.application.send_retry_policy import RetryPolicy


def fixed(value: float) -> RetryPolicy:
    """The default policy with its jitter pinned: 0.0 is the shortest draw, 1.0 the longest."""
    return RetryPolicy(uniform=lambda: value)


def test_the_defaults_are_temporals_shape_eight_attempts_from_ten_seconds_to_ten_minutes() -> None:
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.max_retries) == (8, 7)
    assert fixed(0.5).delay(0) == timedelta(seconds=10)
    assert policy.max_delay == timedelta(minutes=10)


def test_each_retry_doubles_the_nominal_delay_until_the_cap() -> None:
    delays = [fixed(0.5).delay(retries) for retries in range(8)]
    seconds = [d.total_seconds() for d in delays]
    assert seconds == [10, 20, 40, 80, 160, 320, 600, 600]


def test_jitter_spreads_a_delay_by_twenty_percent_either_way() -> None:
    assert fixed(0.0).delay(0) == timedelta(seconds=8)
    assert fixed(1.0).delay(0) == timedelta(seconds=12)
    assert fixed(0.0).delay(1) == timedelta(seconds=16)


def test_jitter_never_takes_a_delay_past_the_cap() -> None:
    assert fixed(1.0).delay(20) == timedelta(minutes=10)


def test_a_providers_retry_after_is_a_floor() -> None:
    assert fixed(0.5).delay(0, at_least=timedelta(seconds=30)) == timedelta(seconds=30)
    assert fixed(0.5).delay(3, at_least=timedelta(seconds=30)) == timedelta(seconds=80)


def test_the_last_attempt_is_the_one_after_max_retries_retries() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert [policy.is_last(r) for r in range(4)] == [False, False, True, True]


def test_a_huge_retry_count_stays_at_the_cap() -> None:
    assert fixed(0.5).delay(10_000) == timedelta(minutes=10)
