"""A unit of work's transaction on MariaDB: no BEGIN round trip (its connection keeps autocommit
off, db.transaction_pools), yet one snapshot for the whole transaction, and a connection goes
back to its pool with no transaction open, or not at all."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from payout_service.infrastructure.db.database import close_database, open_database
from payout_service.infrastructure.db.dialect import dialect_for_url
from payout_service.infrastructure.db.seed import DEMO_USER_ID
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings

pytestmark = pytest.mark.parametrize("database_url", ["mysql"], indirect=True)

BALANCE = "SELECT balance_minor FROM user_accounts WHERE user_id = %s AND currency = 'USD'"
ADD = "UPDATE user_accounts SET balance_minor = balance_minor + %s WHERE user_id = %s"
OPENING_BALANCE_MINOR = 1_000_000  # the demo user's seeded 10 000.00 USD


async def _server_counters(db: SqlUnitOfWorkFactory) -> dict[str, int]:
    async with db.reading() as read:
        found = await read.session.rows(
            "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_begin', 'Com_commit')"
        )
    return {row["Variable_name"]: int(row["Value"]) for row in found}


async def _balance(db: SqlUnitOfWorkFactory) -> int:
    async with db() as tx:
        return int((await tx.session.rows(BALANCE, DEMO_USER_ID))[0]["balance_minor"])


async def _add(db: SqlUnitOfWorkFactory, minor: int) -> None:
    async with db() as tx:
        await tx.session.execute(ADD, minor, DEMO_USER_ID)
        await tx.commit()


@pytest.fixture
async def one_connection(settings: Settings, db: SqlUnitOfWorkFactory) -> SqlUnitOfWorkFactory:
    """The database opened again with pools of one connection: every transaction reuses it."""
    await close_database()
    await open_database(replace(settings, database_pool_size=1))
    return SqlUnitOfWorkFactory(dialect_for_url(settings.database_url))


async def test_a_transaction_sends_no_begin(db: SqlUnitOfWorkFactory) -> None:
    # When three units of work write and commit (this test is the server's only client)
    before = await _server_counters(db)
    for _ in range(3):
        await _add(db, 1)
    after = await _server_counters(db)
    # Then the server saw three commits and no BEGIN, and the writes are there
    moved = {name: after[name] - before[name] for name in ("Com_begin", "Com_commit")}
    assert moved == {"Com_begin": 0, "Com_commit": 3}
    assert await _balance(db) == OPENING_BALANCE_MINOR + 3


async def test_a_transaction_reads_one_snapshot(db: SqlUnitOfWorkFactory) -> None:
    # Given a transaction that has read the balance
    async with db() as tx:
        first = await tx.session.rows(BALANCE, DEMO_USER_ID)
        # When another transaction changes it and commits (in a task of its own)
        await asyncio.create_task(_add(db, 5))
        # Then this one still reads the balance of its snapshot, as REPEATABLE READ promises
        assert await tx.session.rows(BALANCE, DEMO_USER_ID) == first
    assert await _balance(db) == OPENING_BALANCE_MINOR + 5


async def test_a_transaction_left_without_commit_leaves_its_connection_clean(
    one_connection: SqlUnitOfWorkFactory,
) -> None:
    db = one_connection
    # Given a transaction that read the balance and wrote, and was left without commit
    async with db() as tx:
        await tx.session.rows(BALANCE, DEMO_USER_ID)
        await tx.session.execute(ADD, 7, DEMO_USER_ID)
    # When the one connection is used again, after a change made through it
    await _add(db, 2)
    # Then its write was rolled back, and the next transaction reads a new snapshot
    assert await _balance(db) == OPENING_BALANCE_MINOR + 2


async def test_a_transaction_cancelled_mid_statement_gives_up_its_connection(
    one_connection: SqlUnitOfWorkFactory,
) -> None:
    db = one_connection

    async def slow_write() -> None:
        async with db() as tx:
            await tx.session.execute(ADD, 11, DEMO_USER_ID)
            await tx.session.rows("SELECT SLEEP(5) AS slept")
            await tx.commit()

    # Given a transaction that wrote and is cancelled while the server runs its next statement
    task = asyncio.create_task(slow_write())
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # When the pool is used again at once
    await _add(db, 3)
    # Then the next transaction gets a fresh connection, which neither reads the sleeping
    # statement's reply nor waits for its lock, and the cancelled write is not there
    assert await asyncio.wait_for(_balance(db), 3) == OPENING_BALANCE_MINOR + 3
