"""What a worker's consumer held survives the consumer's restart after a Redis connection error.
Dramatiq 1.18 starts a new consumer then, and the messages of the live worker's ack set that it
does not hold in hand were never requeued: a delayed message (a retry waiting for its time,
dropped from the consumer thread's memory: a payout's retry lost) and a message whose fetch ran in
Redis but whose answer the connection lost (a notification batch lost in a chaos run)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import dramatiq
import pytest

from payout_service.infrastructure.broker import build_broker
from payout_service.infrastructure.prompt_broker import PromptRedisBroker
from payout_service.infrastructure.settings import Settings


@pytest.fixture
def broker(redis_url: str) -> Iterator[PromptRedisBroker]:
    namespace = f"restart-{uuid.uuid4().hex[:8]}"
    built = build_broker(Settings(redis_url=redis_url, broker_namespace=namespace))
    yield built
    keys = list(built.client.scan_iter(f"{namespace}:*"))
    if keys:
        built.client.delete(*keys)
    built.close()


def notification() -> dramatiq.Message:  # type: ignore[type-arg]
    return dramatiq.Message(
        queue_name="notifications", actor_name="notify", args=(), kwargs={}, options={}
    )


def first_message(consumer: object, turns: int = 50) -> dramatiq.Message | None:  # type: ignore[type-arg]
    """The first message a consumer yields in `turns` turns (each waits its short timeout)."""
    return next((m for m in (next(consumer) for _ in range(turns)) if m is not None), None)  # type: ignore[call-overload]


def acks_key(broker: PromptRedisBroker, queue: str) -> str:
    return f"{broker.namespace}:__acks__.{broker.broker_id}.{queue}"


def test_a_message_whose_fetch_answer_was_lost_is_fetched_by_the_next_consumer(
    broker: PromptRedisBroker,
) -> None:
    # Given a queued notification batch
    message = notification()
    broker.enqueue(message)
    # And a consumer whose fetch ran in Redis (the message is now in this worker's ack set) but
    # whose answer never reached it: the connection broke
    broker.consume("notifications", prefetch=2, timeout=20)
    broker.do_fetch("notifications", 1)
    assert broker.client.scard(acks_key(broker, "notifications")) == 1

    # When the consumer thread starts a new consumer, as it does after a connection error
    consumer = broker.consume("notifications", prefetch=2, timeout=20)

    # Then the new consumer fetches the message
    again = first_message(consumer)
    assert again is not None and again.message_id == message.message_id


def test_a_message_in_hand_is_not_given_back_by_the_next_consumer(
    broker: PromptRedisBroker,
) -> None:
    # Given a message handed to the worker (its thread still runs it) by a consumer
    message = notification()
    broker.enqueue(message)
    first = broker.consume("notifications", prefetch=2, timeout=20)
    in_hand = first_message(first)
    assert in_hand is not None and in_hand.message_id == message.message_id

    # When the consumer thread starts a new consumer
    second = broker.consume("notifications", prefetch=2, timeout=20)

    # Then the new consumer does not fetch it a second time
    assert first_message(second, turns=10) is None
    # And the worker acks it through the new consumer: nothing is left in Redis
    second.ack(in_hand)
    assert broker.client.scard(acks_key(broker, "notifications")) == 0
    assert broker.client.hlen(f"{broker.namespace}:notifications.msgs") == 0
    # And a consumer started after that finds nothing to give back
    assert first_message(broker.consume("notifications", prefetch=2, timeout=20), 5) is None


def test_a_new_delay_queue_consumer_gets_back_what_its_worker_held(
    broker: PromptRedisBroker,
) -> None:
    # Given a retry due in an hour on queue "sends"
    message: dramatiq.Message = dramatiq.Message(  # type: ignore[type-arg]
        queue_name="sends", actor_name="send_payout", args=(), kwargs={}, options={}
    )
    broker.enqueue(message, delay=3_600_000)
    # And a consumer of the delay queue that fetched it (it is now held by this worker)
    first = broker.consume("sends.DQ", prefetch=1, timeout=20)
    held = first_message(first)
    assert held is not None and held.message_id == message.message_id

    # When the consumer thread starts a new consumer, as it does after a connection error,
    # having dropped what it held in memory
    second = broker.consume("sends.DQ", prefetch=1, timeout=20)

    # Then the new consumer fetches the message again, due time and all
    again = first_message(second)
    assert again is not None and again.message_id == message.message_id
    assert again.options["eta"] == held.options["eta"]
