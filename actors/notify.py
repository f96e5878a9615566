"""The notify consumer on the `notifications` queue: client events to the clients' webhook
endpoints (application.deliver_client_events), one message per published batch. It keeps its own
retry schedule per delivery, in the database, so a message fails (and Dramatiq retries it) only
when the database does."""

from __future__ import annotations

import dramatiq

from actors import runtime
from actors.runtime import EnvelopeDict
from payout_service.application.event_routes import NOTIFY
from payout_service.application.messages import Envelope


@runtime.batch_consumer
async def notify(envelopes: list[EnvelopeDict]) -> int:
    services = await runtime.services()
    return await services.deliver_client_events([Envelope.from_dict(e) for e in envelopes])


@dramatiq.actor(actor_name=NOTIFY.name, queue_name=NOTIFY.queue)
async def notify_actor(
    envelopes: list[EnvelopeDict] | None = None, envelope: EnvelopeDict | None = None
) -> None:
    """`envelope`: one event, the shape published before NOTIFY was batched; it drains such
    messages left in Redis at an upgrade."""
    if envelope is not None:
        envelopes = [envelope]
    await notify(envelopes or [])
