"""An operator lists a user's API keys (never the keys) and revokes one by its prefix: for good,
idempotently, and never a key it cannot tell apart from another."""

from datetime import timedelta

import pytest

from payout_service.application.errors import NotFound
from payout_service.application.manage_api_keys import AmbiguousKeyPrefix, ManageApiKeys
from payout_service.application.operator_input import InvalidInput
from tests.unit.fakes import START, FakeClock, FakeDatabase, FakeUnitOfWorkFactory

USER, OTHER = 7, 8


@pytest.fixture
def keys(database: FakeDatabase, clock: FakeClock) -> ManageApiKeys:
    database.add_user(USER, "Acme Ltd")
    database.add_user(OTHER, "Other Ltd")
    return ManageApiKeys(FakeUnitOfWorkFactory(database), clock)


async def user_of(database: FakeDatabase, key_hash: str) -> int | None:
    async with FakeUnitOfWorkFactory(database)() as uow:
        return await uow.api_keys.user_for_key_hash(key_hash)


async def test_a_users_keys_are_listed_oldest_first_revoked_ones_too(keys, database):
    database.add_api_key(USER, "h1", "psk_aaaaaaaa", "ci")
    database.add_api_key(OTHER, "h2", "psk_bbbbbbbb")
    database.add_api_key(USER, "h3", "psk_cccccccc", "laptop")
    await keys.revoke("psk_aaaaaaaa")
    listed = await keys.list_for_user(USER)
    assert [(k.prefix, k.label, k.revoked_at) for k in listed] == [
        ("psk_aaaaaaaa", "ci", START),
        ("psk_cccccccc", "laptop", None),
    ]


async def test_an_unknown_user_has_no_list(keys):
    with pytest.raises(NotFound, match="no user 9"):
        await keys.list_for_user(9)


async def test_a_revoked_key_authenticates_no_one(keys, database):
    database.add_api_key(USER, "h1", "psk_aaaaaaaa")
    done = await keys.revoke("psk_aaaaaaaa")
    assert done.revoked
    assert done.key.revoked_at == START
    assert await user_of(database, "h1") is None


async def test_revoking_it_again_changes_nothing(keys, database, clock):
    database.add_api_key(USER, "h1", "psk_aaaaaaaa")
    await keys.revoke("psk_aaaaaaaa")
    clock.advance(timedelta(hours=1))
    again = await keys.revoke("psk_aaaaaaaa")
    assert not again.revoked
    assert again.key.revoked_at == START  # the first revocation's moment, kept
    assert database.committed.api_keys["h1"].revoked_at == START


async def test_an_unknown_prefix_is_not_found(keys):
    with pytest.raises(NotFound, match="psk_zzzzzzzz"):
        await keys.revoke("psk_zzzzzzzz")


async def test_a_prefix_of_several_keys_in_use_revokes_none(keys, database):
    database.add_api_key(USER, "h1", "psk_bench_10")
    database.add_api_key(OTHER, "h2", "psk_bench_10")
    with pytest.raises(AmbiguousKeyPrefix, match=r"users 7, 8\): name the user with --user"):
        await keys.revoke("psk_bench_10")
    assert await user_of(database, "h1") == USER
    assert await user_of(database, "h2") == OTHER


async def test_naming_the_user_picks_their_key(keys, database):
    database.add_api_key(USER, "h1", "psk_bench_10")
    database.add_api_key(OTHER, "h2", "psk_bench_10")
    done = await keys.revoke("psk_bench_10", OTHER)
    assert (done.revoked, done.key.user_id) == (True, OTHER)
    assert await user_of(database, "h1") == USER
    assert await user_of(database, "h2") is None


async def test_a_revoked_twin_does_not_make_a_prefix_ambiguous(keys, database):
    database.add_api_key(USER, "h1", "psk_bench_10")
    database.add_api_key(OTHER, "h2", "psk_bench_10")
    await keys.revoke("psk_bench_10", USER)
    done = await keys.revoke("psk_bench_10")
    assert (done.revoked, done.key.user_id) == (True, OTHER)


@pytest.mark.parametrize("prefix", ["", "psk_" + "a" * 13, "psk_\x00"])
async def test_a_bad_prefix_is_refused(keys, prefix):
    with pytest.raises(InvalidInput):
        await keys.revoke(prefix)
