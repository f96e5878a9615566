"""The webhook inbox's consumer on the `inbox` queue: applies each stored provider webhook once."""

from __future__ import annotations

from typing import Any

import dramatiq

from actors import runtime
from payout_service.application.event_routes import WEBHOOK_APPLY
from payout_service.application.messages import Envelope


@dramatiq.actor(actor_name=WEBHOOK_APPLY.name, queue_name=WEBHOOK_APPLY.queue)
@runtime.consumer
async def apply_webhook(envelope: dict[str, Any]) -> bool:
    services = await runtime.services()
    return await services.apply_webhook(Envelope.from_dict(envelope))
