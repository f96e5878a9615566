"""An endpoint's delivery log: pages newest first, a retry and a replay that make deliveries
pending and ask the notify consumer in the same transaction; only ever the caller's endpoint and
that endpoint's deliveries."""

from datetime import timedelta

import pytest

from payout_service.application.errors import NotFound
from payout_service.application.webhook_delivery_log import WebhookDeliveryLog
from payout_service.domain.client_events import (
    DELIVERIES_REQUESTED,
    ENDPOINT_AGGREGATE,
    DeliveryStatus,
    WebhookEndpoint,
)
from payout_service.domain.events import PAYOUT_CREATED, PAYOUT_PROCESSING
from tests.unit.fakes import (
    START,
    FakeClock,
    FakeDatabase,
    FakeUnitOfWorkFactory,
    booked,
    new_payout,
)

USER = 7
OTHER_USER = 8
HEADERS = {"request_id": "req-1"}
LATER = START + timedelta(minutes=5)


def endpoint(
    endpoint_id: str, user_id: int, event_types: tuple[str, ...] = ("*",)
) -> WebhookEndpoint:
    return WebhookEndpoint(
        endpoint_id, user_id, "https://hooks.example.com/", event_types, "", "whsec_x", START, START
    )


@pytest.fixture
async def database() -> FakeDatabase:
    """USER's p-1..p-3 created (sequences 1-3) and p-1 processing (4); USER's endpoints we-1
    (every type) and we-2 (payout.processing only); OTHER_USER's we-9."""
    database = FakeDatabase()
    uow = FakeUnitOfWorkFactory(database)
    for payout_id in ("p-1", "p-2", "p-3"):
        async with uow() as tx:
            await tx.payouts.add(new_payout(payout_id, user_id=USER))
            await tx.commit()
    async with uow() as tx:
        p1 = await tx.payouts.get_for_update("p-1")
        assert p1 is not None
        p1.start_processing(START)
        await tx.payouts.update(p1)
        await tx.commit()
    for e in (
        endpoint("we-1", USER),
        endpoint("we-2", USER, (PAYOUT_PROCESSING,)),
        endpoint("we-9", OTHER_USER),
    ):
        database.committed.webhook_endpoints[e.id] = e
    return database


@pytest.fixture
def log(database: FakeDatabase) -> WebhookDeliveryLog:
    return WebhookDeliveryLog(FakeUnitOfWorkFactory(database), FakeClock(LATER))


def requests_of(database: FakeDatabase, endpoint_id: str) -> list[tuple[str, str, dict]]:
    return [
        (r.event.name, r.event.aggregate_type, r.event.payload)
        for r in database.committed.outbox
        if r.event.aggregate_id == endpoint_id
    ]


REQUESTED = (DELIVERIES_REQUESTED, ENDPOINT_AGGREGATE, {"user_id": USER, "endpoint_id": "we-1"})


async def test_replay_makes_what_the_endpoint_subscribes_to_after_the_sequence_pending(
    log, database
):
    everything = await log.replay(USER, "we-1", 1, HEADERS)
    processing_only = await log.replay(USER, "we-2", 0, HEADERS)

    assert (everything, processing_only) == (3, 1)
    rows = database.committed.webhook_deliveries.values()
    assert sorted((r.endpoint_id, r.sequence) for r in rows) == [
        ("we-1", 2),
        ("we-1", 3),
        ("we-1", 4),
        ("we-2", 4),
    ]
    assert {(r.status, r.next_attempt_at) for r in rows} == {(DeliveryStatus.PENDING, LATER)}
    assert requests_of(database, "we-1") == [REQUESTED]
    (row,) = [r for r in database.committed.outbox if r.event.aggregate_id == "we-1"]
    assert row.headers == booked(HEADERS)


async def test_a_replay_with_nothing_to_send_asks_nothing(log, database):
    assert await log.replay(USER, "we-1", 4, HEADERS) == 0
    assert requests_of(database, "we-1") == []


async def test_pages_go_newest_first_and_say_where_the_next_one_starts(log):
    await log.replay(USER, "we-1", 0, HEADERS)

    first = await log.page(USER, "we-1", None, 3, None)
    second = await log.page(USER, "we-1", None, 3, first.next_before_id)

    assert [d.sequence for d in first.deliveries] == [4, 3, 2]
    assert first.next_before_id == first.deliveries[-1].id
    assert ([d.sequence for d in second.deliveries], second.next_before_id) == ([1], None)


async def test_pages_filter_by_status(log, database):
    await log.replay(USER, "we-1", 0, HEADERS)
    newest = max(database.committed.webhook_deliveries.values(), key=lambda r: r.id)
    newest.status = DeliveryStatus.FAILED

    failed = await log.page(USER, "we-1", DeliveryStatus.FAILED, 10, None)
    pending = await log.page(USER, "we-1", DeliveryStatus.PENDING, 10, None)

    assert [d.id for d in failed.deliveries] == [newest.id]
    assert len(pending.deliveries) == 3


async def test_retry_makes_a_finished_delivery_pending_again_and_asks_for_it(log, database):
    await log.replay(USER, "we-1", 3, HEADERS)
    (row,) = database.committed.webhook_deliveries.values()
    row.status, row.finished_at = DeliveryStatus.FAILED, START
    database.committed.outbox.clear()

    retried = await log.retry(USER, "we-1", row.id, HEADERS)

    assert (retried.id, retried.status, retried.next_attempt_at, retried.finished_at) == (
        row.id,
        DeliveryStatus.PENDING,
        LATER,
        None,
    )
    assert database.committed.webhook_deliveries[row.id].status is DeliveryStatus.PENDING
    assert requests_of(database, "we-1") == [REQUESTED]


async def test_a_delivery_of_another_endpoint_is_not_found_and_left_as_it_was(log, database):
    await log.replay(USER, "we-2", 0, HEADERS)
    (row,) = database.committed.webhook_deliveries.values()
    row.status = DeliveryStatus.DELIVERED

    with pytest.raises(NotFound):
        await log.retry(USER, "we-1", row.id, HEADERS)
    with pytest.raises(NotFound):
        await log.retry(USER, "we-1", 999, HEADERS)

    assert database.committed.webhook_deliveries[row.id].status is DeliveryStatus.DELIVERED
    assert requests_of(database, "we-1") == []


async def test_another_users_endpoint_is_not_found_whatever_is_asked(log, database):
    await log.replay(OTHER_USER, "we-9", 0, HEADERS)
    database.committed.outbox.clear()

    for attempt in (
        log.page(USER, "we-9", None, 10, None),
        log.retry(USER, "we-9", 1, HEADERS),
        log.replay(USER, "we-9", 0, HEADERS),
    ):
        with pytest.raises(NotFound):
            await attempt
    assert requests_of(database, "we-9") == []


async def test_only_the_users_own_events_are_replayed(log, database):
    # OTHER_USER has no events: its endpoint has nothing to replay
    assert await log.replay(OTHER_USER, "we-9", 0, HEADERS) == 0
    assert [e.type for e in database.committed.client_events].count(PAYOUT_CREATED) == 3
