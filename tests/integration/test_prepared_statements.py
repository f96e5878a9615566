"""DATABASE_STATEMENT_CACHE on MariaDB: a statement with values is prepared once per connection
and then executed by the server without parsing it again; 0 sends every statement as text."""

from __future__ import annotations

from dataclasses import replace

import pytest

from payout_service.infrastructure.db.database import close_database, open_database
from payout_service.infrastructure.db.dialect import dialect_for_url
from payout_service.infrastructure.db.seed import DEMO_USER_ID
from payout_service.infrastructure.db.session import SqlSession
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings

COUNTERS = ("Com_stmt_prepare", "Com_stmt_execute")
OPENING_BALANCE_MINOR = 1_000_000  # the demo user's seeded 10 000.00 USD
POOL_ROUNDS = 3
FIND_ACCOUNT = "SELECT balance_minor FROM user_accounts WHERE user_id = %s AND currency = %s"


async def _statement_counters(session: SqlSession) -> dict[str, int]:
    """This connection's own counters (SESSION status), read as text: no values bound."""
    found = await session.rows("SHOW SESSION STATUS LIKE 'Com_stmt_%%'")
    return {row["Variable_name"]: int(row["Value"]) for row in found}


async def _read_twice(uow: SqlUnitOfWorkFactory) -> tuple[dict[str, int], list[int]]:
    """Reads the demo account twice in one transaction; returns how the connection's prepared
    statement counters moved, and what the two reads found."""
    async with uow() as tx:
        before = await _statement_counters(tx.session)
        found = [
            int((await tx.session.rows(FIND_ACCOUNT, DEMO_USER_ID, "USD"))[0]["balance_minor"])
            for _ in range(2)
        ]
        after = await _statement_counters(tx.session)
    return {name: after[name] - before[name] for name in COUNTERS}, found


@pytest.mark.parametrize("database_url", ["mysql"], indirect=True)
async def test_a_statement_is_prepared_once_and_then_executed(db: SqlUnitOfWorkFactory) -> None:
    # When a statement with values runs twice on one connection under the default cache
    moved, found = await _read_twice(db)
    # Then it is prepared once and executed twice (the third execution is the second counter
    # read's own: SHOW is prepared too, before the first read counts), and both reads find the
    # seeded balance
    assert moved == {"Com_stmt_prepare": 1, "Com_stmt_execute": 3}
    assert found == [OPENING_BALANCE_MINOR] * 2


@pytest.mark.parametrize("database_url", ["mysql"], indirect=True)
async def test_no_cache_sends_every_statement_as_text(
    settings: Settings, db: SqlUnitOfWorkFactory
) -> None:
    # Given the database opened again with the cache off
    await close_database()
    await open_database(replace(settings, database_statement_cache=0))
    # When the same statement runs twice
    moved, found = await _read_twice(SqlUnitOfWorkFactory(dialect_for_url(settings.database_url)))
    # Then nothing is prepared, and the reads find the same balance
    assert moved == {"Com_stmt_prepare": 0, "Com_stmt_execute": 0}
    assert found == [OPENING_BALANCE_MINOR] * 2


@pytest.mark.parametrize("database_url", ["mysql"], indirect=True)
async def test_a_unit_of_work_that_only_reads_gets_a_prepared_statements_rows(
    db: SqlUnitOfWorkFactory,
) -> None:
    # When a unit of work outside a transaction (each statement on a pooled connection) runs a
    # statement with values often enough to use every pooled connection's prepared copy
    async with db.reading() as uow:
        found = [
            await uow.session.rows(FIND_ACCOUNT, DEMO_USER_ID, "USD") for _ in range(POOL_ROUNDS)
        ]
    # Then every run returns the row by its column's name (Tortoise's own path lost the rows of
    # a prepared statement: notify's endpoint check failed on every message)
    assert found == [[{"balance_minor": OPENING_BALANCE_MINOR}]] * POOL_ROUNDS
