"""Every client-visible change writes one client event with the change: numbered per user with
no gap, versioned per payout, showing the payout as the API did at that version."""

from datetime import timedelta

from payout_service.application.representation import payout_representation
from tests.unit.fakes import START, FakeDatabase, FakeUnitOfWorkFactory, new_payout

LATER = START + timedelta(minutes=1)


async def test_each_visible_change_is_one_event_numbered_and_versioned():
    uow = FakeUnitOfWorkFactory(FakeDatabase())
    # Given p-1 created, then (in one transaction) sent and accepted, then paid
    async with uow() as tx:
        await tx.payouts.add(new_payout())
        await tx.commit()
    async with uow() as tx:
        payout = await tx.payouts.get_for_update("p-1")
        assert payout is not None
        payout.start_processing(LATER)
        payout.record_provider_acceptance("prv-1", LATER)  # not client-visible on its own
        await tx.payouts.update(payout)
        await tx.commit()
    async with uow() as tx:
        payout = await tx.payouts.get_for_update("p-1")
        assert payout is not None
        payout.succeed(LATER)
        await tx.payouts.update(payout)
        await tx.commit()
    # Then the user's log holds three events, 1, 2, 3, versions 1, 2, 3 of p-1
    log = uow.database.committed.client_events
    assert [(e.type, e.sequence, e.payout_version) for e in log] == [
        ("payout.created", 1, 1),
        ("payout.processing", 2, 2),
        ("payout.succeeded", 3, 3),
    ]
    # And each shows the payout at its version, as the API does
    assert [e.data["status"] for e in log] == ["pending", "processing", "success"]
    assert [e.data["version"] for e in log] == [1, 2, 3]
    stored = uow.database.committed.payouts["p-1"]
    assert stored.version == 3
    assert log[-1].data == payout_representation(stored)


async def test_two_changes_in_one_transaction_show_each_its_own_state():
    uow = FakeUnitOfWorkFactory(FakeDatabase())
    async with uow() as tx:
        payout = new_payout()
        payout.start_processing(START)
        await tx.payouts.add(payout)
        await tx.commit()
    (created, processing) = uow.database.committed.client_events
    assert (created.data["status"], processing.data["status"]) == ("pending", "processing")


async def test_each_user_counts_its_own_events_from_one():
    uow = FakeUnitOfWorkFactory(FakeDatabase())
    async with uow() as tx:
        await tx.payouts.add(new_payout("p-1", user_id=7))
        await tx.payouts.add(new_payout("p-2", user_id=8))
        await tx.payouts.add(new_payout("p-3", user_id=7))
        await tx.commit()
    numbered = [(e.user_id, e.sequence) for e in uow.database.committed.client_events]
    assert sorted(numbered) == [(7, 1), (7, 2), (8, 1)]


async def test_events_not_visible_to_clients_write_no_client_event():
    uow = FakeUnitOfWorkFactory(FakeDatabase())
    async with uow() as tx:
        payout = new_payout()
        payout.start_processing(START)
        payout.events.clear()
        payout.record_provider_acceptance("prv-1", START)
        await tx.payouts.add(payout)
        await tx.commit()
    assert uow.database.committed.client_events == []
    assert uow.database.committed.events_of(payout.id) == ["payout.provider_accepted"]
