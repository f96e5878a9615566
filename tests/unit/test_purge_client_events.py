"""`events purge` deletes the events past the retention, all of them, and nothing newer."""

from datetime import timedelta

from payout_service.application import purge_client_events as purge
from tests.unit.fakes import START, FakeDatabase, FakeUnitOfWorkFactory, new_payout


async def test_events_before_the_cutoff_go_in_batches_and_newer_ones_stay(monkeypatch):
    monkeypatch.setattr(purge, "BATCH", 2)
    uow = FakeUnitOfWorkFactory(FakeDatabase())
    # Given five payouts created a day apart (one client event each)
    for day in range(5):
        async with uow() as tx:
            await tx.payouts.add(new_payout(f"p-{day}", now=START + timedelta(days=day)))
            await tx.commit()
    # When the events older than day 3 are purged, two per batch
    purged = await purge.purge_client_events(uow, START + timedelta(days=3))
    # Then the three older ones are gone, over more than one batch, and the rest stay
    assert purged == 3
    left = uow.database.committed.client_events
    assert [e.payout_id for e in left] == ["p-3", "p-4"]
