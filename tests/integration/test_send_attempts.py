"""The send-attempt log under concurrency: opening an attempt locks nothing but its own row, so
the sends of different payouts never wait for one another (nor deadlock, as they once did on
MariaDB's gap locks)."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from payout_service.domain.money import Money
from payout_service.domain.payout import Payout
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.session import SqlSession
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWork, SqlUnitOfWorkFactory
from tests.integration.helpers import DEMO_USER_ID

# Neighbours in the attempts' (payout_id, attempt) index: FIRST and SECOND fall in the gap
# before the attempt of THIRD, where production's deadlock happened
FIRST, SECOND, THIRD = (f"aaaaaaaa-0000-4000-8000-00000000000{n}" for n in (1, 2, 3))


@pytest.fixture
def database_url(mysql_url: str) -> str:
    """MariaDB only: SQLite has one writer at a time, so its sends take turns by design."""
    return mysql_url


async def test_an_open_attempt_of_one_payout_does_not_hold_up_the_next_payouts_attempt(
    db: SqlUnitOfWorkFactory,
) -> None:
    # Given three payouts whose ids are neighbours, and an attempt of the last one only
    now = SystemClock().now()
    async with db() as tx:
        await _add_payouts(tx, now)
        await tx.send_attempts.open(THIRD, now)
        await tx.commit()

    # When the first payout's attempt is opened in a transaction that stays open, and the
    # second payout's attempt is opened meanwhile
    first_open = asyncio.Event()

    async def open_second() -> int:
        await first_open.wait()
        async with db() as second:
            number = await second.send_attempts.open(SECOND, now)
            await second.commit()
            return number

    # (a task made before the first transaction: inside it, Tortoise would nest the second in it)
    opening_second = asyncio.create_task(open_second())
    async with db() as first:
        assert await first.send_attempts.open(FIRST, now) == 1
        first_open.set()
        second_opened = await asyncio.wait_for(opening_second, timeout=10)
        await first.commit()

    # Then the second did not wait for the first, and each payout has its first attempt open
    assert second_opened == 1
    async with db() as tx:
        rows = await tx.session.rows(
            "SELECT payout_id, attempt, result FROM payout_send_attempts ORDER BY payout_id"
        )
    assert [(r["payout_id"], r["attempt"], r["result"]) for r in rows] == [
        (FIRST, 1, "sending"),
        (SECOND, 1, "sending"),
        (THIRD, 1, "sending"),
    ]


async def test_a_groups_first_attempts_open_in_one_insert_and_later_ones_follow_them(
    db: SqlUnitOfWorkFactory,
) -> None:
    # Given three payouts with no attempt
    now = SystemClock().now()
    async with db() as tx:
        await _add_payouts(tx, now)
        await tx.commit()
    # When a group's transaction opens their first attempts together
    async with db() as tx:
        before = await _inserts(tx.session)
        await tx.send_attempts.open_first([THIRD, FIRST, SECOND], now)
        inserted = await _inserts(tx.session) - before
        await tx.commit()
    # Then one INSERT opened the three, and the next attempt of one of them is its second,
    # closing the first as unknown
    assert inserted == 1
    async with db() as tx:
        assert await tx.send_attempts.open(SECOND, now) == 2
        await tx.commit()
    async with db() as tx:
        rows = await tx.session.rows(
            "SELECT payout_id, attempt, result FROM payout_send_attempts"
            " ORDER BY payout_id, attempt"
        )
    assert [(r["payout_id"], r["attempt"], r["result"]) for r in rows] == [
        (FIRST, 1, "sending"),
        (SECOND, 1, "unknown"),
        (SECOND, 2, "sending"),
        (THIRD, 1, "sending"),
    ]


async def _inserts(session: SqlSession) -> int:
    """This connection's INSERTs so far (MariaDB's SESSION status)."""
    (row,) = await session.rows("SHOW SESSION STATUS LIKE 'Com_insert'")
    return int(row["Value"])


async def _add_payouts(tx: SqlUnitOfWork, now: datetime) -> None:
    """FIRST, SECOND and THIRD, pending, without attempts."""
    for n, payout_id in enumerate((FIRST, SECOND, THIRD)):
        await tx.payouts.add(
            Payout.create(
                payout_id=payout_id,
                user_id=DEMO_USER_ID,
                amount=Money.parse("1.00", "USD", max_minor=10_000),
                wallet=f"W{n}",
                external_reference=f"neighbour-{n}",
                now=now,
            )
        )
