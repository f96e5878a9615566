"""When a client event's delivery that got no 2xx is tried again, and when it is given up.

Each wait doubles from `first_delay` up to `max_delay`, randomly lengthened or shortened by up to
`jitter` of itself, so the deliveries that failed together (an endpoint's outage) do not all come
back at the same instant. A delivery is tried for `retry_for` from its creation: the last try
falls on that moment, and a failure then gives it up.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

_MAX_DOUBLINGS = 32  # far past any cap; keeps the arithmetic finite


@dataclass(frozen=True, slots=True)
class DeliverySchedule:
    """retry_for: how long after its creation a delivery is tried (OUTGOING_WEBHOOK_RETRY_HOURS).
    first_delay: the wait after the first failed attempt (1 s).
    max_delay: the cap on any wait (1 h).
    jitter: the fraction by which a wait may randomly differ from its nominal value (0.2).
    uniform: a source of floats in [0, 1); random.random unless a test fixes it."""

    retry_for: timedelta
    first_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(hours=1)
    jitter: float = 0.2
    uniform: Callable[[], float] = field(default=random.random, compare=False)

    def next_attempt(self, created_at: datetime, attempts: int, now: datetime) -> datetime | None:
        """When to try again after `attempts` failed ones (this one included); None: give up."""
        deadline = created_at + self.retry_for
        if now >= deadline:
            return None
        doublings = min(max(attempts - 1, 0), _MAX_DOUBLINGS)
        nominal = min(self.first_delay * (1 << doublings), self.max_delay)
        wait = nominal * (1 + self.jitter * (2 * self.uniform() - 1))
        return min(now + min(wait, self.max_delay), deadline)
