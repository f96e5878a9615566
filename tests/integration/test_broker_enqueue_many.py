"""enqueue_many: a batch of messages in one Redis round trip, even on a Redis that has lost
Dramatiq's scripts (restarted, or flushed)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace

import dramatiq
import pytest
import redis

from payout_service.infrastructure.broker import build_broker
from payout_service.infrastructure.prompt_broker import PromptRedisBroker
from payout_service.infrastructure.settings import Settings


@pytest.fixture
def broker(redis_url: str) -> Iterator[PromptRedisBroker]:
    namespace = f"test-enqueue-{uuid.uuid4().hex[:10]}"
    built = build_broker(replace(Settings(redis_url=redis_url), broker_namespace=namespace))
    yield built
    keys = list(built.client.scan_iter(f"{namespace}:*"))
    if keys:
        built.client.delete(*keys)
    built.close()


def messages(count: int) -> list[dramatiq.Message]:  # type: ignore[type-arg]
    return [
        dramatiq.Message(
            queue_name="events", actor_name="record_audit", args=(), kwargs={"n": n}, options={}
        )
        for n in range(count)
    ]


def script_exists_calls(client: redis.Redis) -> int:
    stats = client.info("commandstats")
    return int(stats.get("cmdstat_script|exists", stats.get("cmdstat_script", {})).get("calls", 0))


def test_a_batch_reaches_redis_after_redis_lost_the_scripts(broker: PromptRedisBroker) -> None:
    # Given a Redis that has forgotten every script
    broker.client.script_flush()

    # When a batch is enqueued
    broker.enqueue_many(messages(3))

    # Then every message is queued
    assert broker.client.hlen(f"{broker.namespace}:events.msgs") == 3


def test_a_batch_is_sent_without_asking_redis_about_its_scripts(broker: PromptRedisBroker) -> None:
    # Given a broker that has enqueued once (the script is loaded)
    broker.enqueue_many(messages(1))
    asked_before = script_exists_calls(broker.client)

    # When it enqueues more batches
    for _ in range(5):
        broker.enqueue_many(messages(4))

    # Then they are all queued, and no batch cost a SCRIPT EXISTS round trip
    assert broker.client.hlen(f"{broker.namespace}:events.msgs") == 21
    assert script_exists_calls(broker.client) == asked_before
