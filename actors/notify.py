"""The notify consumer on the `notifications` queue: client events to the clients' webhook
endpoints (application.deliver_client_events). It keeps its own retry schedule per delivery,
in the database, so a message fails (and Dramatiq retries it) only when the database does."""

from __future__ import annotations

from typing import Any

import dramatiq

from actors import runtime
from payout_service.application.event_routes import NOTIFY
from payout_service.application.messages import Envelope


@dramatiq.actor(actor_name=NOTIFY.name, queue_name=NOTIFY.queue)
@runtime.consumer
async def notify(envelope: dict[str, Any]) -> bool:
    services = await runtime.services()
    return await services.deliver_client_events(Envelope.from_dict(envelope))
