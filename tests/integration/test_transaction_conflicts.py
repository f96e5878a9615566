"""A transaction the database gives up on (a deadlock, a lock wait timeout) is a
TransactionConflict, and over HTTP a 503 problem the client may send again: never a 500. The
end-to-end bench once answered a create with a 500 after a deadlock."""

from __future__ import annotations

import asyncio

import pytest

from payout_service.infrastructure.db.seed import DEMO_USER_ID
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from tests.integration.helpers import mysql_connection, payout_body, post_payout

LOCK_WAIT_SECONDS = 1


@pytest.fixture
def database_url(mysql_url: str) -> str:
    """MariaDB, where a create waits at most LOCK_WAIT_SECONDS for a row lock."""
    return f"{mysql_url}?init_command=SET+SESSION+innodb_lock_wait_timeout%3D{LOCK_WAIT_SECONDS}"


async def test_a_create_that_waits_too_long_for_its_account_is_a_503_to_send_again(
    api, auth, db, database_url
):
    # Given another transaction holding the demo user's USD account row
    holder = await mysql_connection(database_url)
    try:
        async with holder.cursor() as cursor:
            await cursor.execute(
                "SELECT id FROM user_accounts WHERE user_id = %s AND currency = 'USD' FOR UPDATE",
                (DEMO_USER_ID,),
            )
        # When a payout is created for that account
        answer = await post_payout(api, auth, payout_body(), key="key-1")
        # Then it is a 503 problem saying to send it again, not a 500
        assert answer.status == 503, await answer.text()
        assert answer.headers["Retry-After"] == "1"
        assert answer.headers["Content-Type"].startswith("application/problem+json")
        assert (await answer.json())["code"] == "transaction_conflict"
    finally:
        await holder.rollback()
        holder.close()
    # And nothing was kept: the same request under the same key creates the payout once
    again = await post_payout(api, auth, payout_body(), key="key-1")
    assert again.status == 201, await again.text()
    listed = await api.get("/api/payouts", headers=auth)
    assert len((await listed.json())["data"]) == 1


async def test_a_deadlock_is_a_transaction_conflict(db: SqlUnitOfWorkFactory) -> None:
    # Given two transactions (tasks of their own), each holding one of the demo user's accounts
    both_hold = asyncio.Barrier(2)

    async def cross(mine: str, theirs: str) -> None:
        async with db() as tx:
            assert await tx.accounts.get_for_update(DEMO_USER_ID, mine) is not None
            await both_hold.wait()
            # When each asks for the other's
            await tx.accounts.get_for_update(DEMO_USER_ID, theirs)

    crossed = await asyncio.gather(cross("USD", "EUR"), cross("EUR", "USD"), return_exceptions=True)

    # Then the database gave up on one of them, and it says so as a TransactionConflict
    assert sorted(type(c).__name__ for c in crossed) == ["NoneType", "TransactionConflict"]
