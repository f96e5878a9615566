import pytest

from payout_service.domain.accounts import Account, EntryKind, LedgerEntry
from payout_service.domain.errors import InsufficientFunds


def account(balance: int = 10_000, held: int = 0) -> Account:
    return Account(id=7, user_id=123, currency="USD", balance_minor=balance, held_minor=held)


def test_hold_reserves_the_amount_and_lowers_what_is_available():
    # Given an account with 100.00 and nothing held
    acc = account()
    # When 30.00 is held for a payout
    entry = acc.hold(3_000, "p-1")
    # Then the balance is unchanged, 30.00 is held, 70.00 available, and a hold entry says so
    assert (acc.balance_minor, acc.held_minor, acc.available_minor) == (10_000, 3_000, 7_000)
    assert entry == LedgerEntry(7, "USD", EntryKind.HOLD, 3_000, "p-1")


def test_hold_of_exactly_the_available_amount_is_allowed():
    acc = account(balance=10_000, held=4_000)
    acc.hold(6_000, "p-1")
    assert acc.available_minor == 0


def test_hold_beyond_the_available_amount_is_refused_and_changes_nothing():
    # Given 100.00 of which 40.00 is already held
    acc = account(balance=10_000, held=4_000)
    # When 60.01 is asked for
    with pytest.raises(InsufficientFunds) as raised:
        acc.hold(6_001, "p-1")
    # Then the refusal states both figures and the account is untouched
    assert (raised.value.available_minor, raised.value.requested_minor) == (6_000, 6_001)
    assert (acc.balance_minor, acc.held_minor) == (10_000, 4_000)


def test_release_returns_held_money_to_available():
    acc = account(held=3_000)
    entry = acc.release(3_000, "p-1")
    assert (acc.balance_minor, acc.held_minor, acc.available_minor) == (10_000, 0, 10_000)
    assert entry.kind is EntryKind.RELEASE


def test_debit_takes_held_money_out_of_the_balance():
    # Given 30.00 held for a payout
    acc = account(held=3_000)
    # When the payout succeeds and is debited
    entry = acc.debit_held(3_000, "p-1")
    # Then balance and held both drop by 30.00 and available is what it was
    assert (acc.balance_minor, acc.held_minor, acc.available_minor) == (7_000, 0, 7_000)
    assert entry == LedgerEntry(7, "USD", EntryKind.DEBIT, 3_000, "p-1")


@pytest.mark.parametrize("operation", ["release", "debit_held"])
def test_more_than_is_held_cannot_be_released_or_debited(operation):
    acc = account(held=1_000)
    with pytest.raises(ValueError, match="holds 1000"):
        getattr(acc, operation)(1_001, "p-1")
    assert (acc.balance_minor, acc.held_minor) == (10_000, 1_000)


def test_deposit_raises_the_balance():
    acc = account()
    entry = acc.deposit(500)
    assert acc.balance_minor == 10_500
    assert entry == LedgerEntry(7, "USD", EntryKind.DEPOSIT, 500, None)


@pytest.mark.parametrize("amount", [0, -1])
def test_deposit_must_be_positive(amount):
    acc = account()
    with pytest.raises(ValueError):
        acc.deposit(amount)
    assert acc.balance_minor == 10_000
