"""A hold is settled once even when different messages about its payout's end are consumed at
the same time: has_settled is a locking read, so a release committed while one waited for the
account lock is seen (with a plain read under REPEATABLE READ, 10 of 10 runs settled twice)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace

from payout_service.domain import events
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.ledger_verification import verify_ledger
from tests.integration.helpers import payout_body, post_payout
from tests.integration.webhook_support import accepted_payout, ledger_kinds, post_webhook, webhook

COPIES = 5


async def test_concurrent_messages_about_one_payouts_end_settle_its_hold_once(
    webhook_api, auth, db, dispatch_outbox, consumers
):
    # Given a payout the provider failed, its payout.failed not yet consumed by the ledger, and
    # another payout's hold (so a second release would find enough held to go through)
    payout_id = await accepted_payout(webhook_api, auth, db)
    other = await post_payout(webhook_api, auth, payout_body(external_reference="ref-2"), "key-2")
    assert other.status == 201, await other.text()
    failed_now = webhook(status="failed", occurred_at=SystemClock().now().isoformat())
    assert (await post_webhook(webhook_api, failed_now)).status == 202
    (failed,) = await dispatch_outbox.envelopes(events.PAYOUT_FAILED)
    # When five different messages about that end reach the books consumer at once
    copies = [replace(failed, message_id=str(uuid.uuid4())) for _ in range(COPIES)]
    await asyncio.gather(*(consumers.keep_books([c]) for c in copies), return_exceptions=True)
    # Then the hold was released once
    assert await ledger_kinds(db, payout_id) == [("hold", "debit"), ("release", "credit")]
    report = await verify_ledger(db)
    assert report.clean, report.violations
