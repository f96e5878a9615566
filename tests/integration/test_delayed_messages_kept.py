"""A delayed message (a retry waiting for its time) survives its consumer's restart after a
Redis connection error: Dramatiq 1.18 drops the consumer's in-memory delay queue then, leaving
the message in the ack set of a live worker, where no one requeued it (a payout's retry lost)."""

from __future__ import annotations

import uuid

import dramatiq
import redis

from payout_service.infrastructure.broker import build_broker
from payout_service.infrastructure.settings import Settings


def test_a_new_delay_queue_consumer_gets_back_what_its_worker_held(redis_url: str) -> None:
    # Given a broker of its own namespace and a retry due in an hour on queue "sends"
    namespace = f"delayed-{uuid.uuid4().hex[:8]}"
    broker = build_broker(Settings(redis_url=redis_url, broker_namespace=namespace))
    message: dramatiq.Message = dramatiq.Message(  # type: ignore[type-arg]
        queue_name="sends", actor_name="send_payout", args=(), kwargs={}, options={}
    )
    broker.enqueue(message, delay=3_600_000)
    try:
        # And a consumer of the delay queue that fetched it (it is now held by this worker)
        first = broker.consume("sends.DQ", prefetch=1, timeout=20)
        held = next(m for m in iter(first.__next__, "never") if m is not None)
        assert held.message_id == message.message_id
        # When the consumer thread starts a new consumer, as it does after a connection error,
        # having dropped what it held in memory
        second = broker.consume("sends.DQ", prefetch=1, timeout=20)
        # Then the new consumer fetches the message again, due time and all
        again = next(m for m in (next(second) for _ in range(50)) if m is not None)
        assert again.message_id == message.message_id
        assert again.options["eta"] == held.options["eta"]
    finally:
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(f"{namespace}:*"))
        if keys:
            client.delete(*keys)
        broker.close()
