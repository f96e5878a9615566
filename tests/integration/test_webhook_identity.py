"""A provider webhook applies only to the payout it names by identity: the provider payout id the
payout holds, or our payout id as its `reference`; never a client's external_reference. A report
about another provider payout is a conflict: flagged for an operator, funds untouched."""

from __future__ import annotations

from tests.integration.helpers import rows
from tests.integration.webhook_support import (
    accepted_payout,
    at,
    count,
    ledger_kinds,
    money,
    payout_of,
    post_webhook,
    webhook,
)

HOLD = ("hold", "debit")
DEBIT = ("debit", "debit")
HOLDING = {"currency": "USD", "balance": "10000.00", "held": "150.00", "available": "9850.00"}


async def inbox(db) -> list[dict]:
    return await rows(
        db, "SELECT event_id, result, payout_id, detail FROM provider_webhook_events ORDER BY id"
    )


async def review_of(db, payout_id: str) -> dict:
    (row,) = await rows(
        db, "SELECT needs_review, review_reason FROM payouts WHERE id = %s", payout_id
    )
    return row


async def test_a_failed_webhook_naming_another_provider_payout_is_a_conflict_releasing_nothing(
    webhook_api, auth, db, dispatch_outbox
):
    # Given a payout of 150.00 the provider accepted as prov-A, its hold in place
    payout_id = await accepted_payout(webhook_api, auth, db, provider_payout_id="prov-A")
    await dispatch_outbox()
    assert await money(webhook_api, auth) == HOLDING
    # When a signed `failed` webhook names provider payout prov-B, with this payout's reference
    # and its client's external_reference
    failed_b = webhook(
        "evt-b",
        provider_payout_id="prov-B",
        reference=payout_id,
        external_reference="ref-1",
        status="failed",
        occurred_at=at(1),
    )
    assert (await post_webhook(webhook_api, failed_b)).status == 202
    await dispatch_outbox()
    # Then it is a conflict: the payout stays processing as prov-A, flagged for an operator
    (event,) = await inbox(db)
    assert (event["result"], event["payout_id"]) == ("conflict", payout_id)
    assert "prov-B" in event["detail"] and "prov-A" in event["detail"]
    payout = await payout_of(webhook_api, auth, payout_id)
    assert (payout["status"], payout["provider_payout_id"]) == ("processing", "prov-A")
    assert payout["needs_review"] is True
    assert "prov-B" in (await review_of(db, payout_id))["review_reason"]
    # and its hold is not released: the account holds what it held
    assert await money(webhook_api, auth) == HOLDING
    assert await ledger_kinds(db, payout_id) == [HOLD]
    assert await count(db, "outbox_messages", "event_name = %s", "payout.failed") == 0

    # When the provider's own success for prov-A arrives later
    success_a = webhook(
        "evt-a", provider_payout_id="prov-A", reference=payout_id, occurred_at=at(2)
    )
    assert (await post_webhook(webhook_api, success_a)).status == 202
    await dispatch_outbox()
    # Then it succeeds the payout, ends the review, and the hold becomes the debit
    payout = await payout_of(webhook_api, auth, payout_id)
    assert (payout["status"], payout["needs_review"]) == ("success", False)
    assert await money(webhook_api, auth) == {
        "currency": "USD",
        "balance": "9850.00",
        "held": "0.00",
        "available": "9850.00",
    }
    assert await ledger_kinds(db, payout_id) == [HOLD, DEBIT]


async def test_a_failed_webhook_naming_only_the_clients_external_reference_matches_no_payout(
    webhook_api, auth, db, dispatch_outbox
):
    # Given a payout of 150.00 the provider accepted as prov-A, external_reference ref-1
    payout_id = await accepted_payout(webhook_api, auth, db, provider_payout_id="prov-A")
    await dispatch_outbox()
    # When a signed `failed` webhook names provider payout prov-B and external_reference ref-1
    failed_b = webhook(
        "evt-b", provider_payout_id="prov-B", external_reference="ref-1", status="failed"
    )
    assert (await post_webhook(webhook_api, failed_b)).status == 202
    await dispatch_outbox()
    # Then it names no payout of ours: nothing matched, nothing changed, nothing released
    (event,) = await inbox(db)
    assert (event["result"], event["payout_id"]) == ("payout_not_found", None)
    payout = await payout_of(webhook_api, auth, payout_id)
    assert (payout["status"], payout["provider_payout_id"]) == ("processing", "prov-A")
    assert payout["needs_review"] is False
    assert await money(webhook_api, auth) == HOLDING
    assert await ledger_kinds(db, payout_id) == [HOLD]


async def test_a_webhook_for_our_provider_payout_naming_another_reference_is_a_conflict(
    webhook_api, auth, db, dispatch_outbox
):
    # Given a payout the provider accepted as prov-A
    payout_id = await accepted_payout(webhook_api, auth, db, provider_payout_id="prov-A")
    await dispatch_outbox()
    # When a `failed` webhook about prov-A names a reference that is not this payout
    failed = webhook(
        "evt-x", provider_payout_id="prov-A", reference="another-payout", status="failed"
    )
    assert (await post_webhook(webhook_api, failed)).status == 202
    await dispatch_outbox()
    # Then it is a conflict, flagged for an operator, and the funds stay held
    (event,) = await inbox(db)
    assert (event["result"], event["payout_id"]) == ("conflict", payout_id)
    assert "another-payout" in (await review_of(db, payout_id))["review_reason"]
    assert (await payout_of(webhook_api, auth, payout_id))["status"] == "processing"
    assert await money(webhook_api, auth) == HOLDING
