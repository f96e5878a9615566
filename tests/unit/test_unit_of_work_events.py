"""The unit of work writes the events of the payouts saved through it: a use case only saves."""

from datetime import UTC, datetime

from payout_service.domain.money import Money, currency
from payout_service.domain.payout import Payout
from tests.unit.fakes import FakeDatabase, FakeUnitOfWorkFactory

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def new_payout(payout_id: str = "p-1") -> Payout:
    return Payout.create(
        payout_id=payout_id,
        user_id=1,
        amount=Money(500, currency("USD")),
        wallet="W-1",
        external_reference=f"ref-{payout_id}",
        now=NOW,
    )


async def test_commit_writes_the_events_of_an_updated_payout_with_the_units_headers():
    # Given a stored payout
    uow = FakeUnitOfWorkFactory(FakeDatabase())
    async with uow({"request_id": "create"}) as tx:
        await tx.payouts.add(new_payout())
        await tx.commit()
    # When a use case changes it and saves it, writing no event itself
    async with uow({"request_id": "cancel"}) as tx:
        payout = await tx.payouts.get_for_update("p-1")
        assert payout is not None
        payout.cancel(NOW)
        await tx.payouts.update(payout)
        await tx.commit()
    # Then each change's event is in the outbox once, with the headers of its unit of work
    written = [(row.event.name, row.headers) for row in uow.database.committed.outbox]
    assert written == [
        ("payout.created", {"request_id": "create"}),
        ("payout.cancelled", {"request_id": "cancel"}),
    ]


async def test_a_unit_of_work_left_without_commit_writes_no_event():
    uow = FakeUnitOfWorkFactory(FakeDatabase())
    async with uow() as tx:
        await tx.payouts.add(new_payout())
    assert uow.database.committed.outbox == []


async def test_a_payout_read_but_not_saved_writes_no_event():
    uow = FakeUnitOfWorkFactory(FakeDatabase())
    async with uow() as tx:
        await tx.payouts.add(new_payout())
        await tx.commit()
    async with uow() as tx:
        payout = await tx.payouts.get_for_update("p-1")
        assert payout is not None
        await tx.commit()
    assert [row.event.name for row in uow.database.committed.outbox] == ["payout.created"]
