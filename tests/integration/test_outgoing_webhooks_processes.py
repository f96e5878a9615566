"""The notify worker as production runs it (`dramatiq actors.worker` on `notifications`, fed by
the web app's fast path and a relay through Redis, on MariaDB): retries come back on their own
through delayed wake-ups, a payout's events keep their order under forced failures, a worker
killed mid-delivery loses nothing (the event comes again, with the same id), and a message left
in Redis from before NOTIFY was batched is still consumed.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import redis
from aiohttp.test_utils import TestClient

from payout_service.application.event_routes import NOTIFY
from payout_service.bootstrap import Services, build_relay, build_services
from payout_service.domain.client_events import ENDPOINT_AGGREGATE, PING, PING_REQUESTED
from payout_service.infrastructure.broker import build_broker
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from tests.integration.helpers import payout_body, post_payout
from tests.integration.outgoing_webhook_support import (
    ClientReceiver,
    add_endpoint,
    client_receiver,
    event_ids,
    start_processing,
)
from tests.integration.processes import running_worker
from tests.integration.provider_support import worker_environment

QUEUES = ["notifications"]


@pytest.fixture
def database_url(mysql_url: str) -> str:
    """MariaDB only: the worker process and the test share the database, as in production."""
    return mysql_url


@pytest.fixture
def notify_settings(settings: Settings, redis_url: str) -> Iterator[Settings]:
    """A broker namespace of this test's own; quick timeouts, and a dead worker's messages
    back in their queue within a few seconds."""
    namespace = f"test-notify-{uuid.uuid4().hex[:10]}"
    yield replace(
        settings,
        redis_url=redis_url,
        broker_namespace=namespace,
        outgoing_webhooks_allow_http_loopback="on",
        outgoing_webhook_timeout_ms=1_000,
        relay_poll_interval_ms=50,
        relay_min_age_ms=0,
        broker_heartbeat_timeout_ms=2_000,
        broker_maintenance_chance=1_000_000,
    )
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{namespace}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def notify_services(notify_settings: Settings, db: SqlUnitOfWorkFactory) -> Services:
    return build_services(notify_settings)


@pytest.fixture
async def api(notify_services: Services, aiohttp_client: Any) -> TestClient:
    """The real web app: its fast path publishes the payouts' events to the test's queues."""
    from payout_service.web.app import create_app

    client: TestClient = await aiohttp_client(create_app(notify_services))
    return client


@pytest.fixture
async def relay(notify_settings: Settings, db: SqlUnitOfWorkFactory) -> AsyncIterator[None]:
    """Publishes what the test commits outside the app (the payouts' processing)."""
    stop, wake = asyncio.Event(), asyncio.Event()
    running = asyncio.create_task(build_relay(notify_settings, db).run(stop, 0.05, wake))
    yield
    stop.set()
    await running


@pytest.fixture
async def receiver(aiohttp_server: Any) -> ClientReceiver:
    return await client_receiver(aiohttp_server)


async def create_payout(api: TestClient, auth: dict[str, str], reference: str) -> str:
    response = await post_payout(
        api, auth, payout_body(external_reference=reference, amount="1.00"), key=reference
    )
    assert response.status == 201, await response.text()
    return str((await response.json())["id"])


async def test_a_refused_event_comes_back_on_its_own_and_is_delivered(
    api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    notify_settings: Settings,
    receiver: ClientReceiver,
    relay: None,
    tmp_path: Path,
) -> None:
    await add_endpoint(db, receiver.url)
    answers = iter([500, 200])
    receiver.answer = lambda event: next(answers, 200)

    async with running_worker(worker_environment(notify_settings, tmp_path), QUEUES):
        await create_payout(api, auth, "ref-comes-back")
        # Then the retry's delayed wake-up brings it back, about a second later
        await receiver.until(lambda r: len(r.delivered()) == 1, timeout=20)

    assert [a.status for a in receiver.arrivals] == [500, 200]
    assert len(set(event_ids(receiver.arrivals))) == 1


async def test_a_payouts_events_keep_their_order_while_one_is_refused(
    api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    notify_settings: Settings,
    receiver: ClientReceiver,
    relay: None,
    tmp_path: Path,
) -> None:
    await add_endpoint(db, receiver.url)
    ids: dict[str, str] = {}
    refused: list[str] = []

    def answer(event: dict[str, Any]) -> int:
        """The stuck payout's version 1 is refused at least once, and until the other payout's
        two events were delivered: they never wait for it (or this would never end)."""
        others = [e for e in receiver.delivered() if e["payout_id"] == ids.get("other")]
        first_of_stuck = (event["payout_id"], event["payout_version"]) == (ids.get("stuck"), 1)
        if first_of_stuck and (not refused or len(others) < 2):
            refused.append(event["id"])
            return 503
        return 200

    receiver.answer = answer
    async with running_worker(worker_environment(notify_settings, tmp_path), QUEUES):
        ids["stuck"] = await create_payout(api, auth, "ref-stuck")
        ids["other"] = await create_payout(api, auth, "ref-other")
        await start_processing(db, ids["stuck"])
        await start_processing(db, ids["other"])
        await receiver.until(lambda r: len(r.delivered()) == 4, timeout=30)

    # Then the client saw the stuck payout's version 1 before its version 2, after retries
    ours = [e["payout_version"] for e in receiver.delivered() if e["payout_id"] == ids["stuck"]]
    assert ours == [1, 2]
    assert refused
    assert len(receiver.arrivals) == 4 + len(refused)


async def test_a_notify_worker_killed_mid_delivery_loses_nothing(
    api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    notify_settings: Settings,
    receiver: ClientReceiver,
    relay: None,
    tmp_path: Path,
) -> None:
    await add_endpoint(db, receiver.url)
    receiver.hold = asyncio.Event()
    answers = iter([500])  # to the killed worker's request, which no one reads any more
    receiver.answer = lambda event: next(answers, 200)
    environment = worker_environment(notify_settings, tmp_path)

    # When the worker is SIGKILLed while the client holds its first delivery open
    async with running_worker(environment, QUEUES) as worker:
        await create_payout(api, auth, "ref-killed")
        await receiver.until(lambda r: len(r.arrivals) == 1)
        worker.kill_all()
        await worker.process.wait()
    receiver.hold.set()

    # Then a new worker delivers it, the same event under the same id
    async with running_worker(environment, QUEUES):
        await receiver.until(lambda r: len(r.delivered()) == 1, timeout=30)

    (first, *again) = event_ids(receiver.arrivals)
    assert again and set(again) == {first}
    assert receiver.delivered()[0]["type"] == "payout.created"


async def test_a_message_of_one_envelope_published_before_the_batched_shape_is_consumed(
    db: SqlUnitOfWorkFactory,
    notify_settings: Settings,
    receiver: ClientReceiver,
    tmp_path: Path,
) -> None:
    # Given a ping request left in Redis in the shape published before NOTIFY was batched
    endpoint = await add_endpoint(db, receiver.url)
    envelope = {
        "message_id": str(uuid.uuid4()),
        "event": PING_REQUESTED,
        "aggregate_type": ENDPOINT_AGGREGATE,
        "aggregate_id": endpoint.id,
        "payload": {"endpoint_id": endpoint.id, "user_id": endpoint.user_id},
        "headers": {},
        "occurred_at": SystemClock().now().isoformat(),
    }
    broker = build_broker(notify_settings)
    message = dramatiq.Message(  # type: ignore[var-annotated]
        queue_name=NOTIFY.queue,
        actor_name=NOTIFY.name,
        args=(),
        kwargs={"envelope": envelope},
        options={},
    )
    broker.enqueue_many([message])
    broker.close()

    # When the upgraded worker starts, then it sends the ping
    async with running_worker(worker_environment(notify_settings, tmp_path), QUEUES):
        await receiver.until(lambda r: len(r.delivered()) == 1, timeout=30)
    assert receiver.delivered()[0]["type"] == PING
