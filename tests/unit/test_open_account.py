"""An operator opens a user's account in a currency: at zero, once; only for a known user and
a registered currency."""

import pytest

from payout_service.application.errors import NotFound
from payout_service.application.open_account import OpenAccount
from payout_service.domain.errors import UnknownCurrency
from tests.unit.fakes import FakeClock, FakeDatabase, FakeUnitOfWorkFactory

USER = 7


@pytest.fixture
def open_account(database: FakeDatabase, clock: FakeClock) -> OpenAccount:
    database.add_user(USER, "Acme Ltd")
    return OpenAccount(FakeUnitOfWorkFactory(database), clock)


async def test_an_account_opens_at_zero(open_account, database):
    done = await open_account(USER, "USD")
    assert done.opened
    stored = database.committed.accounts[(USER, "USD")]
    assert (stored.id, stored.balance_minor, stored.held_minor) == (done.account.id, 0, 0)


async def test_opening_it_again_returns_the_account_as_it_is(open_account, database):
    first = await open_account(USER, "USD")
    database.committed.accounts[(USER, "USD")].balance_minor = 500
    again = await open_account(USER, "USD")
    assert not again.opened
    assert (again.account.id, again.account.balance_minor) == (first.account.id, 500)


async def test_an_unknown_user_gets_no_account(open_account, database):
    with pytest.raises(NotFound, match="no user 8"):
        await open_account(8, "USD")
    assert database.committed.accounts == {}


async def test_an_unknown_currency_is_refused_naming_the_known_ones(open_account, database):
    with pytest.raises(UnknownCurrency, match="USD, EUR"):
        await open_account(USER, "usd")
    assert database.committed.accounts == {}


async def test_a_twin_that_commits_first_is_found(open_account, database, clock):
    twin = OpenAccount(FakeUnitOfWorkFactory(database), clock)
    opened = []

    async def twin_commits_first() -> None:
        opened.append(await twin(USER, "USD"))

    database.before_next_commit = twin_commits_first
    done = await open_account(USER, "USD")
    assert not done.opened
    assert done.account.id == opened[0].account.id
