"""An operator registers a user: once; the same id and name again changes nothing, the same id
with another name is refused, a bad id or name never reaches the database."""

from datetime import timedelta

import pytest

from payout_service.application.create_user import CreateUser, UserNameTaken
from payout_service.application.operator_input import InvalidInput
from tests.unit.fakes import START, FakeClock, FakeDatabase, FakeUnitOfWorkFactory


@pytest.fixture
def create_user(database: FakeDatabase, clock: FakeClock) -> CreateUser:
    return CreateUser(FakeUnitOfWorkFactory(database), clock)


async def test_a_new_user_is_created(create_user, database):
    done = await create_user(7, "Acme Ltd")
    assert done.created
    assert database.committed.users[7].name == "Acme Ltd"
    assert database.committed.users[7].created_at == START


async def test_the_same_id_and_name_again_changes_nothing(create_user, database, clock):
    await create_user(7, "Acme Ltd")
    clock.advance(timedelta(days=1))
    again = await create_user(7, "Acme Ltd")
    assert not again.created
    assert again.user.created_at == START  # the first registration, as it was
    assert list(database.committed.users) == [7]


async def test_the_same_id_with_another_name_is_refused(create_user, database):
    await create_user(7, "Acme Ltd")
    with pytest.raises(UserNameTaken, match="'Acme Ltd'"):
        await create_user(7, "Someone Else")
    assert database.committed.users[7].name == "Acme Ltd"


@pytest.mark.parametrize(
    ("user_id", "name"),
    [(0, "Acme"), (-1, "Acme"), (2**63, "Acme"), (7, ""), (7, "   "), (7, "a" * 256), (7, "a\nb")],
)
async def test_a_bad_id_or_name_is_refused(create_user, database, user_id, name):
    with pytest.raises(InvalidInput):
        await create_user(user_id, name)
    assert database.committed.users == {}


async def test_a_twin_that_commits_first_is_found(create_user, database, clock):
    # Given another operator registering the same user while ours is about to commit
    twin = CreateUser(FakeUnitOfWorkFactory(database), clock)

    async def twin_commits_first() -> None:
        await twin(7, "Acme Ltd")

    database.before_next_commit = twin_commits_first
    # When ours commits, it loses on the unique id and looks again
    done = await create_user(7, "Acme Ltd")
    # Then it reports the twin's user, not an error
    assert not done.created
    assert list(database.committed.users) == [7]
