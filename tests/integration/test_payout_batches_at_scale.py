"""Payouts in several batches of the largest size (5 000) on MariaDB: every hold posted item by
item, the account's held amount their sum, and `ledger verify` clean (its checks stay linear in
the ledger's size). 10 000 items by default; BATCH_SCALE_ITEMS=50000 for the large run (a
multiple of 5 000).

The test has a database of its own, dropped with its rows (250 000 in the large run), rather
than leaving them to be deleted row by row before the next test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest

from payout_service.bootstrap import Services
from payout_service.infrastructure.db.database import close_database
from payout_service.infrastructure.db.ledger_verification import verify_ledger
from payout_service.infrastructure.db.migrations import apply_migrations
from payout_service.infrastructure.db.seed import DEMO_USER_ID
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from tests.conftest import drop_database
from tests.integration.helpers import rows
from tests.integration.test_payout_batches import create_batch, items

BATCH_ITEMS = 5_000  # the default MAX_BATCH_ITEMS
ITEMS = int(os.environ.get("BATCH_SCALE_ITEMS", "10000"))
BATCHES = ITEMS // BATCH_ITEMS


@pytest.fixture
async def database_url(mysql_server_url: str) -> AsyncIterator[str]:
    url = f"{mysql_server_url.rpartition('/')[0]}/payouts_scale_{uuid.uuid4().hex[:8]}"
    await apply_migrations(Settings(database_url=url))
    await close_database()
    yield url
    await drop_database(url)


async def test_items_across_batches_of_the_largest_size_keep_the_ledger_exact(
    services: Services, db: SqlUnitOfWorkFactory
) -> None:
    assert BATCHES >= 2 and ITEMS == BATCHES * BATCH_ITEMS, (
        "BATCH_SCALE_ITEMS: 2 or more batches of 5 000"
    )
    for n in range(BATCHES):
        await create_batch(services, items(BATCH_ITEMS, f"bulk{n}"), f"bulk-{n}")

    (count,) = await rows(db, "SELECT COUNT(*) AS n FROM payouts WHERE batch_id IS NOT NULL")
    (held,) = await rows(
        db,
        "SELECT held_minor FROM user_accounts WHERE user_id = %s AND currency = 'USD'",
        DEMO_USER_ID,
    )
    (outbox,) = await rows(db, "SELECT COUNT(*) AS n FROM outbox_messages")
    (audited,) = await rows(db, "SELECT COUNT(*) AS n FROM audit_logs")
    assert count["n"] == ITEMS
    assert held["held_minor"] == ITEMS  # 0.01 each
    # each item's payout.created goes to the sender; the batches' events, which only notify
    # acts on, have no outbox row (the user has no webhook endpoint), but are audited
    assert outbox["n"] == ITEMS
    assert audited["n"] == ITEMS + BATCHES
    report = await verify_ledger(db)
    assert report.clean, report.violations
    assert report.postings >= ITEMS
