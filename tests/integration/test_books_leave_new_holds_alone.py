"""The books consumer's settlement checks lock no gaps: a payout created while a batch is being
kept writes its hold at once. Under REPEATABLE READ the has-settled check (a locking read by
payout id) locked the index gaps around every payout it looked at, so a create whose hold fell
into one waited for the batch while holding its account's row lock, which the batch then asked
for: a deadlock, seen in the end-to-end bench as a 500 to a create and a failed books batch."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from typing import Any

import pytest

from payout_service.domain import events
from tests.integration.helpers import mysql_connection, payout_body, post_payout
from tests.integration.webhook_support import ledger_kinds


@pytest.fixture
def database_url(mysql_url: str) -> str:
    """Row and gap locks are MariaDB's: SQLite has one writer at a time."""
    return mysql_url


async def until_waiting_for_a_lock(connection: Any) -> None:
    """Until some transaction waits for a row lock (the books' batch, for the USD account).
    InnoDB refreshes innodb_trx only when it was not read for 0.1 s: polled faster, it never
    changes."""
    for _ in range(100):
        async with connection.cursor() as cursor:
            await cursor.execute(
                "SELECT COUNT(*) FROM information_schema.innodb_trx WHERE trx_state = 'LOCK WAIT'"
            )
            (waiting,) = await cursor.fetchone()
        if waiting:
            return
        await asyncio.sleep(0.2)
    raise AssertionError("the books' batch never waited for the account lock")


def next_id(payout_id: str) -> str:
    """An id sorting right after `payout_id`: its hold lands in the index gap just after it."""
    return payout_id[:-1] + chr(ord(payout_id[-1]) + 1)


async def test_a_hold_written_while_the_books_settle_a_neighbour_neither_waits_nor_deadlocks(
    webhook_api, auth, db, dispatch_outbox, consumers, database_url
):
    # Given a EUR and a USD payout of the same user, held, and their successes for the books
    # (one batch: the EUR account is locked first, then the USD one)
    for currency in ("EUR", "USD"):
        body = payout_body(currency=currency, external_reference=f"ref-{currency}")
        created = await post_payout(webhook_api, auth, body, key=f"key-{currency}")
        assert created.status == 201, await created.text()
    opened = await dispatch_outbox.envelopes(events.PAYOUT_CREATED)
    succeeded = [
        replace(e, message_id=str(uuid.uuid4()), event=events.PAYOUT_SUCCEEDED) for e in opened
    ]
    eur = next(e.aggregate_id for e in opened if e.payload["currency"] == "EUR")

    # And a create of the same user in progress: it holds the USD account's row lock
    creating = await mysql_connection(database_url)
    watching = await mysql_connection(database_url, autocommit=True)
    try:
        async with creating.cursor() as cursor:
            await cursor.execute("SET SESSION innodb_lock_wait_timeout = 3")
            await cursor.execute(
                "SELECT id FROM user_accounts WHERE currency = 'USD' AND user_id ="
                " (SELECT user_id FROM user_accounts WHERE currency = 'EUR' LIMIT 1) FOR UPDATE"
            )
            (usd_account,) = await cursor.fetchone()

        # When the books keep the batch: the EUR payout is settled, then the batch waits for
        # the USD account
        keeping = asyncio.create_task(consumers.keep_books(succeeded))
        await until_waiting_for_a_lock(watching)
        # And the create writes its new payout's hold, whose id sorts right after the EUR one
        async with creating.cursor() as cursor:
            await cursor.execute(
                "INSERT INTO account_ledger_entries (posting_id, account_id, currency, direction,"
                " kind, amount_minor, payout_id, created_at)"
                " VALUES (%s, %s, 'USD', 'debit', 'hold', 100, %s, NOW())",
                (str(uuid.uuid4()), usd_account, next_id(eur)),
            )
        # Then the hold was written without waiting for the books (no lock wait timeout, no
        # deadlock), and once the create is done the batch settles both payouts
        await creating.rollback()
        assert await asyncio.wait_for(keeping, timeout=30) == 2
    finally:
        creating.close()
        watching.close()
    for envelope in opened:
        assert await ledger_kinds(db, envelope.aggregate_id) == [
            ("hold", "debit"),
            ("debit", "debit"),
        ]
