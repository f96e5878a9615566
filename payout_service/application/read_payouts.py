"""Read one payout or a page of them, only ever the caller's own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from payout_service.application.errors import NotFound
from payout_service.application.ports import PageCursor, UnitOfWorkFactory
from payout_service.domain.payout import Payout, PayoutStatus


@dataclass(frozen=True, slots=True)
class PayoutPage:
    payouts: Sequence[Payout]
    next_cursor: PageCursor | None


class ReadPayouts:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def get(self, caller_user_id: int, payout_id: str) -> Payout:
        async with self._uow() as uow:
            payout = await uow.payouts.get(payout_id)
        if payout is None or payout.user_id != caller_user_id:
            raise NotFound(f"payout {payout_id} not found")
        return payout

    async def list(
        self,
        caller_user_id: int,
        status: PayoutStatus | None,
        limit: int,
        after: PageCursor | None,
        batch_id: str | None = None,
    ) -> PayoutPage:
        """Newest first; `batch_id`: only that batch's items (none when it is not the caller's,
        since every row listed is the caller's own)."""
        async with self._uow() as uow:
            rows = await uow.payouts.list_for_user(
                caller_user_id, status, limit + 1, after, batch_id
            )
        page = rows[:limit]
        more = len(rows) > limit
        cursor = PageCursor(page[-1].created_at, page[-1].id) if more and page else None
        return PayoutPage(page, cursor)
