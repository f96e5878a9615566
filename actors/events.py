"""The books consumer on the `events` queue: the audit log and ledger settlement of the events an
earlier version left to it (application.keep_books)."""

from __future__ import annotations

import dramatiq

from actors import runtime
from actors.runtime import EnvelopeDict
from payout_service.application.event_routes import BOOKS
from payout_service.application.messages import Envelope


@dramatiq.actor(actor_name=BOOKS.name, queue_name=BOOKS.queue)
@runtime.batch_consumer
async def keep_books(envelopes: list[EnvelopeDict]) -> int:
    services = await runtime.services()
    return await services.keep_books([Envelope.from_dict(e) for e in envelopes])


# These two drain the messages published before the books were one consumer (an audit consumer
# and a ledger consumer, each with its own messages): they hand their events to the books, which
# keep each event once, whichever message brings it.
@dramatiq.actor(actor_name="record_audit", queue_name=BOOKS.queue)
@runtime.batch_consumer
async def record_audit(envelopes: list[EnvelopeDict]) -> int:
    services = await runtime.services()
    return await services.keep_books([Envelope.from_dict(e) for e in envelopes])


@dramatiq.actor(actor_name="settle_ledger", queue_name=BOOKS.queue)
@runtime.consumer
async def settle_ledger(envelope: EnvelopeDict) -> bool:
    services = await runtime.services()
    return await services.keep_books([Envelope.from_dict(envelope)]) == 1
