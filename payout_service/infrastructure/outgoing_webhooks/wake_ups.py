"""DramatiqDeliveryWakeUps: the DeliveryWakeUps port as Dramatiq messages to the notify actor,
delayed until the wake-up is due: each carries a DELIVERIES_REQUESTED envelope for the endpoint,
in the batched shape the relay publishes (`envelopes`, a list).

They are not outbox rows: a retry's wake-up is written after its attempt is recorded, and one
lost (a worker or Redis gone before it is due) only delays the endpoint's deliveries until
reconciliation finds them overdue and asks again through the outbox.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

import dramatiq

from payout_service.application.event_routes import NOTIFY
from payout_service.domain.client_events import DELIVERIES_REQUESTED, ENDPOINT_AGGREGATE
from payout_service.infrastructure.prompt_broker import PromptRedisBroker

log = logging.getLogger("payout_service.notify")


class DramatiqDeliveryWakeUps:
    def __init__(self, broker: PromptRedisBroker) -> None:
        self._broker = broker

    async def wake_at(self, endpoint_id: str, at: datetime) -> None:
        now = datetime.now(UTC)
        envelope = {
            "message_id": str(uuid.uuid4()),
            "event": DELIVERIES_REQUESTED,
            "aggregate_type": ENDPOINT_AGGREGATE,
            "aggregate_id": endpoint_id,
            "payload": {"endpoint_id": endpoint_id},
            "headers": {},
            "occurred_at": now.isoformat(),
        }
        message = dramatiq.Message(  # type: ignore[var-annotated]
            queue_name=NOTIFY.queue,
            actor_name=NOTIFY.name,
            args=(),
            kwargs={"envelopes": [envelope]},
            options={},
        )
        delay_ms = int((at - now).total_seconds() * 1000)
        try:
            if delay_ms > 0:
                await asyncio.to_thread(self._broker.enqueue, message, delay=delay_ms)
            else:  # due now: wake an idle consumer at once
                await asyncio.to_thread(self._broker.enqueue_many, [message])
        except Exception as exc:  # the sweep asks again; say so and go on
            log.warning("could not schedule a webhook delivery wake-up: %s", exc)


class NoDeliveryWakeUps:
    """Without a broker (no REDIS_URL) nothing can be scheduled: reconciliation's sweep, and
    the messages that come through the outbox, send what is due."""

    async def wake_at(self, endpoint_id: str, at: datetime) -> None:
        return None
