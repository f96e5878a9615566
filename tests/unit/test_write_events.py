"""A transaction's events: published through the outbox, or, when only the audit log hears of
them, written to the audit log in the same transaction and never published."""

from __future__ import annotations

from datetime import timedelta

from payout_service.application import ledger_settlement
from payout_service.application.event_routes import AUDIT_ONLY, BOOKS, ROUTES, consumers_of
from payout_service.application.messages import Envelope
from payout_service.application.write_events import write_events
from payout_service.domain import events
from payout_service.domain.events import DomainEvent
from tests.unit.fakes import START, FakeDatabase, FakeUnitOfWorkFactory

HEADERS = {"request_id": "req-1"}


def event(name: str) -> DomainEvent:
    return DomainEvent(name, "payout", "p-1", {"payout_id": "p-1", "user_id": 7, "currency": "EUR"})


def test_an_event_is_audit_only_exactly_when_the_books_would_only_audit_it() -> None:
    # Given every event this service writes
    names = {v for n, v in vars(events).items() if n.isupper() and isinstance(v, str)}
    names |= set(ROUTES)
    for name in names:
        # Then it is audit-only when the books are its only consumer and settle nothing for it
        # (publishing it would only ever have written its audit row), and published otherwise
        envelope = Envelope("m", name, "payout", "p-1", {}, {}, START)
        books_audit_only = consumers_of(name) == (BOOKS,) and not ledger_settlement.settles(
            envelope
        )
        assert (name in AUDIT_ONLY) == books_audit_only, name


async def test_audit_only_events_go_to_the_audit_log_and_the_rest_to_the_outbox_in_order() -> None:
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
    # Then the success is in the outbox, the acceptance in the audit log alone, with its moment
    # and headers, and the two were written in their order
    assert [(r.event.name, r.headers) for r in committed.outbox] == [
        (events.PAYOUT_SUCCEEDED, HEADERS)
    ]
    assert [(e.event, e.occurred_at, e.headers) for e in committed.audit] == [
        (events.PAYOUT_PROVIDER_ACCEPTED, START, HEADERS)
    ]
    assert committed.events_of("p-1") == [events.PAYOUT_PROVIDER_ACCEPTED, events.PAYOUT_SUCCEEDED]


async def test_nothing_is_kept_of_a_transaction_that_rolls_back() -> None:
    # Given a transaction that writes an audit-only event and does not commit
    uow = FakeUnitOfWorkFactory(FakeDatabase())
    async with uow() as tx:
        await write_events(tx, [(event(events.PAYOUT_PROVIDER_ACCEPTED), START)], HEADERS)
    # Then the audit log holds nothing of it
    assert uow.database.committed.audit == []
