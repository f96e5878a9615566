"""The relay's publisher makes one message per (event, consumer), but one per published batch
for a batched consumer: the books (audit log and ledger), and the notify consumer of the client
events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import dramatiq

from payout_service.application.event_routes import BOOKS, NOTIFY, PROVIDER_SEND
from payout_service.domain.events import (
    PAYOUT_CREATED,
    PAYOUT_FAILED,
    PAYOUT_PROCESSING,
    PAYOUT_SUCCEEDED,
)
from payout_service.infrastructure.db.outbox import OutboxRow
from payout_service.infrastructure.outbox.publisher import (
    EVENTS_PER_BATCH_MESSAGE,
    DramatiqPublisher,
    batch_message_id,
)
from payout_service.infrastructure.prompt_broker import PromptRedisBroker
from tests.unit.fakes import START


class RecordingBroker:
    def __init__(self) -> None:
        self.enqueued: list[dramatiq.Message] = []  # type: ignore[type-arg]

    def enqueue_many(self, messages: Sequence[dramatiq.Message]) -> None:  # type: ignore[type-arg]
        self.enqueued.extend(messages)


def row(n: int, event: str) -> OutboxRow:
    payout_id = f"p-{n}"
    payload = {"payout_id": payout_id, "user_id": 7, "version": 1}
    return OutboxRow(n, f"msg-{n}", event, "payout", payout_id, payload, {}, 0, START)


def published(rows: Sequence[OutboxRow]) -> list[dramatiq.Message]:  # type: ignore[type-arg]
    broker = RecordingBroker()
    publisher = DramatiqPublisher(cast(PromptRedisBroker, broker))
    assert publisher.publish_batch(rows) == [None] * len(rows)
    return broker.enqueued


def to(consumer_name: str, messages: list[Any]) -> list[Any]:
    return [m for m in messages if m.actor_name == consumer_name]


def test_a_published_batch_makes_one_notify_message_with_its_client_events_in_order() -> None:
    events = (PAYOUT_CREATED, PAYOUT_PROCESSING, PAYOUT_SUCCEEDED)
    rows = [row(n, events[n % 3]) for n in range(30)]

    (message,) = to(NOTIFY.name, published(rows))

    assert message.queue_name == NOTIFY.queue
    assert [e["message_id"] for e in message.kwargs["envelopes"]] == [r.message_id for r in rows]
    assert message.message_id == batch_message_id([r.message_id for r in rows], NOTIFY)


def test_a_batch_past_the_events_per_message_makes_as_many_notify_messages_as_it_needs() -> None:
    rows = [row(n, PAYOUT_PROCESSING) for n in range(EVENTS_PER_BATCH_MESSAGE + 1)]

    messages = to(NOTIFY.name, published(rows))

    assert [len(m.kwargs["envelopes"]) for m in messages] == [EVENTS_PER_BATCH_MESSAGE, 1]


def test_an_unbatched_consumer_still_gets_a_message_per_event() -> None:
    rows = [row(n, PAYOUT_CREATED) for n in range(3)]

    messages = to(PROVIDER_SEND.name, published(rows))

    assert [m.kwargs["envelope"]["message_id"] for m in messages] == ["msg-0", "msg-1", "msg-2"]


def test_a_published_batch_makes_one_events_message_for_its_audit_and_its_payout_ends() -> None:
    events = (PAYOUT_CREATED, PAYOUT_PROCESSING, PAYOUT_SUCCEEDED, PAYOUT_FAILED)
    rows = [row(n, events[n % 4]) for n in range(8)]

    (message,) = [m for m in published(rows) if m.queue_name == BOOKS.queue]

    assert message.actor_name == BOOKS.name
    carried = [e["message_id"] for e in message.kwargs["envelopes"]]
    assert carried == [r.message_id for r in rows]
