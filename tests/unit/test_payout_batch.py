"""The batch aggregate: its totals, its items' ends counted once each, and its final status."""

from __future__ import annotations

import pytest

from payout_service.domain import events
from payout_service.domain.payout_batch import BatchMode, BatchStatus, PayoutBatch
from tests.unit.fakes import START, new_payout


def batch_of(count: int) -> PayoutBatch:
    items = [new_payout(f"p-{n}", amount_minor=100 * (n + 1), batch_id="b-1") for n in range(count)]
    return PayoutBatch.create("b-1", 7, BatchMode.ALL_OR_NOTHING, items, START)


def test_a_new_batch_totals_its_items_per_currency_and_says_it_was_created() -> None:
    items = [
        new_payout("p-1", amount_minor=100, batch_id="b-1"),
        new_payout("p-2", amount_minor=250, batch_id="b-1"),
        new_payout("p-3", amount_minor=7, currency_code="EUR", batch_id="b-1"),
    ]

    batch = PayoutBatch.create("b-1", 7, BatchMode.PER_ITEM, items, START)

    assert [(t.currency, t.count, t.amount_minor) for t in batch.totals] == [
        ("EUR", 1, 7),
        ("USD", 2, 350),
    ]
    assert (batch.status, batch.open_items) == (BatchStatus.PROCESSING, 3)
    assert [e.name for e in batch.events] == [events.PAYOUT_BATCH_CREATED]


def test_an_item_of_another_batch_or_no_item_is_refused() -> None:
    with pytest.raises(ValueError):
        PayoutBatch.create("b-1", 7, BatchMode.PER_ITEM, [new_payout(batch_id="b-2")], START)
    with pytest.raises(ValueError):
        PayoutBatch.create("b-1", 7, BatchMode.PER_ITEM, [], START)


@pytest.mark.parametrize(
    ("endings", "status"),
    [
        ((events.PAYOUT_SUCCEEDED,) * 3, BatchStatus.COMPLETED),
        ((events.PAYOUT_FAILED, events.PAYOUT_CANCELLED, events.PAYOUT_FAILED), BatchStatus.FAILED),
        (
            (events.PAYOUT_SUCCEEDED, events.PAYOUT_CANCELLED, events.PAYOUT_SUCCEEDED),
            BatchStatus.PARTIALLY_FAILED,
        ),
    ],
)
def test_the_last_item_to_end_completes_the_batch_once(
    endings: tuple[str, ...], status: BatchStatus
) -> None:
    batch = batch_of(3)
    batch.events.clear()

    for n, ending in enumerate(endings):
        batch.record_item_event(events.PAYOUT_PROCESSING, START)  # moves nothing
        batch.record_item_event(ending, START)
        assert (batch.status is BatchStatus.PROCESSING) == (n < 2)

    assert batch.status is status
    assert batch.completed_at == START
    assert [e.name for e in batch.events] == [events.PAYOUT_BATCH_COMPLETED]
    with pytest.raises(ValueError):
        batch.record_item_event(events.PAYOUT_FAILED, START)


def test_a_return_is_counted_and_does_not_reopen_the_batch() -> None:
    batch = batch_of(1)
    batch.record_item_event(events.PAYOUT_SUCCEEDED, START)

    batch.record_item_event(events.PAYOUT_RETURNED, START)

    assert (batch.status, batch.succeeded, batch.returned) == (BatchStatus.COMPLETED, 1, 1)
