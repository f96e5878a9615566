"""The audit log takes a transaction's events however many there are: a batch of the largest size
writes one audit row per item in its own transaction, on either database."""

from __future__ import annotations

from payout_service.application.messages import Envelope
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from tests.integration.helpers import rows

EVENTS = 5_001  # a batch of MAX_BATCH_ITEMS' default, and the batch's own event


async def test_a_largest_batchs_events_are_all_audited_in_one_transaction(
    db: SqlUnitOfWorkFactory,
) -> None:
    # Given the events of a batch of 5,000 items (8 values each: more than SQLite's default
    # build takes in one statement)
    now = SystemClock().now()
    envelopes = [
        Envelope(f"m-{n}", "payout.created", "payout", f"p-{n}", {"n": n}, {}, now)
        for n in range(EVENTS)
    ]
    # When one transaction audits them, and one of them again
    async with db() as tx:
        await tx.audit.append_all(envelopes, now)
        await tx.audit.append_all(envelopes[:1], now)
        await tx.commit()
    # Then every one is in the audit log, once
    (count,) = await rows(
        db, "SELECT COUNT(DISTINCT message_id) AS n, COUNT(*) AS c FROM audit_logs"
    )
    assert (count["n"], count["c"]) == (EVENTS, EVENTS)
