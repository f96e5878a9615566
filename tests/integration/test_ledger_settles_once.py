"""A hold is settled once: the books consumer's has-settled check, not only its processed-message
record, stops a second, different message about the same payout's end from settling it again."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from payout_service.domain import events
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.ledger_verification import verify_ledger
from tests.integration.helpers import payout_body, post_payout
from tests.integration.webhook_support import (
    accepted_payout,
    ledger_kinds,
    money,
    post_webhook,
    webhook,
)


@pytest.mark.parametrize("second_event", [events.PAYOUT_FAILED, events.PAYOUT_SUCCEEDED])
async def test_a_second_message_about_a_settled_hold_settles_nothing(
    webhook_api, auth, db, dispatch_outbox, consumers, second_event
):
    # Given a failed payout of 150.00 whose hold was released, beside another payout's hold of
    # 150.00 (so a second settlement would find enough held to go through unnoticed)
    payout_id = await accepted_payout(webhook_api, auth, db)
    other = await post_payout(webhook_api, auth, payout_body(external_reference="ref-2"), "key-2")
    assert other.status == 201, await other.text()
    failed_now = webhook(status="failed", occurred_at=SystemClock().now().isoformat())
    assert (await post_webhook(webhook_api, failed_now)).status == 202
    await dispatch_outbox()
    (failed,) = await dispatch_outbox.envelopes(events.PAYOUT_FAILED)
    # When a different message (its own message_id) about the same payout's end is consumed
    second = replace(failed, message_id=str(uuid.uuid4()), event=second_event)
    await consumers.keep_books([second])
    # Then the hold was settled once: one release, and only the other payout is still held
    assert await ledger_kinds(db, payout_id) == [("hold", "debit"), ("release", "credit")]
    assert await money(webhook_api, auth) == {
        "currency": "USD",
        "balance": "10000.00",
        "held": "150.00",
        "available": "9850.00",
    }
    report = await verify_ledger(db)
    assert report.clean, report.violations
