"""An API key resolves to its user until revoked; its last use is written at most once a minute
per key, never once per request."""

from datetime import timedelta

import pytest

from payout_service.application.authenticate import (
    KEY_USE_INTERVAL_SECONDS,
    Authenticate,
    hash_api_key,
)
from tests.unit.fakes import START, FakeClock, FakeDatabase, FakeUnitOfWorkFactory

USER, KEY = 7, "psk_test_key_of_user_7"


class Monotonic:
    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def monotonic() -> Monotonic:
    return Monotonic()


@pytest.fixture
def authenticate(database: FakeDatabase, clock: FakeClock, monotonic: Monotonic) -> Authenticate:
    database.add_user(USER, "Acme Ltd")
    database.add_api_key(USER, hash_api_key(KEY), KEY[:12])
    return Authenticate(FakeUnitOfWorkFactory(database), 0, clock, monotonic)


def last_used(database: FakeDatabase):  # type: ignore[no-untyped-def]
    return database.committed.api_keys[hash_api_key(KEY)].last_used_at


async def test_a_keys_first_use_is_recorded(authenticate, database):
    assert await authenticate(KEY) == USER
    assert last_used(database) == START


async def test_uses_within_the_interval_write_nothing(authenticate, database, clock, monotonic):
    await authenticate(KEY)
    clock.advance(timedelta(seconds=59))
    monotonic.seconds += 59
    assert await authenticate(KEY) == USER
    assert last_used(database) == START


async def test_a_use_after_the_interval_is_recorded(authenticate, database, clock, monotonic):
    await authenticate(KEY)
    clock.advance(timedelta(seconds=KEY_USE_INTERVAL_SECONDS))
    monotonic.seconds += KEY_USE_INTERVAL_SECONDS
    await authenticate(KEY)
    assert last_used(database) == START + timedelta(seconds=KEY_USE_INTERVAL_SECONDS)


async def test_an_unknown_key_is_nobody_and_records_nothing(authenticate, database):
    assert await authenticate("psk_unknown") is None
    assert last_used(database) is None
