"""Stored webhooks applied to payouts and settled in the ledger: once, in order, final is final."""

from __future__ import annotations

import asyncio
from collections import Counter

from payout_service.application.apply_webhook import ApplyWebhook
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.ledger_verification import verify_ledger
from tests.integration.helpers import add_user, payout_body, post_payout, rows
from tests.integration.webhook_support import (
    accepted_payout,
    at,
    count,
    ledger_kinds,
    money,
    payout_of,
    post_webhook,
    store_unapplied,
    webhook,
)
from tests.processes import service_environment

OPENING = {"balance": "10000.00", "held": "0.00", "available": "10000.00"}
HOLD = ("hold", "debit")
DEBIT = ("debit", "debit")
RELEASE = ("release", "credit")


async def inbox(db) -> list[dict]:
    return await rows(
        db,
        "SELECT event_id, result, payout_id, processed_at FROM provider_webhook_events ORDER BY id",
    )


async def assert_ledger_clean(db) -> None:
    report = await verify_ledger(db)
    assert report.violations == []
    assert report.total_debits_minor == report.total_credits_minor


async def test_success_debits_exactly_the_amount_once_and_audits_every_event(
    webhook_api, auth, db, dispatch_outbox
):
    # Given a payout of 150.00 the provider accepted, its hold in place
    payout_id = await accepted_payout(webhook_api, auth, db)
    await dispatch_outbox()
    assert await money(webhook_api, auth) == {
        "currency": "USD",
        "balance": "10000.00",
        "held": "150.00",
        "available": "9850.00",
    }
    # When the provider's signed success webhook arrives and the consumers run
    assert (await post_webhook(webhook_api, webhook(status="success"))).status == 202
    await dispatch_outbox()
    # Then the payout succeeded, the balance is down by exactly 150.00 and nothing is held
    assert (await payout_of(webhook_api, auth, payout_id))["status"] == "success"
    assert await money(webhook_api, auth) == {
        "currency": "USD",
        "balance": "9850.00",
        "held": "0.00",
        "available": "9850.00",
    }
    assert await ledger_kinds(db, payout_id) == [HOLD, DEBIT]
    (event,) = await inbox(db)
    assert (event["event_id"], event["result"], event["payout_id"]) == (
        "evt-1",
        "applied",
        payout_id,
    )
    assert event["processed_at"] is not None
    await assert_ledger_clean(db)
    # And every consumed event has exactly one audit row
    audited = Counter(r["event_name"] for r in await rows(db, "SELECT event_name FROM audit_logs"))
    assert audited == {
        "payout.created": 1,
        "payout.processing": 1,
        "payout.provider_accepted": 1,
        "provider.webhook.applied": 1,
        "payout.succeeded": 1,
    }


async def test_redelivered_messages_change_nothing(
    webhook_api, auth, db, dispatch_outbox, consumers
):
    # Given a payout that succeeded through its webhook, everything consumed
    payout_id = await accepted_payout(webhook_api, auth, db)
    await post_webhook(webhook_api, webhook(status="success"))
    await dispatch_outbox()
    before = (
        await money(webhook_api, auth),
        await count(db, "audit_logs"),
        await count(db, "outbox_messages"),
    )
    # When the books consumer is handed every event (as an earlier version's rows would hand
    # them), and an operator runs an inbox pass too (the webhook's own event is in the audit
    # log already, never published: no message)
    assert await dispatch_outbox.envelopes("provider.webhook.applied") == []
    for event in ("payout.created", "payout.succeeded"):
        envelopes = await dispatch_outbox.envelopes(event)
        assert len(envelopes) == 1
        for envelope in envelopes:
            await consumers.keep_books([envelope])
    assert await ApplyWebhook(db, SystemClock()).process_pending(50) == []
    # Then balances, audit rows and outbox are as they were: one state change, one debit
    assert (
        await money(webhook_api, auth),
        await count(db, "audit_logs"),
        await count(db, "outbox_messages"),
    ) == before
    assert await ledger_kinds(db, payout_id) == [HOLD, DEBIT]


async def test_failure_releases_the_hold_and_keeps_the_balance(
    webhook_api, auth, db, dispatch_outbox
):
    payout_id = await accepted_payout(webhook_api, auth, db)
    await post_webhook(webhook_api, webhook(status="failed"))
    await dispatch_outbox()
    payout = await payout_of(webhook_api, auth, payout_id)
    assert payout["status"] == "failed" and "provider reported" in payout["last_error"]
    assert await money(webhook_api, auth) == {"currency": "USD", **OPENING}
    assert await ledger_kinds(db, payout_id) == [HOLD, RELEASE]
    await assert_ledger_clean(db)


async def test_cancel_releases_the_hold(webhook_api, auth, db, dispatch_outbox):
    # Given a pending payout holding 150.00
    created = await post_payout(webhook_api, auth, payout_body())
    payout_id = (await created.json())["id"]
    await dispatch_outbox()
    assert (await money(webhook_api, auth))["held"] == "150.00"
    # When it is cancelled and the consumers run
    response = await webhook_api.post(f"/api/payouts/{payout_id}/cancel", headers=auth)
    assert response.status == 200, await response.text()
    await dispatch_outbox()
    # Then the hold is released once and the balance is untouched
    assert await money(webhook_api, auth) == {"currency": "USD", **OPENING}
    assert await ledger_kinds(db, payout_id) == [HOLD, RELEASE]
    await assert_ledger_clean(db)


async def test_an_older_event_arriving_late_is_recorded_and_ignored(
    webhook_api, auth, db, dispatch_outbox
):
    # Given success (minute 5) is delivered before processing (minute 1)
    payout_id = await accepted_payout(webhook_api, auth, db)
    await post_webhook(webhook_api, webhook("evt-success", status="success", occurred_at=at(5)))
    await post_webhook(
        webhook_api, webhook("evt-processing", status="processing", occurred_at=at(1))
    )
    await dispatch_outbox()
    # Then the payout is a success as of minute 5, the late event is kept as stale
    payout = await payout_of(webhook_api, auth, payout_id)
    assert (payout["status"], payout["provider_status"]) == ("success", "success")
    assert [(r["event_id"], r["result"]) for r in await inbox(db)] == [
        ("evt-success", "applied"),
        ("evt-processing", "stale"),
    ]
    assert await ledger_kinds(db, payout_id) == [HOLD, DEBIT]
    await assert_ledger_clean(db)


async def test_events_in_order_move_the_payout_along(webhook_api, auth, db, dispatch_outbox):
    payout_id = await accepted_payout(webhook_api, auth, db)
    await post_webhook(webhook_api, webhook("evt-a", status="processing", occurred_at=at(1)))
    await dispatch_outbox()
    assert (await payout_of(webhook_api, auth, payout_id))["provider_status"] == "processing"
    await post_webhook(webhook_api, webhook("evt-b", status="failed", occurred_at=at(2)))
    await dispatch_outbox()
    assert (await payout_of(webhook_api, auth, payout_id))["status"] == "failed"
    assert [r["result"] for r in await inbox(db)] == ["applied", "applied"]
    assert await ledger_kinds(db, payout_id) == [HOLD, RELEASE]


async def test_a_contradictory_outcome_is_a_conflict_and_final_stays_final(
    webhook_api, auth, db, dispatch_outbox
):
    # Given a payout the provider reported successful and that was debited
    payout_id = await accepted_payout(webhook_api, auth, db)
    await post_webhook(webhook_api, webhook("evt-success", status="success", occurred_at=at(1)))
    await dispatch_outbox()
    # When the provider later says it failed, and later still says success again
    await post_webhook(webhook_api, webhook("evt-failed", status="failed", occurred_at=at(2)))
    await post_webhook(webhook_api, webhook("evt-again", status="success", occurred_at=at(3)))
    await dispatch_outbox()
    # Then the contradiction is recorded for an operator, the repeat changes nothing
    events = await rows(
        db, "SELECT event_id, result, detail FROM provider_webhook_events ORDER BY id"
    )
    assert [(e["event_id"], e["result"]) for e in events] == [
        ("evt-success", "applied"),
        ("evt-failed", "conflict"),
        ("evt-again", "unchanged"),
    ]
    assert "reported failed but the payout is success" in events[1]["detail"]
    # And the payout and the ledger are exactly as after the first success
    assert (await payout_of(webhook_api, auth, payout_id))["status"] == "success"
    assert (await money(webhook_api, auth))["balance"] == "9850.00"
    assert await ledger_kinds(db, payout_id) == [HOLD, DEBIT]
    assert await count(db, "outbox_messages", "event_name = %s", "payout.failed") == 0
    await assert_ledger_clean(db)


async def test_success_after_failure_is_a_conflict_and_the_hold_stays_released(
    webhook_api, auth, db, dispatch_outbox
):
    payout_id = await accepted_payout(webhook_api, auth, db)
    await post_webhook(webhook_api, webhook("evt-failed", status="failed", occurred_at=at(1)))
    await post_webhook(webhook_api, webhook("evt-success", status="success", occurred_at=at(2)))
    await dispatch_outbox()
    assert [r["result"] for r in await inbox(db)] == ["applied", "conflict"]
    assert (await payout_of(webhook_api, auth, payout_id))["status"] == "failed"
    assert await money(webhook_api, auth) == {"currency": "USD", **OPENING}
    assert await ledger_kinds(db, payout_id) == [HOLD, RELEASE]
    await assert_ledger_clean(db)


async def test_a_payout_found_by_reference_learns_its_provider_id(
    webhook_api, auth, db, dispatch_outbox
):
    # Given a payout sent, whose acceptance the send has not recorded yet
    payout_id = await accepted_payout(webhook_api, auth, db, provider_payout_id=None)
    # When the provider's webhook names its own id and our reference (the payout's id)
    await post_webhook(webhook_api, webhook(provider_payout_id="prov-77", reference=payout_id))
    await dispatch_outbox()
    # Then the payout is found by its reference, succeeds and knows the provider's id
    payout = await payout_of(webhook_api, auth, payout_id)
    assert (payout["status"], payout["provider_payout_id"]) == ("success", "prov-77")
    assert await count(db, "audit_logs", "event_name = %s", "payout.provider_accepted") == 1


async def test_an_unknown_payout_is_kept_and_applied_once_it_exists(
    webhook_api, auth, db, dispatch_outbox
):
    # Given a webhook for a payout this service does not know (yet)
    await post_webhook(webhook_api, webhook(provider_payout_id="prov-1"))
    await dispatch_outbox()
    assert [(r["result"], r["payout_id"]) for r in await inbox(db)] == [("payout_not_found", None)]
    # When the payout turns up and an operator retries the not-found events by hand
    payout_id = await accepted_payout(webhook_api, auth, db)
    results = await ApplyWebhook(db, SystemClock()).process_pending(50, retry_not_found=True)
    await dispatch_outbox()
    # Then it is applied, once
    assert [(r.result, r.payout_id) for r in results] == [("applied", payout_id)]
    assert (await payout_of(webhook_api, auth, payout_id))["status"] == "success"
    assert await ApplyWebhook(db, SystemClock()).process_pending(50, retry_not_found=True) == []
    assert await ledger_kinds(db, payout_id) == [HOLD, DEBIT]


async def test_the_inbox_pass_applies_what_no_actor_has_and_the_actor_then_skips_it(
    webhook_api, auth, db, dispatch_outbox
):
    # Given a webhook stored unapplied (applying it as it came failed), its message unconsumed
    payout_id = await accepted_payout(webhook_api, auth, db)
    await store_unapplied(db, webhook(status="success"))
    # When `inbox process` runs a pass by hand
    results = await ApplyWebhook(db, SystemClock()).process_pending(50)
    # Then the event is applied, and the actor's later delivery finds nothing left to do
    assert [(r.result, r.payout_id) for r in results] == [("applied", payout_id)]
    await dispatch_outbox()
    assert [r["result"] for r in await inbox(db)] == ["applied"]
    assert await count(db, "audit_logs", "event_name = %s", "payout.succeeded") == 1
    assert await ledger_kinds(db, payout_id) == [HOLD, DEBIT]


async def test_concurrent_deliveries_and_consumers_make_one_change_and_one_debit(
    webhook_api, auth, db, dispatch_outbox, consumers
):
    # Given an accepted payout whose success webhook was stored unapplied
    payout_id = await accepted_payout(webhook_api, auth, db)
    await dispatch_outbox()
    body = webhook(status="success")
    await store_unapplied(db, body)
    # When 200 more copies of it arrive at once
    answers = await asyncio.gather(*(post_webhook(webhook_api, body) for _ in range(200)))
    # Then all are acknowledged as duplicates, and one inbox row and one message exist
    assert {a.status for a in answers} == {202}
    assert [(await a.json())["duplicate"] for a in answers] == [True] * 200
    assert await count(db, "provider_webhook_events") == 1
    (envelope,) = await dispatch_outbox.envelopes("provider.webhook.received")
    # And when that message is consumed five times at once beside an inbox pass
    by_hand = ApplyWebhook(db, SystemClock()).process_pending(50)
    *consumed, passed = await asyncio.gather(
        *(consumers.apply_webhook(envelope) for _ in range(5)), by_hand
    )
    await dispatch_outbox()
    # Then the message was consumed once, and the payout changed once and was debited once
    assert consumed.count(True) == 1 and len(passed) <= 1
    assert await count(db, "audit_logs", "event_name = %s", "payout.succeeded") == 1
    assert await ledger_kinds(db, payout_id) == [HOLD, DEBIT]
    assert (await money(webhook_api, auth))["balance"] == "9850.00"
    await assert_ledger_clean(db)


async def test_the_inbox_commands_run_a_pass_and_report_what_happened(
    webhook_api, auth, db, webhook_settings, commands
):
    # Given a success and a later contradicting failure stored unapplied, and evt-1 reused
    # with another payload
    payout_id = await accepted_payout(webhook_api, auth, db)
    await store_unapplied(db, webhook("evt-1", status="success", occurred_at=at(1)))
    await store_unapplied(db, webhook("evt-2", status="failed", occurred_at=at(2)))
    await post_webhook(webhook_api, webhook("evt-1", status="failed", occurred_at=at(1)))
    env = service_environment(DATABASE_URL=webhook_settings.database_url)
    # When an operator runs `inbox process`, then `inbox status` (in this process, as cli.py
    # runs them; test_operator_json runs them as processes)
    processed = await commands.ok(env, "inbox", "process", "--limit", "50")
    status = await commands.ok(env, "inbox", "status")
    # Then the pass applied the first event, recorded the conflict, and the status says so
    assert f"applied (payout {payout_id})" in processed
    assert "inbox events processed: 2" in processed
    for line in ("applied: 1", "conflict: 1", "unprocessed: 0", "payload conflicts: 1"):
        assert line in status.splitlines(), status
    assert (await payout_of(webhook_api, auth, payout_id))["status"] == "success"


async def test_a_webhook_is_never_matched_by_a_clients_external_reference(
    webhook_api, auth, db, dispatch_outbox
):
    # Given two users' payouts with the same external_reference ref-1, neither accepted yet
    other = await add_user(db, 7, "psk_other_user_key_for_tests")
    mine = await accepted_payout(webhook_api, auth, db, provider_payout_id=None)
    theirs = await accepted_payout(webhook_api, other, db, provider_payout_id=None, user_id=7)
    # When a webhook names an unknown provider payout and, beside it, that external_reference
    await post_webhook(
        webhook_api, webhook(provider_payout_id="prov-unknown", external_reference="ref-1")
    )
    await dispatch_outbox()
    # Then it matches no payout, and neither payout moves nor learns the provider's id
    (event,) = await inbox(db)
    assert (event["result"], event["payout_id"]) == ("payout_not_found", None)
    for auth_of, payout_id in ((auth, mine), (other, theirs)):
        payout = await payout_of(webhook_api, auth_of, payout_id)
        assert (payout["status"], payout["provider_payout_id"]) == ("processing", None)
