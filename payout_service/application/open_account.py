"""An operator opens a user's account in a currency, at zero. Idempotent: an account the user
already holds in the currency is returned as it is."""

from __future__ import annotations

from dataclasses import dataclass

from payout_service.application.errors import NotFound
from payout_service.application.operator_input import checked_currency, checked_user_id
from payout_service.application.ports import Clock, UniqueViolation, UnitOfWorkFactory
from payout_service.domain.accounts import Account


@dataclass(frozen=True, slots=True)
class AccountOpening:
    account: Account
    opened: bool  # False: the user held it already


class OpenAccount:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, user_id: int, currency_code: str) -> AccountOpening:
        """InvalidInput or UnknownCurrency for a bad argument; NotFound for an unknown user."""
        checked_user_id(user_id)
        code = checked_currency(currency_code)
        try:
            return await self._open(user_id, code)
        except UniqueViolation:
            # A concurrent twin opened it first: a second look finds it.
            return await self._open(user_id, code)

    async def _open(self, user_id: int, code: str) -> AccountOpening:
        async with self._uow() as uow:
            if await uow.accounts.find_user(user_id) is None:
                raise NotFound(f"no user {user_id}")
            existing = await uow.accounts.get_for_update(user_id, code)
            if existing is not None:
                return AccountOpening(existing, opened=False)
            account = await uow.accounts.open(user_id, code, self._clock.now())
            await uow.commit()
        return AccountOpening(account, opened=True)
