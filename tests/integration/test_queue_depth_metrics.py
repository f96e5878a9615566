"""GET /metrics on the web process: the depth of each Dramatiq queue (ready, delayed, dead
letters) read from the real Redis at scrape time, and a scrape that still answers when Redis
does not."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import redis

from payout_service.bootstrap import build_services
from payout_service.infrastructure.broker import build_broker
from payout_service.infrastructure.dashboard import service_queues
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from payout_service.web.app import create_app
from tests.integration.helpers import scrape
from tests.processes import free_port

DEPTH = "broker_queue_messages"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The queue depths come from Redis alone: one database kind is enough."""
    return f"sqlite://{tmp_path}/payouts.sqlite3"


@pytest.fixture
def queue_settings(settings: Settings, redis_url: str) -> Iterator[Settings]:
    """The test Redis, under a broker namespace of this test's own (its keys removed after)."""
    namespace = f"test-depths-{uuid.uuid4().hex[:8]}"
    yield replace(settings, redis_url=redis_url, broker_namespace=namespace)
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{namespace}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
async def queue_api(
    queue_settings: Settings, db: SqlUnitOfWorkFactory, aiohttp_client: Any
) -> AsyncIterator[Any]:
    yield await aiohttp_client(create_app(build_services(queue_settings)))


def _message(queue: str) -> dramatiq.Message:  # type: ignore[type-arg]
    return dramatiq.Message(
        queue_name=queue, actor_name="keep_books", args=({},), kwargs={}, options={}
    )


async def test_each_queue_shows_its_ready_delayed_and_dead_messages(
    queue_api: Any, queue_settings: Settings
) -> None:
    # Given, on the events queue, one message a worker took and dead-lettered, one waiting and
    # one delayed; on provider-send one waiting; the other queues empty
    broker = build_broker(queue_settings)
    for queue in ("events", "events", "provider-send"):
        broker.enqueue(_message(queue))
    broker.enqueue(_message("events"), delay=600_000)
    consumer = broker.consume("events", prefetch=1, timeout=1_000)
    taken = next(message for message in consumer if message is not None)
    consumer.nack(taken)
    consumer.close()

    # When the web process's metrics are scraped
    samples = (await scrape(queue_api))[DEPTH]

    # Then every queue of the service has its three states, with what Redis holds
    def depth(queue: str, state: str) -> float:
        return samples[(("queue", queue), ("state", state))]

    assert {dict(labels)["queue"] for labels in samples} == set(service_queues())
    assert (depth("events", "ready"), depth("events", "delayed")) == (1, 1)
    assert depth("events", "dead_letter") == 1
    assert depth("provider-send", "ready") == 1
    assert depth("inbox", "ready") + depth("inbox", "delayed") + depth("inbox", "dead_letter") == 0


async def test_the_scrape_answers_without_the_queues_when_redis_does_not(
    settings: Settings, db: SqlUnitOfWorkFactory, aiohttp_client: Any
) -> None:
    # Given a web process whose Redis is not there (nothing listens on its port)
    gone = replace(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    api = await aiohttp_client(create_app(build_services(gone)))

    # When its metrics are scraped twice
    await scrape(api)
    samples = await scrape(api)

    # Then both scrapes answered, with the database's gauges but no queue depth, and the
    # failures are counted
    assert DEPTH not in samples
    assert samples["outbox_backlog"][()] == 0
    assert samples["broker_queue_read_failures_total"][()] == 2


async def test_no_counter_or_histogram_exports_a_created_series(queue_api: Any) -> None:
    # When the web process's metrics are scraped
    text = await (await queue_api.get("/metrics")).text()
    # Then no `*_created` series is among them, though the counters are
    series = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line[:1] != "#"}
    assert "payouts_created_total" in series
    assert sorted(name for name in series if name.endswith("_created")) == []
