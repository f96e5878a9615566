"""Which consumer reacts to which event: the one table to read.

The relay publishes one message per (event, consumer) pair. Each consumer is one Dramatiq actor
on its queue, and applies a message at most once in effect through the consumer inbox.
"""

from __future__ import annotations

from dataclasses import dataclass

from payout_service.domain import events


@dataclass(frozen=True, slots=True)
class Consumer:
    name: str  # the actor's name and the consumer inbox's key
    queue: str


AUDIT = Consumer("record_audit", "events")
LEDGER = Consumer("settle_ledger", "events")
PROVIDER_SEND = Consumer("send_payout", "provider-send")
WEBHOOK_APPLY = Consumer("apply_webhook", "inbox")

WEBHOOK_RECEIVED = "provider.webhook.received"

ROUTES: dict[str, tuple[Consumer, ...]] = {
    events.PAYOUT_CREATED: (AUDIT, PROVIDER_SEND),
    events.PAYOUT_PROVIDER_ACCEPTED: (AUDIT,),
    events.PAYOUT_SUCCEEDED: (AUDIT, LEDGER),
    events.PAYOUT_FAILED: (AUDIT, LEDGER),
    events.PAYOUT_CANCELLED: (AUDIT, LEDGER),
    WEBHOOK_RECEIVED: (AUDIT, WEBHOOK_APPLY),
}


def consumers_of(event_name: str) -> tuple[Consumer, ...]:
    return ROUTES.get(event_name, (AUDIT,))
