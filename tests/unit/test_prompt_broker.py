"""The broker every process builds caps how long an idle consumer sleeps between fetches."""

from __future__ import annotations

from payout_service.infrastructure.broker import build_broker
from payout_service.infrastructure.settings import Settings


def test_idle_consumers_look_at_their_queue_at_least_every_idle_poll_interval() -> None:
    # Given the broker built from settings asking for 20 ms (no connection is made)
    broker = build_broker(Settings(redis_url="redis://127.0.0.1:1/0", worker_idle_poll_ms=20))

    # When a Dramatiq worker asks for a consumer with its default 1 s idle timeout
    consumer = broker.consume("events", prefetch=4, timeout=1_000)

    # Then the consumer backs off to 20 ms at most, and a shorter timeout is kept
    assert consumer.timeout == 20
    assert broker.consume("notifications", timeout=5).timeout == 5
