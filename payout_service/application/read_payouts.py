"""Read one payout or a page of them, only ever the caller's own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from payout_service.application.errors import NotFound
from payout_service.application.ports import PageCursor, PayoutFilter, UnitOfWorkFactory
from payout_service.domain.payout import Payout


@dataclass(frozen=True, slots=True)
class PayoutPage:
    """`next_cursor`: where the next page starts; None when this page is the last."""

    payouts: Sequence[Payout]
    next_cursor: PageCursor | None

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None


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
        filters: PayoutFilter,
        limit: int,
        after: PageCursor | None,
    ) -> PayoutPage:
        """Newest first, those matching every one of `filters`. Only the caller's payouts are
        listed: a batch_id or external_reference of another user's matches none."""
        async with self._uow() as uow:
            rows = await uow.payouts.list_for_user(caller_user_id, filters, limit + 1, after)
        page = rows[:limit]
        more = len(rows) > limit
        cursor = PageCursor(page[-1].created_at, page[-1].id) if more and page else None
        return PayoutPage(page, cursor)
