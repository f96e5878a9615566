"""Read the caller's money: each account's balance, held and available, and its ledger lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from payout_service.application.errors import NotFound
from payout_service.application.ports import AccountLine, UnitOfWorkFactory
from payout_service.domain.accounts import Account


@dataclass(frozen=True, slots=True)
class LedgerPage:
    account: Account
    lines: Sequence[AccountLine]
    next_before_id: int | None  # pass back to get the next (older) page


class ReadAccounts:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def accounts(self, caller_user_id: int) -> Sequence[Account]:
        async with self._uow() as uow:
            return await uow.accounts.list_for_user(caller_user_id)

    async def ledger(
        self, caller_user_id: int, currency: str, limit: int, before_id: int | None
    ) -> LedgerPage:
        """Newest first; only ever the caller's own account."""
        async with self._uow() as uow:
            account = next(
                (
                    a
                    for a in await uow.accounts.list_for_user(caller_user_id)
                    if a.currency == currency
                ),
                None,
            )
            if account is None:
                raise NotFound(f"no {currency} account")
            lines = await uow.ledger.lines_of(account.id, limit + 1, before_id)
        page = lines[:limit]
        more = len(lines) > limit
        return LedgerPage(account, page, page[-1].id if more and page else None)
