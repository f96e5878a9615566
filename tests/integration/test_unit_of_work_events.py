"""SqlUnitOfWork writes the events of the payouts saved through it, in the same transaction."""

import json

from payout_service.domain.money import Money, currency
from payout_service.domain.payout import Payout
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.seed import DEMO_USER_ID
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWork, SqlUnitOfWorkFactory
from tests.integration.helpers import add_listening_endpoint

OUTBOX = "SELECT event_name, aggregate_id, headers FROM outbox_messages ORDER BY id"


def new_payout() -> Payout:
    return Payout.create(
        payout_id="00000000-0000-4000-8000-000000000001",
        user_id=DEMO_USER_ID,
        amount=Money(500, currency("USD")),
        wallet="W-1",
        external_reference="uow-events",
        now=SystemClock().now(),
    )


async def add_held(tx: SqlUnitOfWork, payout: Payout) -> None:
    """The payout and its hold on the demo user's account, as a create writes them."""
    account = await tx.accounts.get_for_update(DEMO_USER_ID, "USD")
    assert account is not None
    await tx.accounts.append_entry(account.hold(payout.amount.minor, payout.id), payout.created_at)
    await tx.accounts.save_balances(account, payout.created_at)
    await tx.payouts.add(payout)


async def outbox(db: SqlUnitOfWorkFactory) -> list[tuple[str, str, dict[str, str]]]:
    async with db() as tx:
        rows = await tx.session.rows(OUTBOX)
    return [(r["event_name"], r["aggregate_id"], json.loads(r["headers"])) for r in rows]


async def test_a_saved_payouts_events_are_written_by_the_commit(db: SqlUnitOfWorkFactory):
    # Given a payout created through the unit of work, of a user with a webhook endpoint
    await add_listening_endpoint(db)
    payout = new_payout()
    async with db({"request_id": "create"}) as tx:
        await add_held(tx, payout)
        await tx.commit()
    # When another transaction changes it and only saves it
    async with db({"request_id": "cancel"}) as tx:
        stored = await tx.payouts.get_for_update(payout.id)
        assert stored is not None and stored.events == []
        stored.cancel(SystemClock().now())
        await tx.payouts.update(stored)
        await tx.commit()
    # Then both events are in the outbox, each with its transaction's headers, and the mark
    # that its transaction kept the books
    assert await outbox(db) == [
        ("payout.created", payout.id, {"request_id": "create", "books": "kept"}),
        ("payout.cancelled", payout.id, {"request_id": "cancel", "books": "kept"}),
    ]


async def test_a_rolled_back_unit_of_work_leaves_no_event(db: SqlUnitOfWorkFactory):
    async with db() as tx:
        await tx.payouts.add(new_payout())
    assert await outbox(db) == []


async def test_two_copies_of_one_payout_saved_in_one_transaction_lose_no_event(
    db: SqlUnitOfWorkFactory,
):
    # Given a payout being sent, of a user with a webhook endpoint
    await add_listening_endpoint(db)
    payout = new_payout()
    payout.start_processing(SystemClock().now())
    async with db() as tx:
        await add_held(tx, payout)
        await tx.commit()
    # When one transaction loads it, changes and saves it, then loads it again, changes and
    # saves that copy (as applying two provider reports in a row does)
    async with db() as tx:
        first = await tx.payouts.get_for_update(payout.id)
        assert first is not None
        first.succeed(SystemClock().now())
        await tx.payouts.update(first)
        second = await tx.payouts.get_for_update(payout.id)
        assert second is not None
        second.flag_for_review("checked twice", SystemClock().now())
        await tx.payouts.update(second)
        await tx.commit()
    # Then both copies' events are written, in the order they happened (the first copy's were
    # lost before: only the last copy saved was remembered)
    assert [name for name, _, _ in await outbox(db)] == [
        "payout.created",
        "payout.processing",
        "payout.succeeded",
        "payout.needs_review",
    ]
