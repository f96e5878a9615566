"""CreatePayoutBatch against the in-memory unit of work: all or nothing, per item, replay."""

import asyncio
import json
from datetime import timedelta

import pytest

from payout_service.application.cancel_payout_batch import CancelPayoutBatch
from payout_service.application.create_payout_batch import (
    BatchRejected,
    BatchTooLarge,
    CreateBatchCommand,
    CreatePayoutBatch,
)
from payout_service.application.errors import BatchCancelInProgress, IdempotencyKeyReused
from payout_service.domain import events
from payout_service.domain.accounts import EntryKind
from payout_service.domain.failure_codes import Failure, FailureCode
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.domain.payout_batch import BatchMode, BatchStatus
from tests.unit.fakes import FakeClock, FakeDatabase, FakeUnitOfWorkFactory, SequentialIds

USER = 7


@pytest.fixture
def database() -> FakeDatabase:
    database = FakeDatabase()
    database.open_account(USER, "USD", 100_000)  # 1 000.00
    database.open_account(USER, "EUR", 50_000)
    return database


@pytest.fixture
def create(database: FakeDatabase, clock: FakeClock) -> CreatePayoutBatch:
    return CreatePayoutBatch(
        FakeUnitOfWorkFactory(database),
        clock,
        SequentialIds(),
        max_amount=1_000_000,
        max_items=100,
        key_ttl=timedelta(hours=24),
    )


def item(n: int, amount: str = "10.00", currency: str = "USD", **more: object) -> dict:
    return {
        "amount": amount,
        "currency": currency,
        "wallet": f"W{n}",
        "external_reference": f"ref-{n}",
        **more,
    }


def command(
    items: list, mode: BatchMode = BatchMode.ALL_OR_NOTHING, key: str = "k1", fp: str = "f1"
):
    return CreateBatchCommand(USER, key, fp, mode, items, {"request_id": "r1"})


async def test_all_or_nothing_creates_every_item_with_one_hold_posting_each(
    create: CreatePayoutBatch, database: FakeDatabase
) -> None:
    database.add_endpoint(USER)  # its user's webhook endpoint: notify hears of the batch
    result = await create(command([item(n) for n in range(5)] + [item(9, "5.00", "EUR")]))

    body = json.loads(result.body)
    state = database.committed
    assert result.status_code == 201
    assert body["counts"]["total"] == 6 and body["counts"]["pending"] == 6
    assert {t["currency"]: t["amount_minor"] for t in body["totals"]} == {"EUR": 500, "USD": 5000}
    assert sorted(p.batch_id for p in state.payouts.values()) == [body["id"]] * 6
    assert state.accounts[(USER, "USD")].held_minor == 5000
    assert state.accounts[(USER, "EUR")].held_minor == 500
    holds = [e for e in state.ledger if e.kind is EntryKind.HOLD]
    assert sorted(e.payout_id for e in holds) == sorted(state.payouts)
    created = [r for r in state.outbox if r.event.name == events.PAYOUT_CREATED]
    assert len(created) == 6
    batch_rows = [r for r in state.outbox if r.event.name == events.PAYOUT_BATCH_CREATED]
    assert len(batch_rows) == 1
    batch_event = [e for e in state.client_events if e.type == events.PAYOUT_BATCH_CREATED]
    assert batch_event[0].id == batch_rows[0].event.payload["event_id"]
    assert batch_event[0].sequence == 7  # after the six payouts' events, no gap


async def test_one_bad_item_rejects_the_batch_and_writes_nothing(
    create: CreatePayoutBatch, database: FakeDatabase
) -> None:
    items = [item(n) for n in range(20)]
    items[19] = item(19, "1.001")
    items[3] = item(3, wallet="")

    with pytest.raises(BatchRejected) as rejected:
        await create(command(items))

    assert [(e.index, e.field) for e in rejected.value.errors] == [(3, "wallet"), (19, "amount")]
    state = database.committed
    assert not state.payouts and not state.outbox and not state.idempotency and not state.batches
    assert state.accounts[(USER, "USD")].held_minor == 0


async def test_all_or_nothing_refuses_a_total_beyond_the_balance(
    create: CreatePayoutBatch, database: FakeDatabase
) -> None:
    items = [item(n, "400.00") for n in range(3)]  # 1 200.00 of 1 000.00

    with pytest.raises(BatchRejected) as rejected:
        await create(command(items))

    assert {e.code for e in rejected.value.errors} == {"insufficient_funds"}
    assert database.committed.accounts[(USER, "USD")].held_minor == 0


async def test_per_item_creates_the_good_items_and_reports_the_others(
    create: CreatePayoutBatch, database: FakeDatabase
) -> None:
    items = [
        item(0, "400.00"),
        item(1, "400.00"),
        item(2, "400.00"),  # the balance is spent by now
        item(3, currency="XXX"),
        item(4, currency="GBP"),  # no GBP account
        item(0),  # a reference used earlier in the batch
        item(6, "100.00"),
    ]

    result = await create(command(items, BatchMode.PER_ITEM))

    body = json.loads(result.body)
    assert body["counts"]["total"] == 3
    assert body["rejected_count"] == 4
    assert [(e["index"], e["code"]) for e in body["errors"]] == [
        (2, "insufficient_funds"),
        (3, "unknown_currency"),
        (4, "account_not_found"),
        (5, "duplicate_external_reference"),
    ]
    assert database.committed.accounts[(USER, "USD")].held_minor == 90_000


async def test_a_reference_already_used_is_an_error_of_its_item(
    create: CreatePayoutBatch, database: FakeDatabase
) -> None:
    await create(command([item(1)], key="first"))

    with pytest.raises(BatchRejected) as rejected:
        await create(command([item(0), item(1)], key="second"))

    assert [(e.index, e.code) for e in rejected.value.errors] == [
        (1, "duplicate_external_reference")
    ]


async def test_a_retry_replays_the_answer_and_another_body_is_refused(
    create: CreatePayoutBatch, database: FakeDatabase
) -> None:
    first = await create(command([item(1), item(2)]))
    again = await create(command([item(1), item(2)]))

    assert again.replayed and again.body == first.body
    assert len(database.committed.payouts) == 2
    with pytest.raises(IdempotencyKeyReused):
        await create(command([item(3)], fp="other"))


async def test_batch_size_is_bounded(create: CreatePayoutBatch) -> None:
    with pytest.raises(BatchTooLarge):
        await create(command([]))
    with pytest.raises(BatchTooLarge):
        await create(command([item(n) for n in range(101)]))


async def test_the_batch_completes_with_its_last_item_in_that_transaction(
    create: CreatePayoutBatch, database: FakeDatabase, clock: FakeClock
) -> None:
    body = json.loads((await create(command([item(n) for n in range(3)]))).body)
    uow_factory = FakeUnitOfWorkFactory(database)
    ids = sorted(database.committed.payouts)

    for payout_id, ending in zip(ids, ("succeed", "fail", "succeed"), strict=True):
        async with uow_factory() as uow:
            payout = await uow.payouts.get_for_update(payout_id)
            assert payout is not None
            payout.start_processing(clock.now())
            if ending == "succeed":
                payout.succeed(clock.now())
            else:
                payout.fail(Failure.of(FailureCode.COULD_NOT_PROCESS), "refused", clock.now())
            await uow.payouts.update(payout)
            await uow.commit()
        batch = database.committed.batches[body["id"]]
        assert (batch.status is BatchStatus.PROCESSING) == (payout_id != ids[-1])

    assert batch.status is BatchStatus.PARTIALLY_FAILED
    assert (batch.succeeded, batch.failed) == (2, 1)
    log = [e.type for e in database.committed.client_events]
    assert log[-2:] == [events.PAYOUT_SUCCEEDED, events.PAYOUT_BATCH_COMPLETED]
    completed = database.committed.client_events[-1].data
    assert completed["counts"]["success"] == 2 and completed["counts"]["failed"] == 1
    assert database.committed.payouts[ids[0]].status is PayoutStatus.SUCCESS


async def test_a_second_cancel_of_a_batch_while_the_first_runs_is_refused(
    create: CreatePayoutBatch, database: FakeDatabase
) -> None:
    body = json.loads((await create(command([item(1), item(2)]))).body)
    release = asyncio.Event()
    cancelled: list[str] = []

    async def slow_cancel(user_id: int, payout_id: str, headers: dict[str, str]) -> Payout:
        cancelled.append(payout_id)
        await release.wait()  # as a cancel asking an unreachable provider
        payout = database.committed.payouts[payout_id]
        return payout

    cancel_batch = CancelPayoutBatch(FakeUnitOfWorkFactory(database), slow_cancel)
    first = asyncio.create_task(cancel_batch(USER, body["id"], {}))
    while not cancelled:
        await asyncio.sleep(0)

    with pytest.raises(BatchCancelInProgress):
        await cancel_batch(USER, body["id"], {})
    release.set()
    outcome = await first
    assert outcome.cancelled + outcome.not_cancellable == 2
    await cancel_batch(USER, body["id"], {})  # once done, a cancel may run again
