"""Money arrives on a user's account: a balanced deposit posting against the currency's clearing
account, once per reference; the same reference again credits nothing, with another amount it
is refused, and a bad argument never reaches the database."""

import pytest

from payout_service.application.credit_account import CreditAccount, CreditReferenceReused
from payout_service.application.errors import AccountNotFound
from payout_service.application.operator_input import MAX_BALANCE_MINOR, InvalidInput
from payout_service.domain.accounts import Direction, EntryKind
from payout_service.domain.errors import InvalidAmount, UnknownCurrency
from tests.unit.fakes import START, FakeClock, FakeDatabase, FakeUnitOfWorkFactory

USER = 7


@pytest.fixture
def credit(database: FakeDatabase, clock: FakeClock) -> CreditAccount:
    database.add_user(USER, "Acme Ltd")
    database.open_account(USER, "USD", 1_000)
    return CreditAccount(FakeUnitOfWorkFactory(database), clock)


def usd(database: FakeDatabase) -> int:
    return database.committed.accounts[(USER, "USD")].balance_minor


async def test_a_credit_raises_the_balance_with_a_balanced_deposit_posting(credit, database):
    done = await credit(USER, "USD", "150.00", "wire-1")
    assert done.credited
    assert usd(database) == done.account.balance_minor == 16_000
    account_id = database.committed.accounts[(USER, "USD")].id
    lines = [row.line for row in database.committed.ledger_lines]
    assert [(x.account_id, x.direction, x.kind, x.amount_minor) for x in lines] == [
        (account_id, Direction.CREDIT, EntryKind.DEPOSIT, 15_000),
        (None, Direction.DEBIT, EntryKind.DEPOSIT, 15_000),
    ]
    (kept,) = database.committed.account_credits.values()
    assert (kept.reference, kept.amount_minor, kept.created_at) == ("wire-1", 15_000, START)


async def test_the_same_reference_and_amount_again_changes_nothing(credit, database):
    await credit(USER, "USD", "150.00", "wire-1")
    again = await credit(USER, "USD", "150", "wire-1")  # the same amount, written otherwise
    assert not again.credited
    assert usd(database) == again.account.balance_minor == 16_000
    assert len(database.committed.ledger_lines) == 2


async def test_the_same_reference_with_another_amount_is_refused(credit, database):
    await credit(USER, "USD", "150.00", "wire-1")
    with pytest.raises(CreditReferenceReused, match=r"150\.00 USD"):
        await credit(USER, "USD", "151.00", "wire-1")
    assert usd(database) == 16_000
    assert len(database.committed.ledger_lines) == 2


async def test_a_reference_is_per_account(credit, database):
    database.open_account(USER, "EUR", 0)
    await credit(USER, "USD", "1.00", "wire-1")
    other = await credit(USER, "EUR", "2.00", "wire-1")
    assert other.credited
    assert database.committed.accounts[(USER, "EUR")].balance_minor == 200


async def test_no_account_in_the_currency_is_refused(credit, database):
    with pytest.raises(AccountNotFound, match="no EUR account"):
        await credit(USER, "EUR", "1.00", "wire-1")
    assert database.committed.ledger_lines == []


@pytest.mark.parametrize(
    ("currency", "amount", "reference", "error"),
    [
        ("USD", "0", "r", InvalidAmount),
        ("USD", "-1.00", "r", InvalidAmount),
        ("USD", "1.001", "r", InvalidAmount),
        ("USD", "1e3", "r", InvalidAmount),
        ("USD", "²", "r", InvalidAmount),
        ("USD", "1" * 5000, "r", InvalidAmount),  # int() would refuse it with a ValueError
        ("XYZ", "1.00", "r", UnknownCurrency),
        ("USD", "1.00", "", InvalidInput),
        ("USD", "1.00", "r" * 129, InvalidInput),
        ("USD", "1.00", "wire-1 ", InvalidInput),  # MariaDB would take it for "wire-1"
    ],
)
async def test_a_bad_argument_is_refused(credit, database, currency, amount, reference, error):
    with pytest.raises(error):
        await credit(USER, currency, amount, reference)
    assert usd(database) == 1_000
    assert database.committed.account_credits == {}


async def test_a_balance_beyond_what_an_account_holds_is_refused(credit, database):
    database.committed.accounts[(USER, "USD")].balance_minor = MAX_BALANCE_MINOR - 99
    with pytest.raises(InvalidInput, match="most an account holds"):
        await credit(USER, "USD", "1.00", "wire-1")
    assert database.committed.account_credits == {}


async def test_a_twin_that_commits_first_is_found(credit, database, clock):
    # Given the same credit run by another operator, committing while ours is about to
    twin = CreditAccount(FakeUnitOfWorkFactory(database), clock)

    async def twin_commits_first() -> None:
        await twin(USER, "USD", "150.00", "wire-1")

    database.before_next_commit = twin_commits_first
    # When ours commits, it loses on the unique reference and looks again
    done = await credit(USER, "USD", "150.00", "wire-1")
    # Then the money arrived once
    assert not done.credited
    assert usd(database) == 16_000
    assert len(database.committed.ledger_lines) == 2
