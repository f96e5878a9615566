"""Money that comes back: a paid payout's return, through the signed webhook, the inbox and the
ledger, credits the user once, whatever the provider repeats; and `ledger verify` sees a return
credited twice."""

from __future__ import annotations

from datetime import UTC, datetime

from payout_service.infrastructure.db.ledger_verification import verify_ledger
from tests.integration.helpers import rows
from tests.integration.webhook_support import (
    accepted_payout,
    at,
    ledger_kinds,
    money,
    payout_of,
    post_webhook,
    webhook,
)

OPENING = {"currency": "USD", "balance": "10000.00", "held": "0.00", "available": "10000.00"}
PAID = {"currency": "USD", "balance": "9850.00", "held": "0.00", "available": "9850.00"}


async def paid_payout(api, auth, db, dispatch_outbox) -> str:
    """A payout of 150.00 the provider paid (success webhook applied, debit posted)."""
    payout_id = await accepted_payout(api, auth, db)
    assert (await post_webhook(api, webhook("evt-success", occurred_at=at(1)))).status == 202
    await dispatch_outbox()
    assert await money(api, auth) == PAID
    return payout_id


def returned(event_id: str, code: str = "account_closed", minute: int = 30) -> dict:
    return webhook(event_id, status="returned", failure_code=code, occurred_at=at(minute))


async def test_a_return_credits_the_user_once_under_fifty_duplicate_webhooks(
    webhook_api, auth, db, dispatch_outbox
):
    # Given a payout the provider paid
    payout_id = await paid_payout(webhook_api, auth, db, dispatch_outbox)
    # When the provider reports its return 50 times: the same event redelivered, and new
    # events about the same return
    for n in range(50):
        event_id = "evt-return" if n % 2 else f"evt-return-{n}"
        assert (await post_webhook(webhook_api, returned(event_id))).status == 202
        if n % 10 == 0:
            await dispatch_outbox()
    await dispatch_outbox()
    # Then the payout is returned, says why, and the user has the 150.00 back exactly once
    payout = await payout_of(webhook_api, auth, payout_id)
    assert (payout["status"], payout["failure_code"]) == ("returned", "account_closed")
    assert payout["returned_at"] is not None
    assert await money(webhook_api, auth) == OPENING
    assert await ledger_kinds(db, payout_id) == [
        ("hold", "debit"),
        ("debit", "debit"),
        ("return", "credit"),
    ]
    results = await rows(
        db, "SELECT result, COUNT(*) AS n FROM provider_webhook_events GROUP BY result"
    )
    assert {r["result"]: int(r["n"]) for r in results} == {"applied": 2, "unchanged": 25}
    report = await verify_ledger(db)
    assert report.violations == []
    # And one payout.returned event was written
    events = await rows(
        db,
        "SELECT COUNT(*) AS n FROM audit_logs WHERE aggregate_id = %s"
        " AND event_name = 'payout.returned'",
        payout_id,
    )
    assert int(events[0]["n"]) == 1


async def test_a_return_for_a_failed_payout_is_a_conflict_and_moves_no_money(
    webhook_api, auth, db, dispatch_outbox
):
    # Given a payout the provider failed (its hold released)
    payout_id = await accepted_payout(webhook_api, auth, db)
    failed = webhook("evt-failed", status="failed", failure_code="no_account", occurred_at=at(1))
    assert (await post_webhook(webhook_api, failed)).status == 202
    await dispatch_outbox()
    assert await money(webhook_api, auth) == OPENING
    # When a return is reported for it
    assert (await post_webhook(webhook_api, returned("evt-return"))).status == 202
    await dispatch_outbox()
    # Then it stays failed with its own code, is flagged for an operator, and no money moves
    payout = await payout_of(webhook_api, auth, payout_id)
    assert (payout["status"], payout["failure_code"]) == ("failed", "no_account")
    (flag,) = await rows(
        db, "SELECT needs_review, review_reason FROM payouts WHERE id = %s", payout_id
    )
    assert flag["needs_review"]
    assert "only a successful payout can come back" in flag["review_reason"]
    (event,) = await rows(
        db, "SELECT result FROM provider_webhook_events WHERE event_id = 'evt-return'"
    )
    assert event["result"] == "conflict"
    assert await money(webhook_api, auth) == OPENING
    assert await ledger_kinds(db, payout_id) == [("hold", "debit"), ("release", "credit")]
    assert (await verify_ledger(db)).violations == []


async def test_ledger_verify_catches_a_return_credited_twice(
    webhook_api, auth, db, dispatch_outbox
):
    # Given a returned payout, its return credited
    payout_id = await paid_payout(webhook_api, auth, db, dispatch_outbox)
    assert (await post_webhook(webhook_api, returned("evt-return"))).status == 202
    await dispatch_outbox()
    assert (await verify_ledger(db)).violations == []
    # When a second return credit is planted in the database, balance adjusted to match
    (line,) = await rows(
        db,
        "SELECT posting_id, account_id, amount_minor FROM account_ledger_entries"
        " WHERE payout_id = %s AND kind = 'return' AND account_id IS NOT NULL",
        payout_id,
    )
    async with db() as tx:
        s = tx.session
        for account_id, direction in ((line["account_id"], "credit"), (None, "debit")):
            await s.execute(
                "INSERT INTO account_ledger_entries (posting_id, account_id, currency, direction,"
                " kind, amount_minor, payout_id, created_at)"
                " VALUES ('planted', %s, 'USD', %s, 'return', %s, %s, %s)",
                account_id,
                direction,
                line["amount_minor"],
                payout_id,
                s.dialect.to_db(datetime.now(UTC)),
            )
        await s.execute(
            "UPDATE user_accounts SET balance_minor = balance_minor + %s WHERE id = %s",
            line["amount_minor"],
            line["account_id"],
        )
        await tx.commit()
    # Then ledger verify names the payout returned twice
    violations = (await verify_ledger(db)).violations
    assert f"payout {payout_id} was returned 2 times" in violations
    assert any(v.startswith(f"payout {payout_id} is returned but has") for v in violations)


async def test_ledger_verify_catches_a_success_whose_debit_is_missing_once_it_is_quiet(
    webhook_api, auth, db, dispatch_outbox
):
    # Given a paid payout whose debit posting is deleted (and its balance put back)
    payout_id = await paid_payout(webhook_api, auth, db, dispatch_outbox)
    async with db() as tx:
        await tx.session.execute(
            "DELETE FROM account_ledger_entries WHERE payout_id = %s AND kind = 'debit'", payout_id
        )
        await tx.session.execute(
            "UPDATE user_accounts SET balance_minor = balance_minor + 15000,"
            " held_minor = held_minor + 15000"
        )
        await tx.commit()
    # Then verify, told the service is quiet, says the success has no debit
    violations = (await verify_ledger(db)).violations
    assert f"payout {payout_id} is success but has 0 debits, 0 releases and 0 returns" in violations


async def test_a_return_of_a_payout_whose_success_never_came_is_paid_then_credited_back(
    webhook_api, auth, db, dispatch_outbox
):
    # Given a payout the provider accepted, whose success webhook was lost
    payout_id = await accepted_payout(webhook_api, auth, db)
    # When the provider reports that the money came back
    assert (await post_webhook(webhook_api, returned("evt-return"))).status == 202
    await dispatch_outbox()
    # Then the payout succeeded and was returned, and the ledger shows the debit and the
    # return: the user has the 150.00 back, nothing waits for an operator
    payout = await payout_of(webhook_api, auth, payout_id)
    assert (payout["status"], payout["failure_code"]) == ("returned", "account_closed")
    assert payout["needs_review"] is False
    assert await money(webhook_api, auth) == OPENING
    assert await ledger_kinds(db, payout_id) == [
        ("hold", "debit"),
        ("debit", "debit"),
        ("return", "credit"),
    ]
    report = await verify_ledger(db)
    assert report.violations == []
