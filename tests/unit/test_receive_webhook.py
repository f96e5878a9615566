"""Receiving a provider webhook: stored and applied in one transaction, or, when applying fails,
stored unapplied with the message that has the inbox apply it later."""

from datetime import timedelta

import pytest

from payout_service.application.event_routes import WEBHOOK_APPLIED, WEBHOOK_RECEIVED
from payout_service.application.ports import RECEIVED, ProviderWebhook
from payout_service.application.receive_webhook import ReceiveWebhook
from payout_service.domain import events
from payout_service.domain.payout import PayoutStatus
from payout_service.domain.provider_report import ProviderStatus
from tests.unit.fakes import (
    START,
    FakeClock,
    FakeDatabase,
    FakeUnitOfWorkFactory,
    RecordingMetrics,
    booked,
    new_payout,
)

HEADERS = {"request_id": "req-webhook"}


@pytest.fixture
def receive(database: FakeDatabase, metrics: RecordingMetrics) -> ReceiveWebhook:
    return ReceiveWebhook(
        FakeUnitOfWorkFactory(database), FakeClock(START + timedelta(hours=1)), metrics
    )


def given_accepted_payout(database: FakeDatabase) -> int:
    """How many outbox rows the payout's story so far wrote."""
    payout = new_payout("p-1")
    payout.start_processing(START)
    payout.record_provider_acceptance("prov-1", START)
    database.add_payout(payout)
    return len(database.committed.outbox)


def success(event_id: str = "evt-1") -> ProviderWebhook:
    return ProviderWebhook(event_id, "prov-1", "p-1", ProviderStatus.SUCCESS, START)


async def test_a_new_webhook_is_applied_in_the_transaction_that_stores_it(
    receive, database, metrics
):
    # Given an accepted payout
    database.add_endpoint(7)  # its user's webhook endpoint: notify hears of it
    before = given_accepted_payout(database)
    # When its success webhook arrives
    receipt = await receive(success(), {"event_id": "evt-1"}, "{}", HEADERS)
    # Then the answer says it was applied, and the payout succeeded in the same commit
    assert (receipt.duplicate, receipt.result) == (False, "applied")
    assert database.committed.payouts["p-1"].status is PayoutStatus.SUCCESS
    row = database.committed.webhooks[receipt.inbox_event_id]
    assert (row.result, row.payout_id, row.processed_at is not None) == ("applied", "p-1", True)
    # And the outbox holds the payout's event, with the webhook request's headers; the webhook's
    # own event, which only the audit log hears of, went to the audit log in that commit, and so
    # did the payout's
    written = database.committed.outbox[before:]
    assert [(r.event.name, r.headers) for r in written] == [
        (events.PAYOUT_SUCCEEDED, booked(HEADERS))
    ]
    audited = [e for e in database.committed.audit if e.headers == HEADERS]
    assert [(e.event, e.aggregate_id) for e in audited] == [
        (WEBHOOK_APPLIED, str(receipt.inbox_event_id)),
        (events.PAYOUT_SUCCEEDED, "p-1"),
    ]
    assert metrics.counted == [("webhook_ingested", None), ("webhook_processed", "applied")]


async def test_when_applying_fails_the_webhook_is_stored_for_the_inbox_to_apply(
    receive, database, metrics
):
    # Given an accepted payout, and a database whose payout lookups fail (a lock wait timeout)
    before = given_accepted_payout(database)
    database.fail_payout_lookups = RuntimeError("Lock wait timeout exceeded")
    # When its success webhook arrives
    receipt = await receive(success(), {"event_id": "evt-1"}, "{}", HEADERS)
    # Then it is stored unapplied, nothing of the failed attempt is left, and its message asks
    # the inbox to apply it
    assert (receipt.duplicate, receipt.result) == (False, RECEIVED)
    assert database.committed.payouts["p-1"].status is PayoutStatus.PROCESSING
    (row,) = database.committed.webhooks.values()
    assert (row.id, row.result, row.processed_at) == (receipt.inbox_event_id, RECEIVED, None)
    assert [r.event.name for r in database.committed.outbox[before:]] == [WEBHOOK_RECEIVED]
    assert metrics.counted == [("webhook_ingested", None)]


async def test_a_redelivery_answers_what_the_first_delivery_did(receive, database):
    # Given a success webhook applied as it came
    given_accepted_payout(database)
    first = await receive(success(), {"event_id": "evt-1"}, "{}", HEADERS)
    written = len(database.committed.outbox)
    # When the provider delivers it again
    again = await receive(success(), {"event_id": "evt-1"}, "{}", HEADERS)
    # Then it is the same inbox row, a duplicate with the first one's result, and nothing more
    # was written
    assert (again.inbox_event_id, again.duplicate, again.result) == (
        first.inbox_event_id,
        True,
        "applied",
    )
    assert len(database.committed.outbox) == written
