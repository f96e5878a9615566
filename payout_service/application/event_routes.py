"""Which consumer reacts to which event: the one table to read.

The relay publishes one message per (event, consumer) pair, except to a batched consumer, which
gets one message per published batch carrying every event of the batch routed to it. Each consumer
is one Dramatiq actor on its queue, and applies an event at most once in effect through the
processed messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from payout_service.domain import client_events, events


@dataclass(frozen=True, slots=True)
class Consumer:
    name: str  # the actor's name and its key among the processed messages
    queue: str
    batched: bool = False  # its actor takes `envelopes` (a list), not one `envelope`


# The books: the audit log, written for every published event, and the ledger, settled by the
# events that end or return a payout. One batched consumer for both: most events also go to
# another consumer, and one message per published batch saves a message, a transaction and a
# worker turn per event.
BOOKS = Consumer("keep_books", "events", batched=True)
PROVIDER_SEND = Consumer("send_payout", "provider-send")
WEBHOOK_APPLY = Consumer("apply_webhook", "inbox")
# Client events to the clients' webhook endpoints: every client-visible payout and batch event
# (domain.events.CLIENT_VISIBLE, BATCH_CLIENT_VISIBLE), and the API's requests to deliver or ping.
# Batched: most users have no endpoint, and one query for a batch finds whose events to skip,
# where one message per event cost a worker turn and a transaction each for nothing.
NOTIFY = Consumer("notify", "notifications", batched=True)

# A provider webhook stored unapplied (applying it as it came failed), for the inbox to apply;
# and one stored and applied at once, which only the audit log hears of.
WEBHOOK_RECEIVED = "provider.webhook.received"
WEBHOOK_APPLIED = "provider.webhook.applied"

ROUTES: dict[str, tuple[Consumer, ...]] = {
    events.PAYOUT_CREATED: (BOOKS, PROVIDER_SEND, NOTIFY),
    events.PAYOUT_PROCESSING: (BOOKS, NOTIFY),
    events.PAYOUT_SEND_REQUESTED: (BOOKS, PROVIDER_SEND),
    events.PAYOUT_PROVIDER_ACCEPTED: (BOOKS,),
    events.PAYOUT_SUCCEEDED: (BOOKS, NOTIFY),
    events.PAYOUT_FAILED: (BOOKS, NOTIFY),
    events.PAYOUT_CANCELLED: (BOOKS, NOTIFY),
    events.PAYOUT_RETURNED: (BOOKS, NOTIFY),
    events.PAYOUT_NEEDS_REVIEW: (BOOKS, NOTIFY),
    events.PAYOUT_REVIEW_RESOLVED: (BOOKS,),
    events.PAYOUT_BATCH_CREATED: (BOOKS, NOTIFY),
    events.PAYOUT_BATCH_COMPLETED: (BOOKS, NOTIFY),
    WEBHOOK_RECEIVED: (BOOKS, WEBHOOK_APPLY),
    WEBHOOK_APPLIED: (BOOKS,),
    client_events.DELIVERIES_REQUESTED: (BOOKS, NOTIFY),
    client_events.PING_REQUESTED: (BOOKS, NOTIFY),
}


# Events no consumer acts on: only the audit log hears of them, so they are written to it in their
# own transaction and never published (application.write_events). Their routes stay for rows an
# earlier version wrote to the outbox.
AUDIT_ONLY = frozenset(
    {events.PAYOUT_PROVIDER_ACCEPTED, events.PAYOUT_REVIEW_RESOLVED, WEBHOOK_APPLIED}
)

# Events that open their aggregate's stream, written in the transaction that creates the aggregate:
# no earlier event of it can be waiting, so they may go out without the ordering check.
OPENING_EVENTS = frozenset({events.PAYOUT_CREATED, WEBHOOK_RECEIVED, WEBHOOK_APPLIED})


def consumers_of(event_name: str) -> tuple[Consumer, ...]:
    return ROUTES.get(event_name, (BOOKS,))


def service_queues() -> list[str]:
    """Every queue a consumer listens on, sorted."""
    return sorted({consumer.queue for consumers in ROUTES.values() for consumer in consumers})
