"""When a provider-send that failed for a temporary reason is tried again.

The shape of Temporal's retry policy, which the original service used: a first delay, doubled on
each retry up to a cap, and a bound on the number of attempts. Each delay is randomly lengthened
or shortened by up to `jitter` of itself, so payouts that failed together (a provider outage) do
not all come back at the same instant. A provider's Retry-After is a floor: never retry sooner
than it asked.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

_MAX_DOUBLINGS = 32  # far past any cap; keeps the arithmetic finite


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """max_attempts: attempts in all, the first one included (default 8).
    first_delay: the delay before the second attempt (default 10 s).
    max_delay: the cap on any computed delay (default 10 min).
    jitter: the fraction by which a delay may randomly differ from its nominal value (0.2).
    uniform: a source of floats in [0, 1); random.random unless a test fixes it."""

    max_attempts: int = 8
    first_delay: timedelta = timedelta(seconds=10)
    max_delay: timedelta = timedelta(minutes=10)
    jitter: float = 0.2
    uniform: Callable[[], float] = field(default=random.random, compare=False)

    @property
    def max_retries(self) -> int:
        return max(self.max_attempts - 1, 0)

    def is_last(self, retries: int) -> bool:
        """Whether the attempt made after `retries` earlier retries is the final one."""
        return retries >= self.max_retries

    def delay(self, retries: int, at_least: timedelta | None = None) -> timedelta:
        """The wait before the next attempt, after `retries` earlier retries (0 after the first
        attempt failed)."""
        doublings = min(max(retries, 0), _MAX_DOUBLINGS)
        nominal = min(self.first_delay * (1 << doublings), self.max_delay)
        spread = 1 + self.jitter * (2 * self.uniform() - 1)
        wait = min(nominal * spread, self.max_delay)
        return max(wait, at_least) if at_least is not None else wait
