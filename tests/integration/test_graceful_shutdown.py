"""SIGTERM to the web process under load loses nothing: every payout it answered 201 for is
stored with its outbox row, and every row ends published, once, when the relay has run."""

from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from payout_service.application.event_routes import consumers_of
from payout_service.bootstrap import build_relay
from payout_service.infrastructure.broker import NAMESPACE
from payout_service.infrastructure.db.seed import DEMO_API_KEY, DEMO_USER_ID
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from tests.integration.helpers import payout_body
from tests.processes import Output, command_running, free_port, service_environment

CLIENTS = 16
ANSWERS_BEFORE_SIGTERM = 40
MAX_REQUESTS_PER_CLIENT = 2_000  # a bound: the server stops long before


@dataclass
class Answer:
    sent_at: float
    answered_at: float
    status: int
    body: dict[str, Any]


@pytest.fixture
def isolated_redis(redis_url: str) -> Any:
    """A Redis database of its own, so the queues hold this test's messages only."""
    url = redis_url.rsplit("/", 1)[0] + "/7"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


async def test_sigterm_under_load_loses_no_payout_and_no_event(
    settings: Settings, db: SqlUnitOfWorkFactory, isolated_redis: str
) -> None:
    # Given the web process serving on a real database and Redis
    port = free_port()
    env = service_environment(
        DATABASE_URL=settings.database_url,
        REDIS_URL=isolated_redis,
        PORT=str(port),
        SHUTDOWN_TIMEOUT_SECONDS="15",
        LOG_LEVEL="INFO",
    )
    async with command_running("web", env=env) as (web, output):
        await output.wait_for("web serving")
        # When SIGTERM arrives under load, with requests held inside the server
        answers, sigterm_at, exit_code = await _sigterm_under_load(web, output, port, db)

    # Then the server exited cleanly, and requests in flight at SIGTERM were finished
    assert exit_code == 0, output.text()
    assert {a.status for a in answers} == {201}, output.text()
    finished_in_flight = [a for a in answers if a.sent_at < sigterm_at < a.answered_at]
    assert finished_in_flight, "no request was in flight at SIGTERM: the test proved nothing"

    # and every answered payout is stored, with its hold's outbox row, and nothing else is
    answered = {a.body["id"] for a in answers}
    async with db() as tx:
        payouts = {r["id"] for r in await tx.session.rows("SELECT id FROM payouts")}
        rows = await tx.session.rows(
            "SELECT message_id, event_name, aggregate_id, status, headers FROM outbox_messages"
        )
    assert payouts == answered
    assert {r["aggregate_id"] for r in rows if r["event_name"] == "payout.created"} == answered

    # and the fast path published what the last requests committed before the process exited
    assert [r for r in rows if r["status"] != "published"] == []

    # and a relay run afterwards finds nothing left, while each message is queued exactly once
    relay = build_relay(replace(settings, redis_url=isolated_redis, relay_min_age_ms=0), db)
    assert await relay.publish_pending() == 0
    queued = _queued_deliveries(isolated_redis)
    expected = [
        (consumer.queue, consumer.name, r["message_id"])
        for r in rows
        for consumer in consumers_of(r["event_name"], json.loads(r["headers"]))
    ]
    assert sorted(queued) == sorted(expected)


async def _sigterm_under_load(
    web: asyncio.subprocess.Process, output: Output, port: int, db: SqlUnitOfWorkFactory
) -> tuple[list[Answer], float, int]:
    """Clients keep creating payouts; while the requests in flight wait inside the server (on
    the account row, locked here), SIGTERM arrives; the lock is released only once the server is
    shutting down, so those requests commit during the shutdown."""
    load = Load(port)
    await load.start()
    await asyncio.wait_for(load.answered(ANSWERS_BEFORE_SIGTERM), 60)
    async with AccountLock(db):
        await asyncio.wait_for(_requests_in_progress(port, at_least=CLIENTS), 30)
        sigterm_at = time.monotonic()
        load.stopping()
        web.send_signal(signal.SIGTERM)
        await output.wait_for("web stopping")
    answers = await asyncio.wait_for(load.finished(), 60)
    exit_code = await _exit_code(web, output)
    return answers, sigterm_at, exit_code


class Load:
    """CLIENTS concurrent clients creating payouts, each with a new key and reference."""

    def __init__(self, port: int) -> None:
        self._url = f"http://127.0.0.1:{port}/api/payouts"
        self._answers: list[Answer] = []
        self._changed = asyncio.Condition()
        self._stopping = False
        self._session: aiohttp.ClientSession | None = None
        self._clients: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        # force_close: a new connection per request, none idle when the server stops
        connector = aiohttp.TCPConnector(limit=CLIENTS, force_close=True)
        self._session = aiohttp.ClientSession(connector=connector)
        self._clients = [asyncio.create_task(self._client()) for _ in range(CLIENTS)]

    async def answered(self, count: int) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: len(self._answers) >= count)

    def stopping(self) -> None:
        """From now on a refused connection means the server stopped, not a failure."""
        self._stopping = True

    async def finished(self) -> list[Answer]:
        await asyncio.gather(*self._clients)
        assert self._session is not None
        await self._session.close()
        return self._answers

    async def _client(self) -> None:
        assert self._session is not None
        for _ in range(MAX_REQUESTS_PER_CLIENT):
            reference = uuid.uuid4().hex
            sent = time.monotonic()
            try:
                async with self._session.post(
                    self._url,
                    json=payout_body(amount="1.00", external_reference=reference),
                    headers={
                        "Authorization": f"Bearer {DEMO_API_KEY}",
                        "Idempotency-Key": reference,
                    },
                ) as response:
                    answer = Answer(sent, time.monotonic(), response.status, await response.json())
            except aiohttp.ClientError:
                if self._stopping:
                    return
                raise
            async with self._changed:
                self._answers.append(answer)
                self._changed.notify_all()


class AccountLock:
    """Holds the demo user's USD account row locked, as a create-payout transaction would (on
    SQLite the whole database: its write lock), until the block ends."""

    def __init__(self, db: SqlUnitOfWorkFactory) -> None:
        self._uow = db()

    async def __aenter__(self) -> AccountLock:
        tx = await self._uow.__aenter__()
        assert await tx.accounts.get_for_update(DEMO_USER_ID, "USD") is not None
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._uow.__aexit__(None, None, None)


async def _requests_in_progress(port: int, at_least: int) -> None:
    """Until the web process says it is serving `at_least` requests besides this scrape."""
    async with aiohttp.ClientSession() as session:
        for _ in range(1_000):
            async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                text = await response.text()
            for family in text_string_to_metric_families(text):
                in_progress = family.name == "http_requests_in_progress"
                if in_progress and family.samples[0].value - 1 >= at_least:
                    return
            await asyncio.sleep(0.01)  # polling another process: nothing to await instead
    raise AssertionError(f"fewer than {at_least} requests ever in progress")


async def _exit_code(process: asyncio.subprocess.Process, output: Output) -> int:
    try:
        code = await asyncio.wait_for(process.wait(), 30)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError("still running 30 s after SIGTERM:\n" + output.text()) from None
    await output.closed()
    return code


def _queued_deliveries(url: str) -> list[tuple[str, str, str]]:
    """(queue, consumer, outbox message id) of every event waiting in Redis, once per message
    that carries it: RedisBroker keeps each enqueued message in the `<namespace>:<queue>.msgs`
    hash, under a fresh key per enqueue, so a message published twice shows up twice."""
    client = redis.Redis.from_url(url)
    try:
        queued = []
        for key in client.scan_iter(f"{NAMESPACE}:*.msgs"):
            queue = key.decode().removeprefix(f"{NAMESPACE}:").removesuffix(".msgs")
            for encoded in client.hvals(key):
                message = json.loads(encoded)
                kwargs = message["kwargs"]
                for envelope in kwargs.get("envelopes") or [kwargs["envelope"]]:
                    queued.append((queue, message["actor_name"], envelope["message_id"]))
        return queued
    finally:
        client.close()
