"""The books consumer takes batches: each event audited once, whatever the batches repeat, and the
batch's payout ends settled in the ledger in the same transaction."""

from datetime import UTC, datetime

import pytest

from payout_service.application.keep_books import KeepBooks
from payout_service.application.messages import Envelope
from payout_service.domain.accounts import EntryKind
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

AMOUNT = 15_000


def envelope(n: int) -> Envelope:
    return Envelope(
        message_id=f"m-{n}",
        event="payout.created",
        aggregate_type="payout",
        aggregate_id=f"p-{n}",
        payload={"n": n},
        headers={"request_id": f"req-{n}"},
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


@pytest.fixture
def keep_books(database: FakeDatabase, metrics: RecordingMetrics) -> KeepBooks:
    return KeepBooks(FakeUnitOfWorkFactory(database), FakeClock(), metrics)


def audited(database: FakeDatabase) -> list[str]:
    return [e.message_id for e in database.committed.audit]


async def test_a_batch_is_audited_once_per_event_and_its_redelivery_adds_nothing(
    database: FakeDatabase, keep_books: KeepBooks
) -> None:
    batch = [envelope(n) for n in range(3)]

    first = await keep_books(batch)
    again = await keep_books(batch)

    assert (first, again) == (3, 0)
    assert audited(database) == ["m-0", "m-1", "m-2"]


async def test_a_batch_overlapping_an_earlier_one_audits_only_its_new_events(
    database: FakeDatabase, keep_books: KeepBooks
) -> None:
    await keep_books([envelope(0), envelope(1)])

    applied = await keep_books([envelope(1), envelope(2), envelope(2)])

    assert applied == 1
    assert audited(database) == ["m-0", "m-1", "m-2"]


def held_payout(database: FakeDatabase, payout_id: str, user_id: int, held: int) -> Payout:
    """A new payout of AMOUNT whose user's account holds `held` for it."""
    account = database.open_account(user_id, "USD", 100_000)
    account.held_minor = held
    return new_payout(payout_id, user_id=user_id, amount_minor=AMOUNT)


def messages(payout: Payout) -> list[Envelope]:
    """The payout's events so far, as the books consumer receives them."""
    return [
        Envelope(f"{e.aggregate_id}/{e.name}", e.name, e.aggregate_type, e.aggregate_id,
                 e.payload, {}, START)
        for e in payout.events
    ]  # fmt: skip


def settled(database: FakeDatabase) -> list[tuple[str | None, EntryKind]]:
    return [(e.payout_id, e.kind) for e in database.committed.ledger]


async def test_one_batch_audits_every_event_and_settles_every_end_in_it(
    database: FakeDatabase, keep_books: KeepBooks, metrics: RecordingMetrics
) -> None:
    # Given a batch with payout A's created, processing and succeeded events, and B's failure
    a = held_payout(database, "p-a", user_id=7, held=AMOUNT)
    b = held_payout(database, "p-b", user_id=8, held=AMOUNT)
    a.start_processing(START)
    a.succeed(START)
    b.start_processing(START)
    b.fail(DECLINED, "refused", START)
    batch = messages(a) + messages(b)[-1:]

    # When the books consumer keeps it
    kept = await keep_books(batch)

    # Then every event is audited, and both holds are settled, A's paid and B's released
    assert kept == 4
    assert audited(database) == [e.message_id for e in batch]
    assert settled(database) == [("p-a", EntryKind.DEBIT), ("p-b", EntryKind.RELEASE)]
    assert metrics.counted == [
        ("payout_finished", "succeeded"),
        ("account_debited", None),
        ("payout_finished", "failed"),
    ]


async def test_a_batch_whose_settling_fails_writes_nothing(
    database: FakeDatabase, keep_books: KeepBooks, metrics: RecordingMetrics
) -> None:
    # Given a batch with payout A's success, and B's failure whose account does not hold B
    a = held_payout(database, "p-a", user_id=7, held=AMOUNT)
    b = held_payout(database, "p-b", user_id=8, held=0)
    a.start_processing(START)
    a.succeed(START)
    b.start_processing(START)
    b.fail(DECLINED, "refused", START)

    # When the books consumer keeps it, and settling B fails
    with pytest.raises(ValueError):
        await keep_books(messages(a) + messages(b))

    # Then the audit rows and A's settlement went with it: one transaction
    assert (audited(database), settled(database), database.committed.processed) == ([], [], set())
    assert metrics.counted == []


async def test_accounts_are_settled_in_user_order_and_a_payouts_return_after_its_success(
    database: FakeDatabase, keep_books: KeepBooks
) -> None:
    # Given a batch where user 9's payout succeeds and comes back, then user 7's payout fails
    late = held_payout(database, "p-9", user_id=9, held=AMOUNT)
    early = held_payout(database, "p-7", user_id=7, held=AMOUNT)
    late.start_processing(START)
    late.succeed(START)
    late.mark_returned(DECLINED, START)
    early.start_processing(START)
    early.fail(DECLINED, "refused", START)

    await keep_books(messages(late) + messages(early))

    # Then user 7's account was locked first (two batches lock in one order: no deadlock), and
    # p-9's success was still settled before its return
    assert settled(database) == [
        ("p-7", EntryKind.RELEASE),
        ("p-9", EntryKind.DEBIT),
        ("p-9", EntryKind.RETURN),
    ]


async def test_a_batch_racing_a_concurrent_delivery_settles_and_counts_each_end_once(
    database: FakeDatabase, keep_books: KeepBooks, metrics: RecordingMetrics
) -> None:
    # Given payout A's success and B's failure, and another delivery of A's success that
    # commits while our batch of both is in its transaction
    a = held_payout(database, "p-a", user_id=7, held=AMOUNT)
    b = held_payout(database, "p-b", user_id=8, held=AMOUNT)
    a.start_processing(START)
    a.succeed(START)
    b.start_processing(START)
    b.fail(DECLINED, "refused", START)
    a_succeeded, b_failed = messages(a)[-1], messages(b)[-1]

    async def other_delivery_commits() -> None:
        await keep_books([a_succeeded])

    database.before_next_commit = other_delivery_commits

    # When our batch is kept (rolled back by the other's commit, and tried again)
    await keep_books([a_succeeded, b_failed])

    # Then each event is audited once, each hold settled once, and each end counted once
    assert sorted(audited(database)) == sorted([a_succeeded.message_id, b_failed.message_id])
    assert settled(database) == [("p-a", EntryKind.DEBIT), ("p-b", EntryKind.RELEASE)]
    assert sorted(metrics.counted) == [
        ("account_debited", None),
        ("payout_finished", "failed"),
        ("payout_finished", "succeeded"),
    ]
