"""A payout batch: many payouts asked for in one request, each an ordinary payout of the batch.

The batch itself only counts: how many items it has, how many have ended and how. An item ends
when its payout first becomes final (succeeded, failed or cancelled); when the last one ends,
the batch is `completed` (every item paid), `failed` (none paid) or `partially_failed`, and says
so with payout_batch.completed, in the transaction of that last item's change. A paid item whose
money later comes back is counted as returned; it does not reopen the batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from payout_service.domain import events
from payout_service.domain.events import DomainEvent
from payout_service.domain.payout import Payout, PayoutStatus

AGGREGATE_TYPE = "payout_batch"


class BatchMode(StrEnum):
    # Every item valid and funded, or nothing written: one transaction for the whole batch.
    ALL_OR_NOTHING = "all_or_nothing"
    # The valid items are created; the others are reported, item by item.
    PER_ITEM = "per_item"


class BatchStatus(StrEnum):
    PROCESSING = "processing"  # some item has not ended
    COMPLETED = "completed"  # every item succeeded
    PARTIALLY_FAILED = "partially_failed"  # some succeeded, some failed or were cancelled
    FAILED = "failed"  # none succeeded


# How an item's payout event moves its batch: the first final status, and a return after it.
ITEM_ENDINGS = {
    events.PAYOUT_SUCCEEDED: PayoutStatus.SUCCESS,
    events.PAYOUT_FAILED: PayoutStatus.FAILED,
    events.PAYOUT_CANCELLED: PayoutStatus.CANCELLED,
}


@dataclass(frozen=True, slots=True)
class CurrencyTotal:
    currency: str
    count: int
    amount_minor: int


@dataclass(slots=True)
class PayoutBatch:
    """`succeeded`, `failed`, `cancelled`: items ended that way; `returned`: succeeded items
    whose money came back since (they stay counted as succeeded too)."""

    id: str
    user_id: int
    mode: BatchMode
    item_count: int
    totals: tuple[CurrencyTotal, ...]
    created_at: datetime
    updated_at: datetime
    status: BatchStatus = BatchStatus.PROCESSING
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0
    returned: int = 0
    completed_at: datetime | None = None
    events: list[DomainEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def create(
        cls, batch_id: str, user_id: int, mode: BatchMode, items: Iterable[Payout], now: datetime
    ) -> PayoutBatch:
        """The batch of `items` (at least one, all the user's, already carrying this batch id)."""
        by_currency: dict[str, list[int]] = {}
        count = 0
        for item in items:
            if item.user_id != user_id or item.batch_id != batch_id:
                raise ValueError(f"payout {item.id} is not an item of batch {batch_id}")
            by_currency.setdefault(item.amount.currency.code, []).append(item.amount.minor)
            count += 1
        if count == 0:
            raise ValueError("a batch has at least one item")
        totals = tuple(
            CurrencyTotal(code, len(amounts), sum(amounts))
            for code, amounts in sorted(by_currency.items())
        )
        batch = cls(batch_id, user_id, mode, count, totals, now, now)
        batch._emit(events.PAYOUT_BATCH_CREATED)
        return batch

    @property
    def open_items(self) -> int:
        return self.item_count - self.succeeded - self.failed - self.cancelled

    def record_item_event(self, event_name: str, now: datetime) -> None:
        """An item's payout emitted `event_name`: counts its end (or its return)."""
        if event_name == events.PAYOUT_RETURNED:
            self.returned += 1
            self.updated_at = now
            return
        ending = ITEM_ENDINGS.get(event_name)
        if ending is None:
            return
        if self.open_items == 0:
            raise ValueError(f"batch {self.id} has no open item left to end")
        if ending is PayoutStatus.SUCCESS:
            self.succeeded += 1
        elif ending is PayoutStatus.FAILED:
            self.failed += 1
        else:
            self.cancelled += 1
        self.updated_at = now
        if self.open_items == 0:
            self._complete(now)

    def _complete(self, now: datetime) -> None:
        if self.succeeded == self.item_count:
            self.status = BatchStatus.COMPLETED
        elif self.succeeded == 0:
            self.status = BatchStatus.FAILED
        else:
            self.status = BatchStatus.PARTIALLY_FAILED
        self.completed_at = now
        self._emit(events.PAYOUT_BATCH_COMPLETED)

    def _emit(self, name: str) -> None:
        payload: dict[str, Any] = {
            "batch_id": self.id,
            "user_id": self.user_id,
            "status": str(self.status),
            "item_count": self.item_count,
        }
        snapshot = replace(self, events=[])
        self.events.append(DomainEvent(name, AGGREGATE_TYPE, self.id, payload, snapshot))


def moves_batch(event_name: str) -> bool:
    """Whether an item's payout event changes its batch's counts."""
    return event_name in ITEM_ENDINGS or event_name == events.PAYOUT_RETURNED
