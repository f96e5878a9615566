"""Which consumer reacts to which event: the one table to read.

The relay publishes one message per (event, consumer) pair, except to a batched consumer, which
gets one message per published batch carrying every event of the batch routed to it. Each consumer
is one Dramatiq actor on its queue, and applies an event at most once in effect through the
processed messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from payout_service.domain import client_events, events


@dataclass(frozen=True, slots=True)
class Consumer:
    name: str  # the actor's name and its key among the processed messages
    queue: str
    batched: bool = False  # its actor takes `envelopes` (a list), not one `envelope`


# The books of events written before they were kept in the events' own transaction (an outbox row
# without BOOKS_KEPT in its headers): the audit log, written for every event, and the ledger,
# settled by the events that end or return a payout. One batched consumer for both.
BOOKS = Consumer("keep_books", "events", batched=True)
PROVIDER_SEND = Consumer("send_payout", "provider-send")
WEBHOOK_APPLY = Consumer("apply_webhook", "inbox")
# Client events to the clients' webhook endpoints: every client-visible payout and batch event
# (domain.events.CLIENT_VISIBLE, BATCH_CLIENT_VISIBLE) of a user with an endpoint (UNHEARD), and
# the API's requests to deliver or ping. Batched: one query for a batch finds whose events to skip
# (rows of earlier versions, written before UNHEARD), where one message per event cost a worker
# turn and a transaction each for nothing.
NOTIFY = Consumer("notify", "notifications", batched=True)

# A provider webhook stored unapplied (applying it as it came failed), for the inbox to apply;
# and one stored and applied at once, which only the audit log hears of.
WEBHOOK_RECEIVED = "provider.webhook.received"
WEBHOOK_APPLIED = "provider.webhook.applied"

# Every event is also written to the audit log, and each payout's end or return posted to the
# ledger, by the transaction that writes it (application.write_events, application.saved_events):
# an event no consumer acts on is never published.
ROUTES: dict[str, tuple[Consumer, ...]] = {
    events.PAYOUT_CREATED: (PROVIDER_SEND, NOTIFY),
    events.PAYOUT_PROCESSING: (NOTIFY,),
    events.PAYOUT_SEND_REQUESTED: (PROVIDER_SEND,),
    events.PAYOUT_PROVIDER_ACCEPTED: (),
    events.PAYOUT_SUCCEEDED: (NOTIFY,),
    events.PAYOUT_FAILED: (NOTIFY,),
    events.PAYOUT_CANCELLED: (NOTIFY,),
    events.PAYOUT_RETURNED: (NOTIFY,),
    events.PAYOUT_NEEDS_REVIEW: (NOTIFY,),
    events.PAYOUT_REVIEW_RESOLVED: (),
    events.PAYOUT_BATCH_CREATED: (NOTIFY,),
    events.PAYOUT_BATCH_COMPLETED: (NOTIFY,),
    WEBHOOK_RECEIVED: (WEBHOOK_APPLY,),
    WEBHOOK_APPLIED: (),
    client_events.DELIVERIES_REQUESTED: (NOTIFY,),
    client_events.PING_REQUESTED: (NOTIFY,),
}

# The header of every outbox row whose transaction kept its books. A row without it was written
# by an earlier version, which left the audit row and the ledger to the books consumer: it still
# goes there as well (consumers_of).
BOOKS_KEPT = ("books", "kept")


def booked(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers, marked as those of a row whose transaction kept its books."""
    key, value = BOOKS_KEPT
    return {**headers, key: value}


# The header of an outbox row whose client-visible event no endpoint hears: its user had none
# that was not disabled when its transaction held the user's event counter (saved_events). The
# row does not go to NOTIFY, and an event that only NOTIFY acts on gets no row at all. An
# endpoint registered later starts after the sequence it reads under that counter's lock, so
# it would receive none of these events anyway.
UNHEARD = ("endpoints", "none")


def unheard(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers, marked as those of a row no client endpoint hears."""
    key, value = UNHEARD
    return {**headers, key: value}


# Events that open their aggregate's stream, written in the transaction that creates the aggregate:
# no earlier event of it can be waiting, so they may go out without the ordering check.
OPENING_EVENTS = frozenset({events.PAYOUT_CREATED, WEBHOOK_RECEIVED, WEBHOOK_APPLIED})


def consumers_of(event_name: str, headers: Mapping[str, str]) -> tuple[Consumer, ...]:
    """The consumers of an outbox row's event, given the row's headers."""
    key, value = BOOKS_KEPT
    routes = routes_of_event(event_name, heard=headers.get(UNHEARD[0]) != UNHEARD[1])
    return routes if headers.get(key) == value else (BOOKS, *routes)


def routes_of_event(event_name: str, heard: bool = True) -> tuple[Consumer, ...]:
    """The consumers of an event; `heard`: whether a client endpoint may hear of it (UNHEARD)."""
    routes = ROUTES.get(event_name, ())
    return routes if heard else tuple(c for c in routes if c != NOTIFY)


def is_published(event_name: str, heard: bool = True) -> bool:
    """Whether a consumer acts on the event: the others are only written to the audit log."""
    return bool(routes_of_event(event_name, heard))


def service_queues() -> list[str]:
    """Every queue a consumer listens on, sorted (the books' too, for rows of earlier versions)."""
    queues = {consumer.queue for consumers in ROUTES.values() for consumer in consumers}
    return sorted(queues | {BOOKS.queue})
