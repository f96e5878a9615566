"""`notify` finds which users of a batch have a webhook endpoint with one statement and no
transaction around it: most users have none, and in the end-to-end bench the BEGIN and ROLLBACK
around that read were a transaction in twelve. Real MariaDB, whose status counters count every
BEGIN, COMMIT and ROLLBACK."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from payout_service.application.messages import Envelope
from payout_service.domain.events import PAYOUT_CREATED
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.seed import DEMO_USER_ID
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from tests.integration.helpers import mysql_connection
from tests.integration.outgoing_webhook_support import InProcessNotify


@pytest.fixture
def database_url(mysql_url: str) -> str:
    """MariaDB counts transactions; SQLite does not."""
    return mysql_url


@pytest.fixture
async def notify(db: SqlUnitOfWorkFactory, settings: Settings) -> AsyncIterator[InProcessNotify]:
    consumer = InProcessNotify(db, settings)
    yield consumer
    await consumer.close()


async def transactions_begun_or_ended(url: str) -> int:
    connection = await mysql_connection(url, autocommit=True)
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(
                "SHOW GLOBAL STATUS WHERE Variable_name IN"
                " ('Com_begin', 'Com_commit', 'Com_rollback')"
            )
            return sum(int(value) for _, value in await cursor.fetchall())
    finally:
        connection.close()


def created_event() -> Envelope:
    """A payout.created client event of the demo user, who has no webhook endpoint."""
    return Envelope(
        message_id=str(uuid.uuid4()),
        event=PAYOUT_CREATED,
        aggregate_type="payout",
        aggregate_id=str(uuid.uuid4()),
        payload={"user_id": DEMO_USER_ID},
        headers={},
        occurred_at=SystemClock().now(),
    )


async def test_a_batch_of_users_without_endpoints_costs_no_transaction(
    notify: InProcessNotify, settings: Settings
) -> None:
    # Given a batch of client events of a user with no webhook endpoint
    batch = [created_event() for _ in range(3)]
    before = await transactions_begun_or_ended(settings.database_url)

    # When notify takes it
    delivered = await notify.consume(batch)

    # Then none was for delivery, and finding that out began and ended no transaction
    assert delivered == 0
    assert await transactions_begun_or_ended(settings.database_url) == before
