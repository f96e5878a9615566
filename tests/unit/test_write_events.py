"""A transaction's events: every one to the audit log in the same transaction, and those a
consumer acts on through the outbox too, marked as booked."""

from __future__ import annotations

from datetime import timedelta

from payout_service.application.event_routes import (
    BOOKS,
    BOOKS_KEPT,
    NOTIFY,
    ROUTES,
    consumers_of,
    is_published,
)
from payout_service.application.write_events import write_events
from payout_service.domain import events
from payout_service.domain.events import DomainEvent
from tests.unit.fakes import START, FakeDatabase, FakeUnitOfWorkFactory

HEADERS = {"request_id": "req-1"}
KEPT = dict([BOOKS_KEPT])


def event(name: str) -> DomainEvent:
    return DomainEvent(name, "payout", "p-1", {"payout_id": "p-1", "user_id": 7, "currency": "EUR"})


def test_the_books_hear_of_a_row_only_when_its_transaction_did_not_keep_them() -> None:
    # Given every event this service routes
    for name in ROUTES:
        # Then a row its transaction kept the books of goes to the consumers that act on it, and
        # one an earlier version wrote (no mark) to the books as well
        assert BOOKS not in consumers_of(name, {**HEADERS, **KEPT}), name
        assert consumers_of(name, HEADERS) == (BOOKS, *consumers_of(name, KEPT)), name
        assert is_published(name) == bool(consumers_of(name, KEPT)), name
    # And an event this version does not know, from an earlier one, still reaches the books
    assert consumers_of("payout.something_old", HEADERS) == (BOOKS,)
    assert consumers_of(events.PAYOUT_SUCCEEDED, KEPT) == (NOTIFY,)


async def test_every_event_is_audited_and_the_ones_acted_on_go_to_the_outbox_in_order() -> None:
    # Given a transaction writing an acceptance and a success (a provider's record adopted)
    uow = FakeUnitOfWorkFactory(FakeDatabase())
    later = START + timedelta(seconds=1)
    async with uow() as tx:
        # When its events are written
        await write_events(
            tx,
            [
                (event(events.PAYOUT_PROVIDER_ACCEPTED), START),
                (event(events.PAYOUT_SUCCEEDED), later),
            ],
            HEADERS,
        )
        await tx.commit()
    committed = uow.database.committed
    # Then the success is in the outbox, marked as booked; both are in the audit log with their
    # moments and headers, the success under its outbox row's message id
    assert [(r.event.name, r.headers) for r in committed.outbox] == [
        (events.PAYOUT_SUCCEEDED, {**HEADERS, **KEPT})
    ]
    assert [(e.event, e.occurred_at, e.headers) for e in committed.audit] == [
        (events.PAYOUT_PROVIDER_ACCEPTED, START, HEADERS),
        (events.PAYOUT_SUCCEEDED, later, HEADERS),
    ]
    assert committed.audit[1].message_id == committed.outbox[0].message_id
    assert committed.audit[0].message_id != committed.outbox[0].message_id
    assert committed.events_of("p-1") == [events.PAYOUT_PROVIDER_ACCEPTED, events.PAYOUT_SUCCEEDED]


async def test_nothing_is_kept_of_a_transaction_that_rolls_back() -> None:
    # Given a transaction that writes an audit-only and a published event and does not commit
    uow = FakeUnitOfWorkFactory(FakeDatabase())
    async with uow() as tx:
        await write_events(
            tx,
            [(event(events.PAYOUT_PROVIDER_ACCEPTED), START), (event(events.PAYOUT_FAILED), START)],
            HEADERS,
        )
    # Then neither the audit log nor the outbox holds anything of it
    assert uow.database.committed.audit == []
    assert uow.database.committed.outbox == []
