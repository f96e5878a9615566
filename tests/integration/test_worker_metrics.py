"""`payout-service worker`: Dramatiq workers whose metrics (Dramatiq's and the service's own
counters, counted in the worker processes) are scraped from the command's PORT, in
prometheus-client's multiprocess mode; SIGTERM stops every process the command started."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from payout_service.bootstrap import Services, build_services
from payout_service.domain import events
from payout_service.infrastructure.broker import build_broker
from payout_service.infrastructure.db.outbox import OutboxRow
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.outbox.publisher import DramatiqPublisher
from payout_service.infrastructure.settings import Settings
from tests.integration.helpers import payout_body, post_payout
from tests.processes import (
    command_running,
    free_port,
    process_tree,
    service_environment,
    survivors,
)


@pytest.fixture
def services(settings: Settings, db: SqlUnitOfWorkFactory) -> Services:
    """No fast path: the only message the worker sees is the one the test publishes."""
    return build_services(replace(settings, redis_url=""))


@pytest.fixture
def worker_redis(redis_url: str) -> Any:
    url = redis_url.rsplit("/", 1)[0] + "/8"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


async def test_worker_counters_are_scraped_from_its_port_and_sigterm_stops_it(
    api: Any, auth: Any, settings: Settings, worker_redis: str, tmp_path: Path
) -> None:
    # Given a payout holding funds, and its payout.succeeded event waiting in Redis
    created = await (await post_payout(api, auth, payout_body(amount="2.50"), key="w-1")).json()
    publisher = DramatiqPublisher(build_broker(replace(settings, redis_url=worker_redis)))
    publisher.publish(_succeeded_row(created))

    # When `payout-service worker events` runs
    port = free_port()
    env = service_environment(
        DATABASE_URL=settings.database_url,
        REDIS_URL=worker_redis,
        PORT=str(port),
        METRICS_DIR=str(tmp_path / "metrics"),
    )
    async with command_running("worker", "events", env=env, new_session=True) as (
        worker,
        output,
    ):
        await output.wait_for("Worker process is ready for action")
        # Then its port serves what the worker processes counted: Dramatiq's and the service's
        # (Dramatiq counts the message after the actor returns: both are waited for)
        settled = 'dramatiq_messages_total{actor_name="keep_books"}'
        samples = await _scrape_until(
            port, lambda s: s.get("user_account_debited_total", 0) >= 1 and settled in s
        )
        assert samples["payouts_succeeded_total"] == 1
        assert samples[settled] == 1
        assert (tmp_path / "metrics" / f"worker-{port}").is_dir()

        # and SIGTERM stops the command and every process it started, cleanly
        started = process_tree(worker.pid)
        worker.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(worker.wait(), 30)
    assert code == 0, output.text()
    assert survivors(started) == [], output.text()
    # and its log lines are JSON with the batch's story: its actor, and the events it applied
    applied = await output.wait_for('"message": "batch applied"')
    assert '"actor": "keep_books"' in applied and '"applied": 1' in applied


def _succeeded_row(payout: dict[str, Any]) -> OutboxRow:
    return OutboxRow(
        id=1,
        message_id=f"test-{payout['id']}",
        event_name=events.PAYOUT_SUCCEEDED,
        aggregate_type="payout",
        aggregate_id=payout["id"],
        payload={
            "payout_id": payout["id"],
            "user_id": payout["user_id"],
            "amount_minor": payout["amount_minor"],
            "currency": payout["currency"],
            "status": "success",
        },
        headers={"request_id": "req-worker-test"},
        attempts=0,
        created_at=datetime.now(UTC),
    )


async def _scrape_until(port: int, done: Any) -> dict[str, float]:
    """Scrapes the worker's metrics until `done(samples)`; samples keyed `name{labels}`."""
    samples: dict[str, float] = {}
    async with aiohttp.ClientSession() as session:
        for _ in range(1_500):
            try:
                async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                    text = await response.text()
            except aiohttp.ClientConnectionError:
                text = ""  # the exposition server is still starting
            samples = _flatten(text)
            if done(samples):
                return samples
            await asyncio.sleep(0.02)  # polling another process: nothing to await instead
    raise AssertionError(f"the condition never held; last scrape: {samples}")


def _flatten(text: str) -> dict[str, float]:
    flat: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            wanted = {k: v for k, v in sample.labels.items() if k == "actor_name"}
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(wanted.items()))
            flat[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return flat
