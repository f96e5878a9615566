"""Client events reach a real receiving server on 127.0.0.1 through the notify consumer's real
parts (SQL on SQLite and MariaDB, the aiohttp sender and its address policy): signed with the
endpoint's secrets, retried, in order per payout, never to a forbidden address, replayed.

The consumer runs in this process on the committed outbox rows (InProcessNotify), its wake-ups
fired by the test; tests/integration/test_outgoing_webhooks_processes.py runs the real worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from payout_service.application.representation import client_event_representation
from payout_service.domain.client_events import (
    ENDPOINT_AGGREGATE,
    PING_REQUESTED,
    DeliveryStatus,
)
from payout_service.domain.events import DomainEvent
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.outgoing_webhooks.sender import (
    EVENT_ID_HEADER,
    SEQUENCE_HEADER,
)
from payout_service.infrastructure.settings import Settings
from tests.integration.helpers import payout_body, post_payout
from tests.integration.outgoing_webhook_support import (
    CLIENT_SECRET,
    ClientReceiver,
    InProcessNotify,
    add_endpoint,
    client_receiver,
    deliveries,
    event_ids,
    request_deliveries,
    start_processing,
)
from tests.integration.provider_support import reconcile_once


@pytest.fixture
def notify_settings(webhook_settings: Settings) -> Settings:
    """No Redis (the test fires the wake-ups); http:// to loopback allowed, as in the tests'
    and `make run`'s configuration."""
    return replace(webhook_settings, outgoing_webhooks_allow_http_loopback="on")


@pytest.fixture
async def notify(
    db: SqlUnitOfWorkFactory, notify_settings: Settings
) -> AsyncIterator[InProcessNotify]:
    consumer = InProcessNotify(db, notify_settings)
    yield consumer
    await consumer.close()


@pytest.fixture
async def receiver(aiohttp_server: Any) -> ClientReceiver:
    return await client_receiver(aiohttp_server)


async def create_payout(api: TestClient, auth: dict[str, str], reference: str) -> str:
    response = await post_payout(
        api, auth, payout_body(external_reference=reference, amount="1.00"), key=reference
    )
    assert response.status == 201, await response.text()
    return str((await response.json())["id"])


async def test_an_event_arrives_signed_with_the_endpoints_secret(
    webhook_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    notify: InProcessNotify,
    receiver: ClientReceiver,
) -> None:
    endpoint = await add_endpoint(db, receiver.url)
    payout_id = await create_payout(webhook_api, auth, "ref-signed")

    await notify.dispatch()

    # Then the client received payout.created as the events API shows it, verifiable with its
    # secret and with no other
    (arrival,) = receiver.arrivals
    async with db() as tx:
        (event,) = await tx.client_events.of_payout(payout_id, 1)
    assert arrival.event == client_event_representation(event)
    assert arrival.verifies_with(CLIENT_SECRET)
    assert not arrival.verifies_with("whsec_someone_else")
    assert arrival.headers[EVENT_ID_HEADER] == event.id
    assert arrival.headers[SEQUENCE_HEADER] == str(event.sequence)
    assert arrival.headers["User-Agent"].startswith("payout-service/")
    assert arrival.headers["Content-Type"] == "application/json"
    # and the delivery is logged delivered, its attempt with the status and a latency
    (delivery,) = await deliveries(db, endpoint.id)
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
        "delivered",
        1,
        200,
    )
    async with db() as tx:
        (logged,) = await tx.webhook_deliveries.list_for_endpoint(endpoint.id, None, 10, None)
    assert [(a.status_code, a.error) for a in logged.attempt_log] == [(200, None)]
    assert notify.counted("delivered") == 1


async def test_both_secrets_sign_during_a_rotations_overlap(
    webhook_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    notify: InProcessNotify,
    receiver: ClientReceiver,
) -> None:
    endpoint = await add_endpoint(db, receiver.url, secret="whsec_old_0123456789")
    # Given the secret was rotated (the API does this through the same repository)
    async with db() as tx:
        stored = await tx.webhook_endpoints.get_for_update(endpoint.id)
        assert stored is not None
        stored.rotate_secret("whsec_new_9876543210", notify.clock.now(), timedelta(hours=24))
        await tx.webhook_endpoints.update(stored)
        await tx.commit()

    await create_payout(webhook_api, auth, "ref-rotated")
    await notify.dispatch()

    # Then a client holding either secret can verify it
    (arrival,) = receiver.arrivals
    assert arrival.verifies_with("whsec_new_9876543210")
    assert arrival.verifies_with("whsec_old_0123456789")
    assert arrival.headers["Payout-Signature"].count("v1=") == 2


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_a_forbidden_address_is_refused_at_delivery_and_never_contacted(
    webhook_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    webhook_settings: Settings,
    receiver: ClientReceiver,
    host: str,
) -> None:
    # Given loopback is not allowed, and an endpoint whose host is (or resolves to) loopback
    notify = InProcessNotify(
        db, replace(webhook_settings, outgoing_webhooks_allow_http_loopback="off")
    )
    port = receiver.url.split(":")[2].split("/")[0]
    endpoint = await add_endpoint(db, f"https://{host}:{port}/hooks")
    try:
        await create_payout(webhook_api, auth, "ref-refused")
        await notify.dispatch()
    finally:
        await notify.close()

    # Then nothing reached the receiver; the delivery waits for a retry, refused
    assert receiver.arrivals == []
    (delivery,) = await deliveries(db, endpoint.id)
    assert (delivery["status"], delivery["last_status_code"]) == ("pending", None)
    assert "loopback" in delivery["last_error"]
    assert notify.counted("refused_address") == 1
    assert notify.wake_ups.asked, "a retry is scheduled"


async def test_a_failed_delivery_is_retried_then_delivered(
    webhook_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    notify: InProcessNotify,
    receiver: ClientReceiver,
) -> None:
    endpoint = await add_endpoint(db, receiver.url)
    answers = iter([500, 200])
    receiver.answer = lambda event: next(answers)
    await create_payout(webhook_api, auth, "ref-retried")

    # When the first attempt gets a 500
    await notify.dispatch()
    (delivery,) = await deliveries(db, endpoint.id)
    assert (delivery["status"], delivery["last_status_code"]) == ("pending", 500)
    (wake_up,) = notify.wake_ups.asked
    assert timedelta(seconds=0.7) < wake_up[1] - notify.clock.now() < timedelta(seconds=1.3)

    # and its wake-up comes
    assert await notify.fire_wake_ups() == 1

    # Then the second attempt delivered it, the same event both times
    assert [a.status for a in receiver.arrivals] == [500, 200]
    assert len(set(event_ids(receiver.arrivals))) == 1
    async with db() as tx:
        (logged,) = await tx.webhook_deliveries.list_for_endpoint(endpoint.id, None, 10, None)
    assert logged.status is DeliveryStatus.DELIVERED
    assert [a.status_code for a in logged.attempt_log] == [500, 200]
    assert "HTTP 500" in (logged.attempt_log[0].error or "")
    assert (notify.counted("retry"), notify.counted("delivered")) == (1, 1)


async def test_a_payout_whose_event_fails_holds_back_only_its_own_later_events(
    webhook_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    notify: InProcessNotify,
    receiver: ClientReceiver,
) -> None:
    await add_endpoint(db, receiver.url)
    stuck = await create_payout(webhook_api, auth, "ref-stuck")
    other = await create_payout(webhook_api, auth, "ref-other")
    await start_processing(db, stuck)
    await start_processing(db, other)
    refusals = {"left": 3}

    def answer(event: dict[str, Any]) -> int:
        if (event["payout_id"], event["payout_version"]) == (stuck, 1) and refusals["left"]:
            refusals["left"] -= 1
            return 503
        return 200

    receiver.answer = answer

    # When every event is dispatched while the stuck payout's version 1 is refused
    await notify.dispatch()

    # Then the other payout's events went through; the stuck one's version 2 waited
    seen = [(e["payout_id"], e["payout_version"]) for e in receiver.delivered()]
    assert seen == [(other, 1), (other, 2)]
    assert all(a.event["payout_version"] == 1 for a in receiver.arrivals if a.status != 200)

    # When its retries come, until one is delivered
    await notify.fire_wake_ups()

    # Then the client saw version 1 before version 2, each delivered once
    ours = [e["payout_version"] for e in receiver.delivered() if e["payout_id"] == stuck]
    assert ours == [1, 2]
    assert refusals["left"] == 0


async def test_version_two_consumed_before_version_one_still_arrives_second(
    webhook_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    notify: InProcessNotify,
    receiver: ClientReceiver,
) -> None:
    await add_endpoint(db, receiver.url)
    payout_id = await create_payout(webhook_api, auth, "ref-reordered")
    await start_processing(db, payout_id)

    await notify.dispatch(newest_first=True)

    assert [e["payout_version"] for e in receiver.delivered()] == [1, 2]
    assert len(receiver.arrivals) == 2


async def test_a_replay_sends_the_events_again_in_order_with_their_ids(
    webhook_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    notify: InProcessNotify,
    receiver: ClientReceiver,
) -> None:
    endpoint = await add_endpoint(db, receiver.url)
    payout_id = await create_payout(webhook_api, auth, "ref-replayed")
    await start_processing(db, payout_id)
    await notify.dispatch()
    first = event_ids(receiver.arrivals)

    # When the client asks for everything after its endpoint's start again (as the API does:
    # the repository's replay, and DELIVERIES_REQUESTED in the outbox)
    async with db() as tx:
        replayed = await tx.webhook_deliveries.replay(
            endpoint.id, endpoint.after_sequence, notify.clock.now()
        )
        await tx.commit()
    await request_deliveries(db, endpoint.id)
    await notify.dispatch()

    # Then the same events arrived again, in the same order
    assert replayed == 2
    assert event_ids(receiver.arrivals) == first + first
    assert [d["status"] for d in await deliveries(db, endpoint.id)] == ["delivered"] * 2


async def test_a_retry_of_a_delivery_sends_it_again(
    webhook_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    notify: InProcessNotify,
    receiver: ClientReceiver,
) -> None:
    endpoint = await add_endpoint(db, receiver.url)
    await create_payout(webhook_api, auth, "ref-retry")
    await notify.dispatch()
    (delivery,) = await deliveries(db, endpoint.id)

    async with db() as tx:
        await tx.webhook_deliveries.retry(delivery["id"], notify.clock.now())
        await tx.commit()
    await request_deliveries(db, endpoint.id)
    await notify.dispatch()

    assert event_ids(receiver.arrivals) == [delivery["event_id"]] * 2
    async with db() as tx:
        retried = await tx.webhook_deliveries.get(delivery["id"])
    assert retried is not None
    assert (retried.status, retried.attempts, len(retried.attempt_log)) == (
        DeliveryStatus.DELIVERED,
        2,
        2,
    )


async def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    webhook_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    notify: InProcessNotify,
    receiver: ClientReceiver,
) -> None:
    endpoint = await add_endpoint(db, receiver.url)
    receiver.answer = lambda event: 307  # with no Location: a redirect nowhere

    await create_payout(webhook_api, auth, "ref-redirected")
    await notify.dispatch()

    assert [a.status for a in receiver.arrivals] == [307]
    (delivery,) = await deliveries(db, endpoint.id)
    assert (delivery["status"], delivery["last_status_code"]) == ("pending", 307)


async def test_an_endpoint_that_does_not_answer_in_time_is_tried_again(
    webhook_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    notify_settings: Settings,
    receiver: ClientReceiver,
) -> None:
    notify = InProcessNotify(db, replace(notify_settings, outgoing_webhook_timeout_ms=200))
    endpoint = await add_endpoint(db, receiver.url)
    receiver.hold = asyncio.Event()  # never set: the client never answers
    try:
        await create_payout(webhook_api, auth, "ref-timed-out")
        await notify.dispatch()
    finally:
        receiver.hold.set()
        await notify.close()

    (delivery,) = await deliveries(db, endpoint.id)
    assert (delivery["status"], delivery["last_status_code"]) == ("pending", None)
    assert "no answer within" in delivery["last_error"]
    assert notify.wake_ups.asked


async def test_a_ping_reaches_the_endpoint_signed_and_logs_no_delivery(
    db: SqlUnitOfWorkFactory, notify: InProcessNotify, receiver: ClientReceiver
) -> None:
    endpoint = await add_endpoint(db, receiver.url)
    # What POST .../test writes: PING_REQUESTED, to the outbox
    request = DomainEvent(
        PING_REQUESTED, ENDPOINT_AGGREGATE, endpoint.id, {"endpoint_id": endpoint.id}
    )
    async with db() as tx:
        await tx.outbox.add(request, {}, notify.clock.now())
        await tx.commit()

    await notify.dispatch()
    await notify.dispatch()

    (ping,) = receiver.arrivals
    assert (ping.event["type"], ping.event["data"]) == ("ping", {"endpoint_id": endpoint.id})
    assert ping.verifies_with(CLIENT_SECRET)
    assert ping.headers[EVENT_ID_HEADER] == ping.event["id"]
    assert SEQUENCE_HEADER not in ping.headers
    assert await deliveries(db, endpoint.id) == []


async def test_the_web_process_exports_endpoint_and_pending_delivery_gauges(
    webhook_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    notify: InProcessNotify,
    receiver: ClientReceiver,
) -> None:
    await add_endpoint(db, receiver.url)
    receiver.answer = lambda event: 500
    await create_payout(webhook_api, auth, "ref-gauges")
    await notify.dispatch()

    response = await webhook_api.get("/metrics")
    text = await response.text()

    samples = {
        (s.name, s.labels.get("state", "")): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("outgoing_webhook_endpoints", "enabled")] == 1
    assert samples[("outgoing_webhook_endpoints", "disabled")] == 0
    assert samples[("outgoing_webhook_oldest_pending_age_seconds", "")] >= 0


async def test_reconciliation_asks_again_for_a_delivery_whose_wake_up_was_lost(
    webhook_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    notify_settings: Settings,
    notify: InProcessNotify,
    receiver: ClientReceiver,
) -> None:
    endpoint = await add_endpoint(db, receiver.url)
    answers = iter([500, 200])
    receiver.answer = lambda event: next(answers)
    await create_payout(webhook_api, auth, "ref-lost-wake-up")
    await notify.dispatch()
    # Given its retry's wake-up never came, and it is long overdue
    notify.wake_ups.asked.clear()
    async with db() as tx:
        await tx.session.execute(
            "UPDATE webhook_deliveries SET next_attempt_at = %s",
            tx.session.dialect.to_db(notify.clock.now() - timedelta(hours=1)),
        )
        await tx.commit()

    # When reconciliation passes, and the notify consumer takes what it wrote
    report = await reconcile_once(notify_settings, db)
    await notify.dispatch()

    # Then the delivery went
    assert report.outcomes["deliveries_requested"] == 1
    assert [a.status for a in receiver.arrivals] == [500, 200]
    assert [d["status"] for d in await deliveries(db, endpoint.id)] == ["delivered"]
