"""Money arrives on a user's account: an operator credits it, naming the transfer by a reference.

The credit is a deposit posting (domain.accounts: the user's account credited, the currency's
clearing account debited), so `ledger verify` holds. It is idempotent by reference, per account:
the same reference and amount again changes nothing and says so; the same reference with another
amount is refused (CreditReferenceReused). Under the account's row lock one transaction moves the
balance, writes the posting and keeps the reference (account_credits), so two runs of one credit,
however they interleave, pay it once.
"""

from __future__ import annotations

from dataclasses import dataclass

from payout_service.application.errors import AccountNotFound, ApplicationError
from payout_service.application.operator_input import (
    MAX_BALANCE_MINOR,
    MAX_CREDIT_REFERENCE,
    InvalidInput,
    checked_currency,
    checked_text,
    checked_user_id,
    parsed_amount,
)
from payout_service.application.ports import Clock, UniqueViolation, UnitOfWorkFactory
from payout_service.domain.accounts import Account
from payout_service.domain.money import Money, format_minor


class CreditReferenceReused(ApplicationError):
    """The account was credited another amount under this reference."""


@dataclass(frozen=True, slots=True)
class Credit:
    """The account after the credit; `credited` False: the reference had been credited before,
    with this amount, and nothing changed."""

    account: Account
    amount: Money
    reference: str
    credited: bool


class CreditAccount:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(
        self, user_id: int, currency_code: str, amount: str, reference: str
    ) -> Credit:
        """InvalidInput, UnknownCurrency or InvalidAmount for a bad argument; AccountNotFound
        when the user holds no account in the currency; CreditReferenceReused."""
        checked_user_id(user_id)
        money = parsed_amount(amount, checked_currency(currency_code))
        checked_text("reference", reference, MAX_CREDIT_REFERENCE)
        try:
            return await self._credit(user_id, money, reference)
        except UniqueViolation:
            # A concurrent twin kept the reference first: a second look finds it.
            return await self._credit(user_id, money, reference)

    async def _credit(self, user_id: int, money: Money, reference: str) -> Credit:
        code = money.currency.code
        async with self._uow() as uow:
            account = await uow.accounts.get_for_update(user_id, code)
            if account is None:
                raise AccountNotFound(f"user {user_id} has no {code} account")
            earlier = await uow.accounts.find_credit(account.id, reference)
            if earlier is not None:
                if earlier.amount_minor != money.minor:
                    before = format_minor(earlier.amount_minor, money.currency.exponent)
                    raise CreditReferenceReused(
                        f"reference {reference!r} already credited {before} {code} to user"
                        f" {user_id}, not {money.format()}: nothing credited"
                    )
                return Credit(account, money, reference, credited=False)
            if account.balance_minor > MAX_BALANCE_MINOR - money.minor:
                raise InvalidInput(
                    f"the balance would exceed the most an account holds"
                    f" ({format_minor(MAX_BALANCE_MINOR, money.currency.exponent)} {code})"
                )
            now = self._clock.now()
            entry = account.deposit(money.minor)
            await uow.accounts.save_balances(account, now)
            await uow.accounts.append_credit(entry, reference, now)
            await uow.commit()
        return Credit(account, money, reference, credited=True)
