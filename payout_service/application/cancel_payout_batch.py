"""Cancel what can still be cancelled in a payout batch.

Each item is cancelled exactly as a single payout is (application.cancel_payout, one
transaction per item, under the item's lock, asking the provider first when an earlier
attempt's answer was unknown): an item already with the provider, being sent or final stays
as it is and is counted as not cancelled. A few items go side by side.

An item whose cancel must ask the provider first can take the provider's timeout: while one
cancel of a batch runs, another of the same batch (a client retrying) is refused at once
instead of piling up behind it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from payout_service.application.errors import (
    BatchCancelInProgress,
    NotFound,
    PayoutNotCancellable,
)
from payout_service.application.idempotency import InFlightKeys
from payout_service.application.ports import UnitOfWorkFactory
from payout_service.domain.payout import Payout, PayoutStatus

# The single-payout cancel (application.cancel_payout.CancelPayout): caller, payout id, headers.
CancelOne = Callable[[int, str, dict[str, str]], Awaitable[Payout]]

# Items looked up per page, and cancelled at once.
PAGE = 500
SIDE_BY_SIDE = 8
# What a cancel may still apply to; the rest of the batch is final or with the provider.
_MAY_CANCEL = (PayoutStatus.PENDING, PayoutStatus.PROCESSING)


@dataclass(frozen=True, slots=True)
class BatchCancellation:
    batch_id: str
    cancelled: int  # by this request
    not_cancellable: int  # pending or processing, and the provider has it or may have it


class CancelPayoutBatch:
    def __init__(self, uow: UnitOfWorkFactory, cancel_payout: CancelOne) -> None:
        self._uow = uow
        self._cancel_payout = cancel_payout
        self._running = InFlightKeys()

    async def __call__(
        self, caller_user_id: int, batch_id: str, headers: dict[str, str]
    ) -> BatchCancellation:
        async with self._uow() as uow:
            batch = await uow.batches.get(batch_id)
        if batch is None or batch.user_id != caller_user_id:
            raise NotFound(f"payout batch {batch_id} not found")
        if not self._running.claim(caller_user_id, batch_id):
            raise BatchCancelInProgress(f"a cancel of payout batch {batch_id} is in progress")
        try:
            return await self._cancel_items(caller_user_id, batch_id, headers)
        finally:
            self._running.release(caller_user_id, batch_id)

    async def _cancel_items(
        self, caller_user_id: int, batch_id: str, headers: dict[str, str]
    ) -> BatchCancellation:
        gate = asyncio.Semaphore(SIDE_BY_SIDE)

        async def cancel(payout_id: str) -> bool:
            async with gate:
                try:
                    payout = await self._cancel_payout(caller_user_id, payout_id, headers)
                except PayoutNotCancellable:
                    return False
                return payout.status is PayoutStatus.CANCELLED

        cancelled = refused = 0
        after = ""
        while True:
            async with self._uow() as uow:
                ids = await uow.payouts.ids_in_batch(batch_id, _MAY_CANCEL, after, PAGE)
            if not ids:
                break
            outcomes = await asyncio.gather(*(cancel(i) for i in ids))
            cancelled += sum(outcomes)
            refused += len(outcomes) - sum(outcomes)
            after = ids[-1]
        return BatchCancellation(batch_id, cancelled, refused)
