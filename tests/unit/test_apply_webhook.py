"""Applying stored provider webhooks: each inbox row once, by the actor or by an inbox pass."""

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from payout_service.application.apply_webhook import ApplyWebhook, InboxResult
from payout_service.application.event_routes import WEBHOOK_RECEIVED
from payout_service.application.messages import Envelope
from payout_service.application.ports import ProviderWebhook
from payout_service.domain import events
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.domain.provider_report import ProviderStatus
from tests.unit.fakes import (
    DECLINED,
    START,
    FakeClock,
    FakeDatabase,
    FakeUnitOfWorkFactory,
    RecordingMetrics,
    StoredWebhook,
    booked,
    new_payout,
)

HEADERS = {"request_id": "req-webhook"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START + timedelta(hours=1))


@pytest.fixture
def apply(database: FakeDatabase, clock: FakeClock, metrics: RecordingMetrics) -> ApplyWebhook:
    return ApplyWebhook(FakeUnitOfWorkFactory(database), clock, metrics)


def given_payout(
    database: FakeDatabase,
    change: Callable[[Payout], None],
    payout_id: str = "p-1",
    user_id: int = 7,
    external_reference: str | None = None,
) -> None:
    payout = new_payout(payout_id, user_id=user_id, external_reference=external_reference)
    change(payout)
    database.add_payout(payout)


def accepted(payout: Payout) -> None:
    payout.start_processing(START)
    payout.record_provider_acceptance("prov-1", START)


async def given_webhook(
    database: FakeDatabase,
    event_id: str,
    status: ProviderStatus,
    occurred_at: datetime = START,
    provider_payout_id: str | None = "prov-1",
    reference: str | None = "p-1",
) -> Envelope:
    """The webhook stored in the inbox, and its provider.webhook.received message."""
    webhook = ProviderWebhook(event_id, provider_payout_id, reference, status, occurred_at)
    async with FakeUnitOfWorkFactory(database)() as uow:
        inbox_id = await uow.webhooks.add(webhook, "{}", f"hash-{event_id}", START)
        await uow.commit()
    return Envelope(
        message_id=f"msg-{event_id}",
        event=WEBHOOK_RECEIVED,
        aggregate_type="provider_webhook",
        aggregate_id=str(inbox_id),
        payload={"inbox_event_id": inbox_id, "event_id": event_id},
        headers=HEADERS,
        occurred_at=START,
    )


def stored(database: FakeDatabase, payout_id: str = "p-1") -> Payout:
    return database.committed.payouts[payout_id]


def inbox_row(database: FakeDatabase, envelope: Envelope) -> StoredWebhook:
    return database.committed.webhooks[envelope.payload["inbox_event_id"]]


@pytest.mark.parametrize(
    ("status", "final", "event_name"),
    [
        (ProviderStatus.SUCCESS, PayoutStatus.SUCCESS, events.PAYOUT_SUCCEEDED),
        (ProviderStatus.FAILED, PayoutStatus.FAILED, events.PAYOUT_FAILED),
    ],
)
async def test_a_final_webhook_finishes_an_accepted_payout_and_marks_its_row_applied(
    apply, database, clock, metrics, status, final, event_name
):
    # Given an accepted payout and a stored webhook reporting its outcome
    database.add_endpoint(7)  # its user's webhook endpoint: notify hears of it
    given_payout(database, accepted)
    envelope = await given_webhook(database, "evt-1", status)
    # When the inbox row's message is consumed
    consumed = await apply(envelope)
    # Then the payout is finished, its event carries the message's headers
    assert consumed is True
    payout = stored(database)
    assert (payout.status, payout.provider_status_at) == (final, START)
    finished = [r.headers for r in database.committed.outbox if r.event.name == event_name]
    assert finished == [booked(HEADERS)]
    # And the row records what applying it did
    row = inbox_row(database, envelope)
    assert (row.processed_at, row.result, row.payout_id, row.detail) == (
        clock.now(),
        "applied",
        "p-1",
        None,
    )
    assert metrics.counted == [("webhook_processed", "applied")]


async def test_a_processing_webhook_records_the_providers_status_only(apply, database):
    given_payout(database, accepted)
    envelope = await given_webhook(database, "evt-1", ProviderStatus.PROCESSING)

    await apply(envelope)

    payout = stored(database)
    assert (payout.status, payout.provider_status, payout.provider_status_at) == (
        PayoutStatus.PROCESSING,
        "processing",
        START,
    )
    assert inbox_row(database, envelope).result == "applied"
    assert database.committed.events_of("p-1")[-1] == events.PAYOUT_PROVIDER_ACCEPTED


async def test_a_report_older_than_the_last_applied_one_is_recorded_stale(apply, database):
    # Given a payout whose last applied report happened two minutes after it was created
    last = START + timedelta(minutes=2)
    given_payout(
        database, lambda p: (accepted(p), p.record_provider_status("processing", last, last))
    )
    before = stored(database)
    # When a success that happened a minute earlier arrives
    envelope = await given_webhook(
        database, "evt-old", ProviderStatus.SUCCESS, last - timedelta(minutes=1)
    )
    await apply(envelope)
    # Then the row says stale and why; the payout is as it was
    row = inbox_row(database, envelope)
    assert (row.result, row.payout_id) == ("stale", "p-1")
    assert "before the last applied report" in (row.detail or "")
    assert stored(database) == before


async def test_a_report_contradicting_a_final_payout_is_recorded_as_a_conflict(apply, database):
    # Given a payout that failed
    given_payout(database, lambda p: (accepted(p), p.fail(DECLINED, "refused", START)))
    before = stored(database)
    # When the provider reports it succeeded
    envelope = await given_webhook(database, "evt-1", ProviderStatus.SUCCESS)
    await apply(envelope)
    # Then the conflict is recorded and flagged for an operator; the payout stays failed
    row = inbox_row(database, envelope)
    assert (row.result, row.payout_id) == ("conflict", "p-1")
    payout = stored(database)
    assert (payout.status, payout.last_error) == (before.status, before.last_error)
    assert payout.needs_review and "reported success" in (payout.review_reason or "")
    assert events.PAYOUT_SUCCEEDED not in database.committed.events_of("p-1")


async def test_a_webhook_naming_no_known_payout_is_recorded_not_found(apply, database):
    given_payout(database, accepted)
    envelope = await given_webhook(
        database, "evt-1", ProviderStatus.SUCCESS, START, "prov-9", "p-9"
    )

    await apply(envelope)

    row = inbox_row(database, envelope)
    assert (row.result, row.payout_id) == ("payout_not_found", None)
    assert row.processed_at is not None
    assert stored(database).status is PayoutStatus.PROCESSING


async def test_a_clients_external_reference_never_names_a_payout(apply, database):
    # Given two users' payouts with the same external_reference, neither accepted yet
    given_payout(database, lambda p: p.start_processing(START), "p-1", user_id=7)
    given_payout(
        database, lambda p: p.start_processing(START), "p-2", user_id=8, external_reference="ref-1"
    )
    # When a webhook names only that client reference, not our payout id
    envelope = await given_webhook(database, "evt-1", ProviderStatus.FAILED, START, None, "ref-1")
    await apply(envelope)
    # Then no payout is found, and neither is touched
    assert inbox_row(database, envelope).result == "payout_not_found"
    assert {stored(database, p).status for p in ("p-1", "p-2")} == {PayoutStatus.PROCESSING}


async def test_a_webhook_about_another_provider_payout_is_a_conflict_for_an_operator(
    apply, database
):
    # Given a payout the provider accepted as prov-1
    given_payout(database, accepted)
    # When a signed failed webhook names provider payout prov-2 with this payout's reference
    envelope = await given_webhook(database, "evt-1", ProviderStatus.FAILED, START, "prov-2", "p-1")
    await apply(envelope)
    # Then it is a conflict: the payout stays processing with its funds held, for an operator
    assert inbox_row(database, envelope).result == "conflict"
    payout = stored(database)
    assert (payout.status, payout.needs_review) == (PayoutStatus.PROCESSING, True)
    assert events.PAYOUT_FAILED not in database.committed.events_of("p-1")


async def test_the_holder_of_the_provider_payout_id_is_the_one_named_not_the_reference(
    apply, database
):
    # Given two accepted payouts: p-1 as prov-1, p-2 as prov-2
    given_payout(database, accepted)

    def accepted_as_prov_2(payout: Payout) -> None:
        payout.start_processing(START)
        payout.record_provider_acceptance("prov-2", START)

    given_payout(database, accepted_as_prov_2, payout_id="p-2")
    # When a failed webhook names prov-2 with p-1 as its reference
    envelope = await given_webhook(database, "evt-1", ProviderStatus.FAILED, START, "prov-2", "p-1")
    await apply(envelope)
    # Then it is about p-2, whose reference it contradicts: a conflict for an operator; p-1,
    # which the reference names and which is locked first, is left as it was
    assert (inbox_row(database, envelope).result, inbox_row(database, envelope).payout_id) == (
        "conflict",
        "p-2",
    )
    assert (stored(database, "p-2").status, stored(database, "p-2").needs_review) == (
        PayoutStatus.PROCESSING,
        True,
    )
    assert (stored(database).status, stored(database).needs_review) == (
        PayoutStatus.PROCESSING,
        False,
    )


async def test_a_redelivered_message_is_not_applied_twice(apply, database, metrics):
    given_payout(database, accepted)
    envelope = await given_webhook(database, "evt-1", ProviderStatus.SUCCESS)
    await apply(envelope)

    again = await apply(envelope)

    assert again is False
    assert database.committed.events_of("p-1").count(events.PAYOUT_SUCCEEDED) == 1
    assert metrics.counted == [("webhook_processed", "applied")]


async def test_a_row_an_inbox_pass_applied_is_not_applied_again_by_its_message(apply, database):
    # Given an inbox pass that applied the row before the actor got its message
    given_payout(database, accepted)
    envelope = await given_webhook(database, "evt-1", ProviderStatus.SUCCESS)
    await apply.process_pending(limit=10)
    # When the message is consumed
    consumed = await apply(envelope)
    # Then the message is remembered, but the payout finished once
    assert consumed is True
    assert database.committed.events_of("p-1").count(events.PAYOUT_SUCCEEDED) == 1


async def test_an_inbox_pass_applies_the_unprocessed_rows_oldest_first(apply, database):
    # Given three accepted payouts; the first one's webhook already applied
    for n in (1, 2, 3):
        given_payout(
            database,
            lambda p, n=n: (
                p.start_processing(START),
                p.record_provider_acceptance(f"prov-{n}", START),
            ),
            f"p-{n}",
            external_reference=f"ref-{n}",
        )
    done = await given_webhook(database, "evt-1", ProviderStatus.SUCCESS, START, "prov-1", "p-1")
    await apply(done)
    second = await given_webhook(database, "evt-2", ProviderStatus.FAILED, START, "prov-2", "p-2")
    third = await given_webhook(database, "evt-3", ProviderStatus.SUCCESS, START, "prov-3", "p-3")
    # When an inbox pass runs
    results = await apply.process_pending(limit=10)
    # Then the two others are applied, in the order they arrived
    ids = [envelope.payload["inbox_event_id"] for envelope in (second, third)]
    assert results == [
        InboxResult(ids[0], "applied", "p-2"),
        InboxResult(ids[1], "applied", "p-3"),
    ]
    assert (stored(database, "p-2").status, stored(database, "p-3").status) == (
        PayoutStatus.FAILED,
        PayoutStatus.SUCCESS,
    )
    assert await apply.process_pending(limit=10) == []


async def test_a_not_found_row_is_retried_only_when_asked_and_then_teaches_the_payout_its_id(
    apply, database
):
    # Given a webhook applied before its payout was known: not found
    envelope = await given_webhook(
        database, "evt-1", ProviderStatus.SUCCESS, START, "prov-9", "p-9"
    )
    await apply(envelope)
    # And then the payout, processing without the provider's id yet
    given_payout(database, lambda p: p.start_processing(START), "p-9", external_reference="ref-9")
    # When an ordinary pass runs, the row is left; a pass retrying not-found rows applies it
    assert await apply.process_pending(limit=10) == []
    retried = await apply.process_pending(limit=10, retry_not_found=True)
    # Then the payout named by its reference succeeded and learnt its provider id
    assert [(r.result, r.payout_id) for r in retried] == [("applied", "p-9")]
    payout = stored(database, "p-9")
    assert (payout.status, payout.provider_payout_id) == (PayoutStatus.SUCCESS, "prov-9")


async def test_a_not_found_report_dated_before_its_payout_existed_is_never_applied(apply, database):
    # Given a failed webhook stored before its payout existed, dated before it too
    early = START - timedelta(minutes=1)
    envelope = await given_webhook(database, "evt-1", ProviderStatus.FAILED, early, None, "p-9")
    await apply(envelope)
    given_payout(database, lambda p: p.start_processing(START), "p-9")
    # When a pass retries the not-found rows
    retried = await apply.process_pending(limit=10, retry_not_found=True)
    # Then the report is stale: the payout is still processing, its funds held
    assert [r.result for r in retried] == ["stale"]
    assert stored(database, "p-9").status is PayoutStatus.PROCESSING
