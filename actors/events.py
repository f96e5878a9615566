"""Consumers of domain events on the `events` queue: audit log and ledger settlement."""

from __future__ import annotations

from typing import Any

import dramatiq

from actors import runtime
from payout_service.application.event_routes import AUDIT, LEDGER
from payout_service.application.messages import Envelope


@dramatiq.actor(actor_name=AUDIT.name, queue_name=AUDIT.queue)
@runtime.batch_consumer
async def record_audit(envelopes: list[dict[str, Any]]) -> int:
    services = await runtime.services()
    return await services.record_audit([Envelope.from_dict(e) for e in envelopes])


@dramatiq.actor(actor_name=LEDGER.name, queue_name=LEDGER.queue)
@runtime.consumer
async def settle_ledger(envelope: dict[str, Any]) -> bool:
    services = await runtime.services()
    return await services.settle_ledger(Envelope.from_dict(envelope))
