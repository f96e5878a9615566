"""enqueue_many: a batch of messages in one Redis round trip, even on a Redis that has lost
Dramatiq's scripts (restarted, or flushed)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace

import dramatiq
import pytest
import redis

from payout_service.infrastructure.broker import build_broker
from payout_service.infrastructure.prompt_broker import DELAYED_POLL_MS, PromptRedisBroker
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
            queue_name="events", actor_name="keep_books", args=(), kwargs={"n": n}, options={}
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


@pytest.mark.parametrize("enqueue", ["batch", "one", "delayed"])
def test_an_idle_consumer_is_woken_by_an_enqueue_instead_of_sleeping_out_its_backoff(
    redis_url: str, broker: PromptRedisBroker, enqueue: str
) -> None:
    # Given a consumer allowed to wait 10 s when idle, idle long enough for its backoff to reach
    # that maximum (of the delay queue, for a delayed message: Dramatiq's retries go there)
    patient = build_broker(
        replace(
            Settings(redis_url=redis_url, worker_idle_poll_ms=10_000),
            broker_namespace=broker.namespace,
        )
    )
    queue = "events.DQ" if enqueue == "delayed" else "events"
    consumer = patient.consume(queue, prefetch=1, timeout=10_000)
    # (a delay queue's consumer looks every DELAYED_POLL_MS, since the delayed messages it holds
    # go back to their queue only between two waits: not long enough to tell a wake-up apart)
    assert consumer.timeout == (DELAYED_POLL_MS if enqueue == "delayed" else 10_000)
    consumer.timeout = 10_000
    consumer.misses = 30
    waited: list[float] = []

    def idle_turn() -> None:
        started = time.monotonic()
        assert next(consumer) is None  # nothing to fetch: it waits
        waited.append(time.monotonic() - started)

    # When a message is enqueued while it waits: in a batch (the relay, the fast paths), alone
    # (Dramatiq putting a due delayed message back), or delayed (Dramatiq's retry)
    waiting = threading.Thread(target=idle_turn)
    waiting.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any(
        c.get("cmd") == "blpop" for c in broker.client.client_list()
    ):
        time.sleep(0.01)  # until Redis shows the consumer blocked on its wake list
    (message,) = messages(1)
    if enqueue == "batch":
        broker.enqueue_many([message])
    else:
        broker.enqueue(message, delay=1 if enqueue == "delayed" else None)
    waiting.join(timeout=15)

    # Then its wait ended well before the backoff, and its next turn takes the message
    assert waited and waited[0] < 5, waited
    fetched = next(consumer)
    assert fetched is not None and fetched.kwargs == {"n": 0}
    patient.close()


def evalsha_calls(client: redis.Redis) -> int:
    return int(client.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0))


def test_a_consumer_that_drained_its_queue_waits_before_it_fetches_again(
    broker: PromptRedisBroker,
) -> None:
    # Given two messages queued, whose enqueues left wake tokens, and a consumer with room for
    # more than that
    broker.enqueue_many(messages(2))
    wake = broker.wake_key("events")
    assert broker.client.llen(wake) > 0
    consumer = broker.consume("events", prefetch=4, timeout=50)
    fetches_before = evalsha_calls(broker.client)
    # When it takes them, and then finds nothing
    taken = [next(consumer), next(consumer)]
    assert next(consumer) is None
    # Then one fetch took both and cleared the tokens they left: the turn that found nothing
    # waited on the wake list instead of fetching (the waiting turn found no token to end it)
    assert [m.kwargs["n"] for m in taken if m is not None] == [0, 1]
    assert evalsha_calls(broker.client) - fetches_before == 1
    assert broker.client.llen(wake) == 0
    # And a message enqueued after that is fetched on the next turn
    broker.enqueue_many(messages(1))
    fetched = next(consumer)
    assert fetched is not None and fetched.kwargs == {"n": 0}
