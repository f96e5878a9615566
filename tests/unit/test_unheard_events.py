"""A client-visible event goes to the notify consumer only when its user has a webhook endpoint
that is not disabled, as the writing transaction finds under the user's event counter; the event
is still numbered in the client event log and written to the audit log either way."""

from __future__ import annotations

from payout_service.application.event_routes import (
    NOTIFY,
    PROVIDER_SEND,
    booked,
    consumers_of,
    unheard,
)
from payout_service.domain import events
from tests.unit.fakes import START, FakeDatabase, FakeUnitOfWorkFactory, new_payout

USER = 7


async def created_then_processing(database: FakeDatabase) -> None:
    """Payout p-1 of USER created in one transaction, handed to sending in another."""
    uow = FakeUnitOfWorkFactory(database)
    async with uow({"request_id": "create"}) as tx:
        await tx.payouts.add(new_payout(user_id=USER))
        await tx.commit()
    async with uow({"request_id": "send"}) as tx:
        payout = await tx.payouts.get_for_update("p-1")
        assert payout is not None
        payout.start_processing(START)
        await tx.payouts.update(payout)
        await tx.commit()


def routed(database: FakeDatabase) -> list[tuple[str, tuple[str, ...]]]:
    """Each outbox row's event and the consumers its message goes to."""
    return [
        (row.event.name, tuple(c.name for c in consumers_of(row.event.name, row.headers)))
        for row in database.committed.outbox
    ]


async def test_without_an_endpoint_only_the_sender_hears_of_a_payout() -> None:
    database = FakeDatabase()
    # When a payout of a user with no webhook endpoint is created and handed to sending
    await created_then_processing(database)
    # Then payout.created goes to the sender alone, marked as unheard, and payout.processing,
    # which only notify acts on, gets no outbox row at all
    assert routed(database) == [(events.PAYOUT_CREATED, (PROVIDER_SEND.name,))]
    assert database.committed.outbox[0].headers == unheard(booked({"request_id": "create"}))
    # And both are still in the client event log, numbered without a gap, and audited
    log = [(e.type, e.sequence) for e in database.committed.client_events]
    assert log == [(events.PAYOUT_CREATED, 1), (events.PAYOUT_PROCESSING, 2)]
    assert [e.event for e in database.committed.audit] == [
        events.PAYOUT_CREATED,
        events.PAYOUT_PROCESSING,
    ]


async def test_with_an_endpoint_notify_hears_of_every_client_visible_event() -> None:
    database = FakeDatabase()
    # Given a user with a webhook endpoint
    database.add_endpoint(USER)
    # When a payout of theirs is created and handed to sending
    await created_then_processing(database)
    # Then both events go to notify, and payout.created to the sender too
    assert routed(database) == [
        (events.PAYOUT_CREATED, (PROVIDER_SEND.name, NOTIFY.name)),
        (events.PAYOUT_PROCESSING, (NOTIFY.name,)),
    ]


async def test_a_disabled_endpoint_hears_nothing() -> None:
    database = FakeDatabase()
    # Given a user whose only webhook endpoint is disabled
    database.add_endpoint(USER).disable(START)
    # When a payout of theirs is created and handed to sending
    await created_then_processing(database)
    # Then notify hears of neither event
    assert routed(database) == [(events.PAYOUT_CREATED, (PROVIDER_SEND.name,))]


async def test_another_users_endpoint_does_not_count() -> None:
    database = FakeDatabase()
    database.add_endpoint(USER + 1)
    await created_then_processing(database)
    assert routed(database) == [(events.PAYOUT_CREATED, (PROVIDER_SEND.name,))]


async def test_the_endpoints_are_read_under_lock_once_per_transaction() -> None:
    database = FakeDatabase()
    await created_then_processing(database)
    assert database.endpoint_queries == [("users_with_endpoints, locking", (USER,))] * 2


def test_a_row_an_earlier_version_wrote_still_goes_to_notify() -> None:
    # An outbox row without the mark (written before it existed) keeps its routes
    assert consumers_of(events.PAYOUT_PROCESSING, booked({})) == (NOTIFY,)
    assert consumers_of(events.PAYOUT_PROCESSING, unheard(booked({}))) == ()
