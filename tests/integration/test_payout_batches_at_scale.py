"""50 000 payouts in batches of 5 000 on MariaDB: every hold posted item by item, the account's
held amount their sum, and `ledger verify` clean (its checks stay linear in the ledger's size).

The test has a database of its own, dropped with its 250 000 rows, rather than leaving them to
be deleted row by row before the next test."""

from __future__ import annotations

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


@pytest.fixture
async def database_url(mysql_server_url: str) -> AsyncIterator[str]:
    url = f"{mysql_server_url.rpartition('/')[0]}/payouts_scale_{uuid.uuid4().hex[:8]}"
    await apply_migrations(Settings(database_url=url))
    await close_database()
    yield url
    await drop_database(url)


async def test_fifty_thousand_items_across_batches_keep_the_ledger_exact(
    services: Services, db: SqlUnitOfWorkFactory
) -> None:
    for n in range(10):
        await create_batch(services, items(5_000, f"bulk{n}"), f"bulk-{n}")

    (count,) = await rows(db, "SELECT COUNT(*) AS n FROM payouts WHERE batch_id IS NOT NULL")
    (held,) = await rows(
        db,
        "SELECT held_minor FROM user_accounts WHERE user_id = %s AND currency = 'USD'",
        DEMO_USER_ID,
    )
    (outbox,) = await rows(db, "SELECT COUNT(*) AS n FROM outbox_messages")
    assert count["n"] == 50_000
    assert held["held_minor"] == 50_000  # 0.01 each
    assert outbox["n"] == 50_000 + 10
    report = await verify_ledger(db)
    assert report.clean, report.violations
    assert report.postings >= 50_000
