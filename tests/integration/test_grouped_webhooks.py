"""Provider webhooks arriving together share one transaction (ReceiveWebhook's groups), on the real
database: each applied as alone, with its own request's id on its events, the ledger equal to
the balances; a group holding a redelivery, or two webhooks of one payout, is received one by
one, so each gets the receipt it would have got alone."""

import asyncio
import json
from typing import Any

from payout_service.infrastructure.db.ledger_verification import verify_ledger
from payout_service.web.webhook_requests import provider_webhook
from tests.integration.helpers import rows
from tests.integration.webhook_support import accepted_payout, at, money, payout_of, webhook


async def receive_all(services: Any, bodies: list[dict[str, Any]]) -> list[Any]:
    """Every webhook at once: they all reach the use case in one turn of the loop."""
    return await asyncio.gather(
        *(
            services.receive_webhook(
                provider_webhook(body),
                body,
                json.dumps(body),
                headers={"request_id": f"req-{body['event_id']}"},
            )
            for body in bodies
        )
    )


async def test_webhooks_arriving_together_are_applied_in_one_transaction(
    webhook_api, webhook_services, auth, db
):
    # Given five payouts of 10.00 the provider accepted
    ids = [
        await accepted_payout(
            webhook_api, auth, db, reference=f"ref-{n}", provider_payout_id=f"prov-{n}", amount="10"
        )
        for n in range(5)
    ]
    # When the provider's five success webhooks arrive at once
    bodies = [webhook(f"evt-{n}", provider_payout_id=f"prov-{n}") for n in range(5)]
    receipts = await receive_all(webhook_services, bodies)
    # Then each is applied, with its own inbox row
    assert [(r.duplicate, r.result) for r in receipts] == [(False, "applied")] * 5
    assert len({r.inbox_event_id for r in receipts}) == 5
    # And in one transaction: its rows have its one moment
    stored = await rows(db, "SELECT received_at FROM provider_webhook_events")
    assert len({r["received_at"] for r in stored}) == 1
    # And each payout succeeded, debited once, the ledger equal to the balances
    for payout_id in ids:
        assert (await payout_of(webhook_api, auth, payout_id))["status"] == "success"
    assert (await money(webhook_api, auth))["balance"] == "9950.00"
    assert (await money(webhook_api, auth))["held"] == "0.00"
    assert (await verify_ledger(db)).clean
    # And each payout's success carries the request id of its own webhook
    for n, payout_id in enumerate(ids):
        (succeeded,) = await rows(
            db,
            "SELECT request_id FROM audit_logs WHERE aggregate_id = %s"
            " AND event_name = 'payout.succeeded'",
            payout_id,
        )
        assert succeeded["request_id"] == f"req-evt-{n}"


async def test_a_group_with_a_redelivery_or_one_payout_twice_is_received_one_by_one(
    webhook_api, webhook_services, auth, db
):
    # Given three accepted payouts, the first's success already received
    for n in range(3):
        await accepted_payout(
            webhook_api, auth, db, reference=f"ref-{n}", provider_payout_id=f"prov-{n}", amount="10"
        )
    (first,) = await receive_all(webhook_services, [webhook("evt-0", provider_payout_id="prov-0")])
    # When its redelivery arrives with the second's success, and the third's processing and
    # success arrive together
    bodies = [
        webhook("evt-0", provider_payout_id="prov-0"),
        webhook("evt-1", provider_payout_id="prov-1"),
        webhook("evt-2a", provider_payout_id="prov-2", status="processing", occurred_at=at(1)),
        webhook("evt-2b", provider_payout_id="prov-2", occurred_at=at(2)),
    ]
    receipts = await receive_all(webhook_services, bodies)
    # Then each gets the receipt it would have got alone
    assert (receipts[0].duplicate, receipts[0].inbox_event_id) == (True, first.inbox_event_id)
    assert [r.duplicate for r in receipts[1:]] == [False, False, False]
    assert receipts[1].result == receipts[3].result == "applied"
    # And each payout was debited once
    assert (await money(webhook_api, auth))["balance"] == "9970.00"
    assert (await verify_ledger(db)).clean
    assert len(await rows(db, "SELECT id FROM provider_webhook_events")) == 4


async def test_a_payouts_webhooks_arriving_together_take_turns_with_no_group_undone(
    webhook_api, webhook_services, auth, db
):
    # Given three accepted payouts
    ids = [
        await accepted_payout(
            webhook_api, auth, db, reference=f"ref-{n}", provider_payout_id=f"prov-{n}", amount="10"
        )
        for n in range(3)
    ]
    # When the first's processing and success webhooks arrive at once, with the two others'
    # successes (a provider may send a payout's webhooks without waiting for our answers)
    bodies = [
        webhook("evt-0a", provider_payout_id="prov-0", status="processing", occurred_at=at(1)),
        webhook("evt-0b", provider_payout_id="prov-0", occurred_at=at(2)),
        webhook("evt-1", provider_payout_id="prov-1", occurred_at=at(2)),
        webhook("evt-2", provider_payout_id="prov-2", occurred_at=at(2)),
    ]
    receipts = await receive_all(webhook_services, bodies)
    # Then each is stored once, and every payout succeeded, debited once
    assert [r.duplicate for r in receipts] == [False] * 4
    assert [r.result for r in receipts[1:]] == ["applied"] * 3
    for payout_id in ids:
        assert (await payout_of(webhook_api, auth, payout_id))["status"] == "success"
    assert (await money(webhook_api, auth))["balance"] == "9970.00"
    assert (await verify_ledger(db)).clean
    # And in two turns, the first's success after its processing, neither undone and done
    # again alone: the processing and the two others share one moment, the success has its own
    stored = {
        r["event_id"]: r["received_at"]
        for r in await rows(db, "SELECT event_id, received_at FROM provider_webhook_events")
    }
    assert stored["evt-0a"] == stored["evt-1"] == stored["evt-2"] != stored["evt-0b"]
    assert stored["evt-0a"] < stored["evt-0b"]
    # And the first's success carries its own webhook's request id
    (succeeded,) = await rows(
        db,
        "SELECT request_id FROM audit_logs WHERE aggregate_id = %s"
        " AND event_name = 'payout.succeeded'",
        ids[0],
    )
    assert succeeded["request_id"] == "req-evt-0b"
