"""A user's balance in one currency, the holds that reserve it, and the double-entry ledger.

Every movement is one posting of two append-only lines of the same amount: the user's account on
one side, the provider clearing account of the currency on the other, so each posting's debits
equal its credits. The user's account is credit-normal (it is what the platform owes the user):

    kind     user account   clearing    effect on the user's account
    deposit  credit         debit       balance up (posted)
    hold     debit          credit      held up: a pending transfer, balance unchanged
    debit    debit          credit      posts the hold: balance and held down together
    release  credit         debit       voids the hold: held down
    return   credit         debit       a paid payout came back: balance up (posted)

So balance = sum of posted lines (deposit, debit and return kinds, credit minus debit), held =
the sum of holds that no debit or release has settled, and available = balance - held. A return
reverses a debit with a new posting; the debit stays.
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
    RETURN = "return"  # a paid payout came back: the debited amount is credited again


class Direction(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"

    @property
    def opposite(self) -> Direction:
        return Direction.CREDIT if self is Direction.DEBIT else Direction.DEBIT


POSTED_KINDS = frozenset({EntryKind.DEPOSIT, EntryKind.DEBIT, EntryKind.RETURN})  # the balance
SETTLING_KINDS = frozenset({EntryKind.DEBIT, EntryKind.RELEASE})  # they close a hold

# The side the user's account takes; the clearing account takes the other.
_USER_SIDE = {
    EntryKind.DEPOSIT: Direction.CREDIT,
    EntryKind.HOLD: Direction.DEBIT,
    EntryKind.DEBIT: Direction.DEBIT,
    EntryKind.RELEASE: Direction.CREDIT,
    EntryKind.RETURN: Direction.CREDIT,
}


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """One side of a posting. account_id None is the provider clearing account of `currency`."""

    account_id: int | None
    currency: str
    direction: Direction
    kind: EntryKind
    amount_minor: int
    payout_id: str | None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A movement of one user account, as the account's methods decide it."""

    account_id: int
    currency: str
    kind: EntryKind
    amount_minor: int
    payout_id: str | None = None

    def lines(self) -> tuple[LedgerLine, LedgerLine]:
        """The balanced posting: the user's line, then the clearing account's."""
        side = _USER_SIDE[self.kind]
        return (
            LedgerLine(
                self.account_id, self.currency, side, self.kind, self.amount_minor, self.payout_id
            ),
            LedgerLine(
                None, self.currency, side.opposite, self.kind, self.amount_minor, self.payout_id
            ),
        )


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
        return self._entry(EntryKind.HOLD, amount_minor, payout_id)

    def release(self, amount_minor: int, payout_id: str) -> LedgerEntry:
        self._require_held(amount_minor)
        self.held_minor -= amount_minor
        return self._entry(EntryKind.RELEASE, amount_minor, payout_id)

    def debit_held(self, amount_minor: int, payout_id: str) -> LedgerEntry:
        self._require_held(amount_minor)
        self.held_minor -= amount_minor
        self.balance_minor -= amount_minor
        return self._entry(EntryKind.DEBIT, amount_minor, payout_id)

    def credit_return(self, amount_minor: int, payout_id: str) -> LedgerEntry:
        """The money of a paid (debited) payout came back: the user has it again."""
        if amount_minor <= 0:
            raise ValueError("a return is a positive amount")
        self.balance_minor += amount_minor
        return self._entry(EntryKind.RETURN, amount_minor, payout_id)

    def deposit(self, amount_minor: int) -> LedgerEntry:
        if amount_minor <= 0:
            raise ValueError("a deposit is a positive amount")
        self.balance_minor += amount_minor
        return self._entry(EntryKind.DEPOSIT, amount_minor, None)

    def _entry(self, kind: EntryKind, amount_minor: int, payout_id: str | None) -> LedgerEntry:
        return LedgerEntry(self.id, self.currency, kind, amount_minor, payout_id)

    def _require_held(self, amount_minor: int) -> None:
        if amount_minor > self.held_minor:
            raise ValueError(f"account {self.id} holds {self.held_minor}, not {amount_minor}")
