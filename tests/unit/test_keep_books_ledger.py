"""The books consumer settles a finished payout's hold in the ledger: once, whatever the messages
repeat."""

from collections.abc import Awaitable, Callable

import pytest

from payout_service.application.event_routes import BOOKS
from payout_service.application.keep_books import KeepBooks
from payout_service.application.messages import Envelope
from payout_service.domain import events
from payout_service.domain.accounts import Direction, EntryKind
from payout_service.domain.failure_codes import Failure, FailureCode
from tests.unit.fakes import (
    DECLINED,
    START,
    FakeClock,
    FakeDatabase,
    FakeUnitOfWorkFactory,
    RecordingMetrics,
    new_payout,
)

Settle = Callable[[Envelope], Awaitable[bool]]
USER = 7
BALANCE, AMOUNT = 100_000, 15_000


@pytest.fixture
async def database(database: FakeDatabase) -> FakeDatabase:
    """USER's USD account, with AMOUNT held for payout p-1."""
    database.open_account(USER, "USD", BALANCE)
    async with FakeUnitOfWorkFactory(database)() as uow:
        account = await uow.accounts.get_for_update(USER, "USD")
        assert account is not None
        await uow.accounts.append_entry(account.hold(AMOUNT, "p-1"), START)
        await uow.accounts.save_balances(account, START)
        await uow.commit()
    return database


@pytest.fixture
def settle(database: FakeDatabase, clock: FakeClock, metrics: RecordingMetrics) -> Settle:
    """Keeps one message's event, as the books consumer keeps a batch of one; whether it was new."""
    keep_books = KeepBooks(FakeUnitOfWorkFactory(database), clock, metrics)

    async def settle(envelope: Envelope) -> bool:
        return await keep_books([envelope]) == 1

    return settle


def message(event_name: str, message_id: str = "m-1") -> Envelope:
    """The message of p-1's event `event_name`, as the payout emits it."""
    payout = new_payout(user_id=USER, amount_minor=AMOUNT)
    if event_name == events.PAYOUT_CANCELLED:
        payout.cancel(START)
    else:
        payout.start_processing(START)
        if event_name == events.PAYOUT_PROVIDER_ACCEPTED:
            payout.record_provider_acceptance("prov-1", START)
        elif event_name == events.PAYOUT_SUCCEEDED:
            payout.succeed(START)
        elif event_name == events.PAYOUT_RETURNED:
            payout.succeed(START)
            payout.mark_returned(Failure.of(FailureCode.ACCOUNT_CLOSED), START)
        else:
            payout.fail(DECLINED, "refused", START)
    event = payout.events[-1]
    assert event.name == event_name
    return Envelope(
        message_id, event.name, event.aggregate_type, event.aggregate_id, event.payload, {}, START
    )


def balances(database: FakeDatabase) -> tuple[int, int]:
    account = database.committed.accounts[(USER, "USD")]
    return account.balance_minor, account.held_minor


def settling_kinds(database: FakeDatabase) -> list[EntryKind]:
    return [e.kind for e in database.committed.ledger if e.kind is not EntryKind.HOLD]


async def test_a_succeeded_payout_debits_the_balance_and_its_hold(settle, database, metrics):
    # When p-1's payout.succeeded is consumed
    applied = await settle(message(events.PAYOUT_SUCCEEDED))
    # Then balance and held both go down by the amount, in one debit entry
    assert applied is True
    assert balances(database) == (BALANCE - AMOUNT, 0)
    assert settling_kinds(database) == [EntryKind.DEBIT]
    # And the account's history shows the debit above the hold
    account_id = database.committed.accounts[(USER, "USD")].id
    async with FakeUnitOfWorkFactory(database)() as uow:
        lines = await uow.ledger.lines_of(account_id, limit=10, before_id=None)
    assert [(line.kind, line.direction, line.amount_minor) for line in lines] == [
        (EntryKind.DEBIT, Direction.DEBIT, AMOUNT),
        (EntryKind.HOLD, Direction.DEBIT, AMOUNT),
    ]
    assert metrics.counted == [("payout_finished", "succeeded"), ("account_debited", None)]


@pytest.mark.parametrize(
    ("event_name", "outcome"),
    [(events.PAYOUT_FAILED, "failed"), (events.PAYOUT_CANCELLED, "cancelled")],
)
async def test_a_failed_or_cancelled_payout_releases_its_hold(
    settle, database, metrics, event_name, outcome
):
    applied = await settle(message(event_name))

    assert applied is True
    assert balances(database) == (BALANCE, 0)
    assert settling_kinds(database) == [EntryKind.RELEASE]
    assert metrics.counted == [("payout_finished", outcome)]
    assert metrics.failure_codes == [
        "cancelled_by_client" if outcome == "cancelled" else "declined"
    ]


async def test_a_redelivered_message_changes_nothing(settle, database, metrics):
    # Given payout.succeeded consumed once
    await settle(message(events.PAYOUT_SUCCEEDED))
    # When the same message is delivered again
    applied = await settle(message(events.PAYOUT_SUCCEEDED))
    # Then it is not applied, posted or counted again
    assert applied is False
    assert balances(database) == (BALANCE - AMOUNT, 0)
    assert settling_kinds(database) == [EntryKind.DEBIT]
    assert metrics.counted.count(("payout_finished", "succeeded")) == 1


async def test_two_different_messages_for_one_payout_settle_its_hold_once(settle, database):
    # Given p-1's hold released by one message
    await settle(message(events.PAYOUT_FAILED, message_id="m-1"))
    # When another message ending p-1 arrives (another id: not a redelivery)
    applied = await settle(message(events.PAYOUT_SUCCEEDED, message_id="m-2"))
    # Then it is consumed, but the hold is not settled a second time
    assert applied is True
    assert balances(database) == (BALANCE, 0)
    assert settling_kinds(database) == [EntryKind.RELEASE]
    assert (BOOKS.name, "m-2") in database.committed.processed


async def test_a_second_message_that_settles_nothing_is_not_counted_as_a_payout_end(
    settle, metrics
):
    await settle(message(events.PAYOUT_FAILED, message_id="m-1"))
    await settle(message(events.PAYOUT_FAILED, message_id="m-2"))
    assert metrics.counted == [("payout_finished", "failed")]


async def test_an_event_that_ends_no_payout_leaves_the_account_as_it_is(settle, database, metrics):
    applied = await settle(message(events.PAYOUT_PROVIDER_ACCEPTED))

    assert applied is True
    assert balances(database) == (BALANCE, AMOUNT)
    assert settling_kinds(database) == []
    assert metrics.counted == []


async def test_a_return_credits_the_debited_amount_back_and_keeps_the_debit(
    settle, database, metrics
):
    # Given p-1 paid (debited)
    await settle(message(events.PAYOUT_SUCCEEDED, message_id="m-1"))
    # When its payout.returned is consumed
    applied = await settle(message(events.PAYOUT_RETURNED, message_id="m-2"))
    # Then the user has the amount back, through a return posted beside the debit
    assert applied is True
    assert balances(database) == (BALANCE, 0)
    assert settling_kinds(database) == [EntryKind.DEBIT, EntryKind.RETURN]
    account_id = database.committed.accounts[(USER, "USD")].id
    async with FakeUnitOfWorkFactory(database)() as uow:
        (newest, *_) = await uow.ledger.lines_of(account_id, limit=10, before_id=None)
    assert (newest.kind, newest.direction, newest.amount_minor) == (
        EntryKind.RETURN,
        Direction.CREDIT,
        AMOUNT,
    )
    assert metrics.counted[-1] == ("payout_returned", "account_closed")


async def test_fifty_return_messages_credit_once(settle, database, metrics):
    await settle(message(events.PAYOUT_SUCCEEDED, message_id="m-0"))
    for n in range(50):
        await settle(message(events.PAYOUT_RETURNED, message_id=f"r-{n}"))
    assert balances(database) == (BALANCE, 0)
    assert settling_kinds(database) == [EntryKind.DEBIT, EntryKind.RETURN]
    assert metrics.counted.count(("payout_returned", "account_closed")) == 1


async def test_a_return_arriving_before_its_success_posts_the_debit_first(
    settle, database, metrics
):
    # When payout.returned is consumed before payout.succeeded (its message was late)
    await settle(message(events.PAYOUT_RETURNED, message_id="m-2"))
    # Then the payout is debited, then credited back: the hold is closed as paid
    assert balances(database) == (BALANCE, 0)
    assert settling_kinds(database) == [EntryKind.DEBIT, EntryKind.RETURN]
    # And the late payout.succeeded settles nothing more
    await settle(message(events.PAYOUT_SUCCEEDED, message_id="m-1"))
    assert settling_kinds(database) == [EntryKind.DEBIT, EntryKind.RETURN]
    assert metrics.counted == [
        ("payout_finished", "succeeded"),
        ("account_debited", None),
        ("payout_returned", "account_closed"),
    ]
