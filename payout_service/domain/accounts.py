"""A user's balance in one currency, and the holds that reserve it for payouts in flight.

Every movement is one append-only ledger entry, so that for each account
balance = sum(deposits) - sum(debits) and held = sum(holds) - sum(releases) - sum(debits).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from payout_service.domain.errors import InsufficientFunds


class EntryKind(StrEnum):
    DEPOSIT = "deposit"  # money arrives: balance up
    HOLD = "hold"  # a payout is accepted: held up, available down
    RELEASE = "release"  # a payout failed or was cancelled: held down
    DEBIT = "debit"  # a payout succeeded: balance and held down together


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    account_id: int
    kind: EntryKind
    amount_minor: int
    payout_id: str | None = None


@dataclass(slots=True)
class Account:
    id: int
    user_id: int
    currency: str
    balance_minor: int
    held_minor: int

    @property
    def available_minor(self) -> int:
        return self.balance_minor - self.held_minor

    def hold(self, amount_minor: int, payout_id: str) -> LedgerEntry:
        if amount_minor > self.available_minor:
            raise InsufficientFunds(self.available_minor, amount_minor)
        self.held_minor += amount_minor
        return LedgerEntry(self.id, EntryKind.HOLD, amount_minor, payout_id)

    def release(self, amount_minor: int, payout_id: str) -> LedgerEntry:
        self._require_held(amount_minor)
        self.held_minor -= amount_minor
        return LedgerEntry(self.id, EntryKind.RELEASE, amount_minor, payout_id)

    def debit_held(self, amount_minor: int, payout_id: str) -> LedgerEntry:
        self._require_held(amount_minor)
        self.held_minor -= amount_minor
        self.balance_minor -= amount_minor
        return LedgerEntry(self.id, EntryKind.DEBIT, amount_minor, payout_id)

    def deposit(self, amount_minor: int) -> LedgerEntry:
        if amount_minor <= 0:
            raise ValueError("a deposit is a positive amount")
        self.balance_minor += amount_minor
        return LedgerEntry(self.id, EntryKind.DEPOSIT, amount_minor)

    def _require_held(self, amount_minor: int) -> None:
        if amount_minor > self.held_minor:
            raise ValueError(f"account {self.id} holds {self.held_minor}, not {amount_minor}")
