"""The unit of work writes the events of the payouts saved through it: a use case only saves."""

from tests.unit.fakes import START, FakeDatabase, FakeUnitOfWorkFactory, booked, new_payout


async def test_commit_writes_the_events_of_an_updated_payout_with_the_units_headers():
    # Given a stored payout
    database = FakeDatabase()
    database.add_endpoint(7)  # its user's webhook endpoint: notify hears of it
    uow = FakeUnitOfWorkFactory(database)
    async with uow({"request_id": "create"}) as tx:
        await tx.payouts.add(new_payout())
        await tx.commit()
    # When a use case changes it and saves it, writing no event itself
    async with uow({"request_id": "cancel"}) as tx:
        payout = await tx.payouts.get_for_update("p-1")
        assert payout is not None
        payout.cancel(START)
        await tx.payouts.update(payout)
        await tx.commit()
    # Then each change's event is in the outbox once, with the headers of its unit of work
    written = [(row.event.name, row.headers) for row in uow.database.committed.outbox]
    assert written == [
        ("payout.created", booked({"request_id": "create"})),
        ("payout.cancelled", booked({"request_id": "cancel"})),
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
