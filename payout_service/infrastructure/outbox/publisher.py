"""Turning outbox rows into Dramatiq messages: one per (row, consumer), and for a batched
consumer one per EVENTS_PER_BATCH_MESSAGE rows of a published batch routed to it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

import dramatiq

from payout_service.application.event_routes import Consumer, consumers_of
from payout_service.infrastructure.db.outbox import OutboxRow
from payout_service.infrastructure.prompt_broker import PromptRedisBroker

_MESSAGE_IDS = uuid.UUID("6f0b7f0e-4c1a-4e53-9a43-5b1d2f1f8a10")
# Events per message of a batched consumer: a relay batch of hundreds of rows still makes
# messages of a reasonable size for Redis and the dashboard, and a failed one cheap to retry.
EVENTS_PER_BATCH_MESSAGE = 100


def dramatiq_message_id(outbox_message_id: str, consumer: Consumer) -> str:
    """Stable per (outbox row, consumer): a republished row gets the same Dramatiq id, and a
    payout's provider-send message can be found again (to abort it) from its outbox row."""
    return str(uuid.uuid5(_MESSAGE_IDS, f"{outbox_message_id}/{consumer.name}"))


def batch_message_id(outbox_message_ids: Sequence[str], consumer: Consumer) -> str:
    """Stable for the same rows: a batch published again gets the same Dramatiq id."""
    return str(uuid.uuid5(_MESSAGE_IDS, f"{','.join(outbox_message_ids)}/{consumer.name}"))


def routes_of(row: OutboxRow) -> tuple[Consumer, ...]:
    return consumers_of(row.event_name, row.headers)


def message_body(row: OutboxRow) -> dict[str, Any]:
    return {
        "message_id": row.message_id,
        "event": row.event_name,
        "aggregate_type": row.aggregate_type,
        "aggregate_id": row.aggregate_id,
        "payload": row.payload,
        "headers": row.headers,
        "occurred_at": row.created_at.isoformat(),
    }


class DramatiqPublisher:
    """Blocking (redis-py is synchronous): callers run it in a worker thread.

    `routes` names each row's consumers; the service's routing table unless told otherwise."""

    def __init__(
        self,
        broker: PromptRedisBroker,
        routes: Callable[[OutboxRow], Sequence[Consumer]] = routes_of,
    ) -> None:
        self._broker = broker
        self._routes = routes

    def publish(self, row: OutboxRow) -> None:
        self._broker.enqueue_many(self._messages([row]))

    def publish_batch(self, rows: Sequence[OutboxRow]) -> list[str | None]:
        """Publishes every row in one Redis round trip; returns each row's error, or None.
        A failed round trip fails the whole batch: the rows stay pending and are retried."""
        try:
            self._broker.enqueue_many(self._messages(rows))
        except Exception as exc:  # the rows stay pending with the reason; the relay retries
            return [f"{type(exc).__name__}: {exc}"] * len(rows)
        return [None] * len(rows)

    def _messages(self, rows: Sequence[OutboxRow]) -> list[dramatiq.Message]:  # type: ignore[type-arg]
        messages = []
        batches: dict[Consumer, list[dict[str, Any]]] = {}
        for row in rows:
            body = message_body(row)
            for consumer in self._routes(row):
                if consumer.batched:
                    batches.setdefault(consumer, []).append(body)
                    continue
                message_id = dramatiq_message_id(row.message_id, consumer)
                messages.append(_message(consumer, {"envelope": body}, message_id))
        for consumer, bodies in batches.items():
            for start in range(0, len(bodies), EVENTS_PER_BATCH_MESSAGE):
                part = bodies[start : start + EVENTS_PER_BATCH_MESSAGE]
                message_id = batch_message_id([b["message_id"] for b in part], consumer)
                messages.append(_message(consumer, {"envelopes": part}, message_id))
        return messages


def _message(consumer: Consumer, kwargs: dict[str, Any], message_id: str) -> dramatiq.Message:  # type: ignore[type-arg]
    return dramatiq.Message(
        queue_name=consumer.queue,
        actor_name=consumer.name,
        args=(),
        kwargs=kwargs,
        options={},
        message_id=message_id,
    )
