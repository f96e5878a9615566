"""Messages published before the books were one consumer (`record_audit` with `envelopes`,
`settle_ledger` with `envelope`) are still consumed after the upgrade, by the books, and double
nothing, whichever consumer applied their events first. Real MariaDB/SQLite, Redis and a
`dramatiq` worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from payout_service.application.event_routes import Consumer
from payout_service.domain import events
from payout_service.infrastructure.broker import build_broker
from payout_service.infrastructure.db.ledger_verification import verify_ledger
from payout_service.infrastructure.db.outbox import OUTBOX_COLUMNS, OutboxRow
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.outbox.publisher import DramatiqPublisher
from payout_service.infrastructure.settings import Settings
from tests.integration.helpers import rows
from tests.integration.processes import BrokerKeys, effects, environment, eventually, running_worker
from tests.integration.webhook_support import (
    accepted_payout,
    count,
    ledger_kinds,
    money,
    post_webhook,
    webhook,
)

# The consumers the `events` queue had before the books were one.
OLD_AUDIT = Consumer("record_audit", "events", batched=True)
OLD_LEDGER = Consumer("settle_ledger", "events")


def old_routes(row: OutboxRow) -> tuple[Consumer, ...]:
    return (OLD_AUDIT, OLD_LEDGER) if row.event_name == events.PAYOUT_SUCCEEDED else (OLD_AUDIT,)


async def outbox_rows(db: SqlUnitOfWorkFactory) -> list[OutboxRow]:
    found = await rows(db, f"SELECT {OUTBOX_COLUMNS} FROM outbox_messages ORDER BY id")
    async with db() as tx:
        dialect = tx.session.dialect
    return [OutboxRow.from_db(r, dialect) for r in found]


@pytest.mark.parametrize("applied_by", ["keep_books", "record_audit"])
async def test_old_messages_about_events_already_kept_change_nothing(
    webhook_api: Any,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    dispatch_outbox: Any,
    outbox_settings: Settings,
    broker_keys: BrokerKeys,
    tmp_path: Path,
    applied_by: str,
) -> None:
    # Given a payout that succeeded, its events audited and its hold settled, remembered as
    # applied by the books, or (as before the upgrade) by the audit consumer
    payout_id = await accepted_payout(webhook_api, auth, db)
    assert (await post_webhook(webhook_api, webhook(status="success"))).status == 202
    await dispatch_outbox()
    async with db() as tx:
        await tx.session.execute("UPDATE processed_messages SET consumer = %s", applied_by)
        await tx.commit()
    kept = await outbox_rows(db)
    before = (
        await money(webhook_api, auth),
        await count(db, "audit_logs"),
        await ledger_kinds(db, payout_id),
    )
    # (the audit log also holds the events only it hears of, written with them, never published)
    published_audited = await count(
        db, "audit_logs", "message_id IN (SELECT message_id FROM outbox_messages)"
    )
    assert (published_audited, before[2]) == (len(kept), [("hold", "debit"), ("debit", "debit")])

    # When its events come again in the messages the old consumers were sent, and a worker of
    # the `events` queue consumes them
    publisher = DramatiqPublisher(build_broker(outbox_settings), routes=old_routes)
    assert publisher.publish_batch(kept) == [None] * len(kept)
    async with running_worker(environment(outbox_settings, tmp_path), ["events"]):
        await eventually(
            lambda: effects(db),
            lambda e: e.get("keep_books") == len(kept),
            what="every event remembered by the books",
        )
        await eventually(broker_keys.drained, what="the events queue drained")

    # Then none failed, and the money, the audit log and the ledger are as they were
    assert broker_keys.dead("events") == 0
    assert (
        await money(webhook_api, auth),
        await count(db, "audit_logs"),
        await ledger_kinds(db, payout_id),
    ) == before
    report = await verify_ledger(db)
    assert report.clean, report.violations
