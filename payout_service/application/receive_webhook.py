"""Store a verified provider webhook in the inbox, once; an actor applies it later.

The inbox row and its `provider.webhook.received` outbox message are one transaction. The
event_id is unique: a redelivery of the same payload is answered as a duplicate and writes
nothing; a different payload under a known event_id is kept aside as a conflict for an operator
and never applied. Payloads are compared by the hash of their canonical JSON, so a provider that
re-serialises a retry (other key order or spacing) is still recognised.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from payout_service.application.canonical_json import canonical_sha256
from payout_service.application.event_routes import WEBHOOK_RECEIVED
from payout_service.application.metrics import NO_METRICS
from payout_service.application.ports import (
    RECEIVED,
    Clock,
    InboxEvent,
    Metrics,
    ProviderWebhook,
    UniqueViolation,
    UnitOfWorkFactory,
)
from payout_service.domain.events import DomainEvent

AGGREGATE_TYPE = "provider_webhook"
PAYLOAD_CONFLICT = "payload_conflict"

log = logging.getLogger("payout_service.webhooks")


@dataclass(frozen=True, slots=True)
class WebhookReceipt:
    inbox_event_id: int
    duplicate: bool
    result: str


class ReceiveWebhook:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, metrics: Metrics = NO_METRICS) -> None:
        self._uow = uow
        self._clock = clock
        self._metrics = metrics

    async def __call__(
        self,
        webhook: ProviderWebhook,
        body: Mapping[str, Any],
        raw_payload: str,
        headers: dict[str, str],
    ) -> WebhookReceipt:
        digest = canonical_sha256(body)
        try:
            async with self._uow() as uow:
                known = await uow.webhooks.find(webhook.event_id)
                if known is None:
                    now = self._clock.now()
                    inbox_id = await uow.webhooks.add(webhook, raw_payload, digest, now)
                    await uow.outbox.add(_received_event(inbox_id, webhook), headers, now)
                    await uow.commit()
                    self._metrics.webhook_ingested()
                    return WebhookReceipt(inbox_id, duplicate=False, result=RECEIVED)
        except UniqueViolation:
            # A concurrent delivery of the same event_id committed first; ours rolled back.
            async with self._uow() as uow:
                known = await uow.webhooks.find(webhook.event_id)
            if known is None:
                raise
        return await self._repeated(known, raw_payload, digest)

    async def _repeated(self, known: InboxEvent, raw_payload: str, digest: str) -> WebhookReceipt:
        if known.payload_hash == digest:
            self._metrics.webhook_processed("duplicate")
            return WebhookReceipt(known.id, duplicate=True, result=known.result)
        log.warning(
            "webhook event_id reused with a different payload; kept as a conflict, not applied",
            extra={"event_id": known.webhook.event_id, "inbox_event_id": known.id},
        )
        try:
            async with self._uow() as uow:
                await uow.webhooks.add_conflict(
                    known.webhook.event_id, raw_payload, digest, self._clock.now()
                )
                await uow.commit()
        except UniqueViolation:
            pass  # this conflicting payload was stored already
        self._metrics.webhook_processed(PAYLOAD_CONFLICT)
        return WebhookReceipt(known.id, duplicate=True, result=PAYLOAD_CONFLICT)


def _received_event(inbox_id: int, webhook: ProviderWebhook) -> DomainEvent:
    return DomainEvent(
        WEBHOOK_RECEIVED,
        AGGREGATE_TYPE,
        str(inbox_id),
        {
            "inbox_event_id": inbox_id,
            "event_id": webhook.event_id,
            "provider_payout_id": webhook.provider_payout_id,
            "reference": webhook.reference,
            "status": str(webhook.status),
            "occurred_at": webhook.occurred_at.isoformat(),
        },
    )
