"""Reading the event log: only the caller's, in sequence order after a seen sequence, in pages
that say whether more follow, filtered by type and payout."""

import pytest

from payout_service.application.read_events import ReadEvents
from payout_service.domain import events
from tests.unit.fakes import START, FakeDatabase, FakeUnitOfWorkFactory, new_payout

USER = 7
OTHER_USER = 8


@pytest.fixture
async def uow(database: FakeDatabase) -> FakeUnitOfWorkFactory:
    """p-1..p-3 of USER, created (sequences 1-3), then p-2 processing (4); p-9 of OTHER_USER."""
    factory = FakeUnitOfWorkFactory(database)
    for payout in (
        new_payout("p-1", user_id=USER),
        new_payout("p-2", user_id=USER),
        new_payout("p-3", user_id=USER),
        new_payout("p-9", user_id=OTHER_USER),
    ):
        async with factory() as tx:
            await tx.payouts.add(payout)
            await tx.commit()
    async with factory() as tx:
        p2 = await tx.payouts.get_for_update("p-2")
        assert p2 is not None
        p2.start_processing(START)
        await tx.payouts.update(p2)
        await tx.commit()
    return factory


async def test_the_callers_events_come_in_sequence_order_and_no_one_elses(uow):
    page = await ReadEvents(uow).after(USER, 0, 10)

    assert [(e.sequence, e.payout_id, e.type) for e in page.events] == [
        (1, "p-1", events.PAYOUT_CREATED),
        (2, "p-2", events.PAYOUT_CREATED),
        (3, "p-3", events.PAYOUT_CREATED),
        (4, "p-2", events.PAYOUT_PROCESSING),
    ]
    assert not page.has_more


async def test_a_client_that_saw_sequence_n_gets_exactly_what_followed_it(uow):
    page = await ReadEvents(uow).after(USER, 2, 10)

    assert [e.sequence for e in page.events] == [3, 4]


async def test_a_full_page_says_more_follow_and_the_last_one_does_not(uow):
    read = ReadEvents(uow)

    first = await read.after(USER, 0, 2)
    second = await read.after(USER, first.events[-1].sequence, 2)

    assert ([e.sequence for e in first.events], first.has_more) == ([1, 2], True)
    assert ([e.sequence for e in second.events], second.has_more) == ([3, 4], False)


async def test_filters_by_type_and_by_payout(uow):
    read = ReadEvents(uow)

    processing = await read.after(USER, 0, 10, event_type=events.PAYOUT_PROCESSING)
    of_p2 = await read.after(USER, 0, 10, payout_id="p-2")
    others_payout = await read.after(USER, 0, 10, payout_id="p-9")

    assert [e.sequence for e in processing.events] == [4]
    assert [e.sequence for e in of_p2.events] == [2, 4]
    assert others_payout.events == []
