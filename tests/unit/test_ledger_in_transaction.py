"""The transaction that ends or returns a payout posts it to the ledger: the payout's status and
its account's balances change in one commit, and what was posted is counted after it."""

from __future__ import annotations

import logging

import pytest

from payout_service.application.event_routes import BOOKS_KEPT
from payout_service.application.keep_books import KeepBooks
from payout_service.application.messages import Envelope
from payout_service.domain import events
from payout_service.domain.accounts import EntryKind
from payout_service.domain.failure_codes import Failure, FailureCode
from payout_service.domain.payout import Payout
from tests.unit.fakes import (
    DECLINED,
    START,
    FakeClock,
    FakeDatabase,
    FakeUnitOfWorkFactory,
    RecordingMetrics,
    new_payout,
)

BALANCE = 100_000
USD, EUR = (7, "USD"), (7, "EUR")


@pytest.fixture
def uow(database: FakeDatabase, metrics: RecordingMetrics) -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory(database, metrics)


async def given_held(uow: FakeUnitOfWorkFactory, payout: Payout) -> None:
    """The payout stored, its amount held on its account, as a create commits them."""
    async with uow() as tx:
        account = await tx.accounts.get_for_update(payout.user_id, payout.amount.currency.code)
        assert account is not None
        await tx.accounts.append_entry(account.hold(payout.amount.minor, payout.id), START)
        await tx.accounts.save_balances(account, START)
        await tx.payouts.add(payout)
        await tx.commit()


async def change(uow: FakeUnitOfWorkFactory, payout_id: str, *steps: str) -> None:
    """One transaction taking the payout through `steps` (methods of Payout)."""
    async with uow() as tx:
        payout = await tx.payouts.get_for_update(payout_id)
        assert payout is not None
        for step in steps:
            if step == "fail":
                payout.fail(DECLINED, "refused", START)
            elif step == "mark_returned":
                payout.mark_returned(Failure.of(FailureCode.ACCOUNT_CLOSED), START)
            else:
                getattr(payout, step)(START)
        await tx.payouts.update(payout)
        await tx.commit()


def balances(database: FakeDatabase, account: tuple[int, str] = USD) -> tuple[int, int]:
    found = database.committed.accounts[account]
    return found.balance_minor, found.held_minor


def postings(database: FakeDatabase) -> list[tuple[EntryKind, int, str | None]]:
    return [(e.kind, e.amount_minor, e.payout_id) for e in database.committed.ledger]


async def test_a_success_debits_the_hold_in_the_commit_that_ends_the_payout(
    uow: FakeUnitOfWorkFactory, database: FakeDatabase, metrics: RecordingMetrics
) -> None:
    # Given a payout of 15,000 held on a balance of 100,000, with the provider
    database.open_account(*USD, BALANCE)
    await given_held(uow, new_payout("p-1", amount_minor=15_000))
    await change(uow, "p-1", "start_processing")
    assert balances(database) == (BALANCE, 15_000)
    # When one transaction records its success
    await change(uow, "p-1", "succeed")
    # Then that commit moved the money: the hold is debited, once, and counted once
    assert balances(database) == (BALANCE - 15_000, 0)
    assert postings(database)[1:] == [(EntryKind.DEBIT, 15_000, "p-1")]
    assert metrics.counted == [("payout_finished", "succeeded"), ("account_debited", None)]


@pytest.mark.parametrize("steps", [("start_processing", "fail"), ("cancel",)])
async def test_a_failure_or_a_cancel_releases_the_hold_in_its_commit(
    uow: FakeUnitOfWorkFactory,
    database: FakeDatabase,
    metrics: RecordingMetrics,
    steps: tuple[str, ...],
) -> None:
    # Given a held payout
    database.open_account(*USD, BALANCE)
    await given_held(uow, new_payout("p-1", amount_minor=15_000))
    # When it fails or is cancelled
    await change(uow, "p-1", *steps)
    # Then its hold went back to the user's available funds in the same commit
    assert balances(database) == (BALANCE, 0)
    assert postings(database)[1:] == [(EntryKind.RELEASE, 15_000, "p-1")]
    assert [name for name, _ in metrics.counted] == ["payout_finished"]


async def test_a_success_and_its_return_in_one_transaction_debit_then_credit_back(
    uow: FakeUnitOfWorkFactory, database: FakeDatabase, metrics: RecordingMetrics
) -> None:
    # Given a payout with the provider, which reports it returned before we saw it succeed
    database.open_account(*USD, BALANCE)
    await given_held(uow, new_payout("p-1", amount_minor=15_000))
    await change(uow, "p-1", "start_processing")
    # When one transaction records the success and the return
    await change(uow, "p-1", "succeed", "mark_returned")
    # Then the debit is posted, then the return: the user has the money back and holds nothing
    assert postings(database)[1:] == [
        (EntryKind.DEBIT, 15_000, "p-1"),
        (EntryKind.RETURN, 15_000, "p-1"),
    ]
    assert balances(database) == (BALANCE, 0)
    assert ("payout_returned", None) in [(n, None) for n, _ in metrics.counted]


async def test_one_transaction_posts_the_ends_of_payouts_on_several_accounts(
    uow: FakeUnitOfWorkFactory, database: FakeDatabase
) -> None:
    # Given payouts held on a USD and a EUR account
    database.open_account(*USD, BALANCE)
    database.open_account(*EUR, BALANCE)
    await given_held(uow, new_payout("p-1", amount_minor=1_000))
    await given_held(uow, new_payout("p-2", amount_minor=2_000, currency_code="EUR"))
    await given_held(uow, new_payout("p-3", amount_minor=3_000))
    # When one transaction cancels them all
    async with uow() as tx:
        for payout_id in ("p-2", "p-1", "p-3"):
            payout = await tx.payouts.get_for_update(payout_id)
            assert payout is not None
            payout.cancel(START)
            await tx.payouts.update(payout)
        await tx.commit()
    # Then each account got its own releases, and nothing is held anywhere
    assert balances(database, USD) == (BALANCE, 0)
    assert balances(database, EUR) == (BALANCE, 0)
    released = sorted(p for kind, _, p in postings(database) if kind is EntryKind.RELEASE)
    assert released == ["p-1", "p-2", "p-3"]


async def test_a_transaction_that_rolls_back_posts_and_counts_nothing(
    uow: FakeUnitOfWorkFactory, database: FakeDatabase, metrics: RecordingMetrics
) -> None:
    # Given a held payout
    database.open_account(*USD, BALANCE)
    await given_held(uow, new_payout("p-1", amount_minor=15_000))
    # When a transaction cancels it but never commits
    async with uow() as tx:
        payout = await tx.payouts.get_for_update("p-1")
        assert payout is not None
        payout.cancel(START)
        await tx.payouts.update(payout)
    # Then the hold stands, and nothing was counted
    assert balances(database) == (BALANCE, 15_000)
    assert metrics.counted == []


async def test_the_books_consumer_posts_nothing_a_transaction_posted_already(
    uow: FakeUnitOfWorkFactory, database: FakeDatabase, clock: FakeClock
) -> None:
    # Given a payout whose success its transaction posted, and that success's outbox row as an
    # earlier version's books consumer would still receive it (say, published before an upgrade)
    database.add_endpoint(7)  # its user's webhook endpoint: notify hears of it
    database.open_account(*USD, BALANCE)
    await given_held(uow, new_payout("p-1", amount_minor=15_000))
    await change(uow, "p-1", "start_processing", "succeed")
    (row,) = [r for r in database.committed.outbox if r.event.name == events.PAYOUT_SUCCEEDED]
    assert BOOKS_KEPT[0] in row.headers
    envelope = row.envelope()
    old = Envelope(
        envelope.message_id,
        envelope.event,
        envelope.aggregate_type,
        envelope.aggregate_id,
        envelope.payload,
        {},
        envelope.occurred_at,
    )
    before = postings(database)
    # When the books consumer keeps it
    await KeepBooks(uow, clock)([old])
    # Then it posts nothing: the hold was settled once, and audited once
    assert postings(database) == before
    assert balances(database) == (BALANCE - 15_000, 0)
    audited = [e for e in database.committed.audit if e.message_id == old.message_id]
    assert len(audited) == 1


async def test_each_posting_is_logged_with_its_own_payouts_request_id(
    uow: FakeUnitOfWorkFactory, database: FakeDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    # Given two held payouts, each ended by its own request in one shared transaction (a group)
    database.open_account(*USD, BALANCE)
    await given_held(uow, new_payout("p-1", amount_minor=1_000))
    await given_held(uow, new_payout("p-2", amount_minor=2_000))
    headers_of = {"p-1": {"request_id": "req-one"}, "p-2": {"request_id": "req-two"}}
    # When the transaction cancels both and commits
    with caplog.at_level(logging.INFO, logger="payout_service.books"):
        async with uow(headers_of=headers_of) as tx:
            for payout_id in ("p-1", "p-2"):
                payout = await tx.payouts.get_for_update(payout_id)
                assert payout is not None
                payout.cancel(START)
                await tx.payouts.update(payout)
            await tx.commit()
    # Then each release's line names its own payout's request, not one request for both
    lines = {r.payout_id: r.request_id for r in caplog.records if r.name == "payout_service.books"}
    assert lines == {"p-1": "req-one", "p-2": "req-two"}
