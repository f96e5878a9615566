"""A RedisBroker whose idle consumers look for new messages often enough for the latency promise.

Dramatiq's Redis consumer has no blocking fetch: when its queue is empty it sleeps, backing off up
to the worker's timeout, 1 s (Dramatiq 1.18's command line cannot change it). So the first
message after a quiet spell waited up to a second for its actor, far past the 100 ms commit →
actor-start budget. Capping that backoff bounds the wait; the price is at most about
1000 / idle_poll_ms cheap fetches a second per queue and worker process while the queue is empty.
"""

from __future__ import annotations

from typing import Any

from dramatiq.brokers.redis import RedisBroker


class PromptRedisBroker(RedisBroker):
    """`idle_poll_ms`: the longest an idle consumer sleeps between two fetches; every other
    parameter is RedisBroker's."""

    def __init__(self, *, idle_poll_ms: int, **options: Any) -> None:
        super().__init__(**options)
        self.idle_poll_ms = idle_poll_ms

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 5000) -> Any:
        return super().consume(queue_name, prefetch, min(timeout, self.idle_poll_ms))
