"""Read one payout batch, with its items counted by status now, or a page of them: only ever
the caller's own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from payout_service.application.errors import NotFound
from payout_service.application.ports import UnitOfWorkFactory
from payout_service.domain.payout import PayoutStatus
from payout_service.domain.payout_batch import PayoutBatch


@dataclass(frozen=True, slots=True)
class CountedBatch:
    batch: PayoutBatch
    counts: dict[PayoutStatus, int]


@dataclass(frozen=True, slots=True)
class BatchPage:
    batches: Sequence[PayoutBatch]
    next_cursor: tuple[datetime, str] | None  # the (created_at, id) of the page's last


class ReadPayoutBatches:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def get(self, caller_user_id: int, batch_id: str) -> CountedBatch:
        async with self._uow() as uow:
            batch = await uow.batches.get(batch_id)
            if batch is None or batch.user_id != caller_user_id:
                raise NotFound(f"payout batch {batch_id} not found")
            counts = await uow.payouts.count_in_batch(batch_id)
        return CountedBatch(batch, counts)

    async def list(
        self, caller_user_id: int, limit: int, after: tuple[datetime, str] | None
    ) -> BatchPage:
        async with self._uow() as uow:
            rows = await uow.batches.list_for_user(caller_user_id, limit + 1, after)
        page = rows[:limit]
        more = len(rows) > limit
        return BatchPage(page, (page[-1].created_at, page[-1].id) if more and page else None)
