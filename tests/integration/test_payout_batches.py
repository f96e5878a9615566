"""Payout batches over the real databases: items are ordinary payouts through the signed
webhook, the inbox and the ledger; the batch follows them and completes exactly once, in the
transaction of its last item; `ledger verify` holds item by item."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from payout_service.application.create_payout_batch import CreateBatchCommand
from payout_service.bootstrap import Services
from payout_service.domain import events
from payout_service.domain.payout_batch import BatchMode, BatchStatus
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.ledger_verification import verify_ledger
from payout_service.infrastructure.db.seed import DEMO_USER_ID
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from tests.integration.helpers import rows
from tests.integration.webhook_support import OutboxDispatcher, at, post_webhook, webhook

# Items driven to their end through webhooks, in batches of up to 5 000; BATCH_SOAK_ITEMS=50000
# for the large run.
DRIVEN_ITEMS = int(os.environ.get("BATCH_SOAK_ITEMS", "60"))
BATCH_SIZE = min(5_000, DRIVEN_ITEMS // 2)
FAILED_ITEMS = "SELECT COUNT(*) AS n FROM payouts WHERE batch_id = %s AND status = 'failed'"


def items(count: int, prefix: str, amount: str = "0.01") -> list[dict[str, Any]]:
    return [
        {
            "amount": amount,
            "currency": "USD",
            "wallet": f"W-{n}",
            "external_reference": f"{prefix}-{n}",
        }
        for n in range(count)
    ]


async def create_batch(services: Services, batch_items: list[dict[str, Any]], key: str) -> str:
    result = await services.create_payout_batch(
        CreateBatchCommand(
            DEMO_USER_ID, key, f"fp-{key}", BatchMode.ALL_OR_NOTHING, batch_items, {}
        )
    )
    assert result.status_code == 201, result.body
    return str(json.loads(result.body)["id"])


async def accept_all(db: SqlUnitOfWorkFactory, batch_id: str) -> list[str]:
    """The batch's items as the provider-send actor leaves them once accepted: processing, with
    the provider's id prov-<payout id>. Returns their ids in id order."""
    found = await rows(db, "SELECT id FROM payouts WHERE batch_id = %s ORDER BY id", batch_id)
    ids = [str(r["id"]) for r in found]
    now = SystemClock().now()
    async with db() as tx:
        for payout_id in ids:
            payout = await tx.payouts.get_for_update(payout_id)
            assert payout is not None
            payout.start_processing(now)
            payout.record_provider_acceptance(f"prov-{payout_id}", now)
            await tx.payouts.update(payout)
        await tx.commit()
    return ids


async def batch_of(db: SqlUnitOfWorkFactory, batch_id: str):  # type: ignore[no-untyped-def]
    async with db() as tx:
        batch = await tx.batches.get(batch_id)
    assert batch is not None
    return batch


async def test_batches_follow_their_items_to_partially_failed_through_webhooks(
    webhook_services: Services, webhook_api, db, dispatch_outbox: OutboxDispatcher
) -> None:
    # Given DRIVEN_ITEMS items in batches of BATCH_SIZE, every item accepted by the provider
    batch_ids = [
        await create_batch(webhook_services, items(BATCH_SIZE, f"drive{b}"), f"drive-{b}")
        for b in range(DRIVEN_ITEMS // BATCH_SIZE)
    ]
    ids = [payout_id for b in batch_ids for payout_id in await accept_all(db, b)]
    await dispatch_outbox()

    # When the provider's signed webhooks say every third item failed, the others succeeded
    for n, payout_id in enumerate(ids):
        outcome = {"status": "failed", "failure_code": "account_closed"} if n % 3 == 0 else {}
        body = webhook(
            f"evt-{payout_id}",
            provider_payout_id=f"prov-{payout_id}",
            occurred_at=at(1),
            **({"status": "success"} | outcome),
        )
        response = await post_webhook(webhook_api, body)
        assert response.status in (200, 202), await response.text()
        if n == len(ids) - 2:
            await dispatch_outbox()
            assert (await batch_of(db, batch_ids[-1])).status is BatchStatus.PROCESSING
    await dispatch_outbox()

    # Then each batch ended partially_failed, said so once, and the ledger is exact
    for batch_id in batch_ids:
        batch = await batch_of(db, batch_id)
        failed = (await rows(db, FAILED_ITEMS, batch_id))[0]["n"]
        assert batch.status is BatchStatus.PARTIALLY_FAILED
        assert (batch.succeeded, batch.failed) == (BATCH_SIZE - failed, failed)
    completed = await rows(
        db, "SELECT data FROM client_events WHERE type = %s", events.PAYOUT_BATCH_COMPLETED
    )
    assert sorted(json.loads(c["data"])["id"] for c in completed) == sorted(batch_ids)
    counts = [json.loads(c["data"])["counts"] for c in completed]
    assert sum(c["success"] + c["failed"] for c in counts) == DRIVEN_ITEMS
    assert sum(c["failed"] for c in counts) == len(range(0, DRIVEN_ITEMS, 3))
    report = await verify_ledger(db)
    assert report.clean, report.violations


async def test_items_ending_at_once_complete_their_batch_exactly_once(
    services: Services, db: SqlUnitOfWorkFactory
) -> None:
    batch_id = await create_batch(services, items(24, "race"), "race")
    ids = await accept_all(db, batch_id)

    async def succeed(payout_id: str) -> None:
        async with db() as tx:
            payout = await tx.payouts.get_for_update(payout_id)
            assert payout is not None
            payout.succeed(SystemClock().now())
            await tx.payouts.update(payout)
            await tx.commit()

    await asyncio.gather(*(succeed(i) for i in ids))

    batch = await batch_of(db, batch_id)
    assert batch.status is BatchStatus.COMPLETED
    assert batch.succeeded == 24
    found = await rows(db, "SELECT event_name FROM audit_logs WHERE aggregate_id = %s", batch_id)
    assert sorted(r["event_name"] for r in found) == [
        events.PAYOUT_BATCH_COMPLETED,
        events.PAYOUT_BATCH_CREATED,
    ]
    sequences = await rows(
        db, "SELECT sequence FROM client_events WHERE user_id = %s ORDER BY sequence", DEMO_USER_ID
    )
    assert [r["sequence"] for r in sequences] == list(range(1, len(sequences) + 1))
