"""What the outbox and relay tests share: a Redis database of their own, the service's processes
(relay, Dramatiq workers) started for real, bounded waits, and counts of effects."""

from __future__ import annotations

import asyncio
import inspect
import json
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis

from payout_service.domain.events import DomainEvent
from payout_service.infrastructure.broker import NAMESPACE
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.outbox.claims import ClaimPolicy
from payout_service.infrastructure.outbox.publisher import DramatiqPublisher
from payout_service.infrastructure.outbox.relay import OutboxRelay
from payout_service.infrastructure.settings import Settings
from tests.processes import PROJECT_ROOT, Output, free_port, service_environment, start_command

T = TypeVar("T")

# The outbox tests' own Redis database on the shared test server, flushed around each test.
REDIS_DB = 11
# An event whose only consumer is the audit log: one message per outbox row on `events`.
AUDITED_ONLY = "payout.provider_accepted"


@pytest.fixture
def outbox_redis_url(redis_url: str) -> Iterator[str]:
    url = f"{redis_url.rsplit('/', 1)[0]}/{REDIS_DB}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def redis_client(outbox_redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(outbox_redis_url)
    yield client
    client.close()


@pytest.fixture
def outbox_settings(settings: Settings, outbox_redis_url: str) -> Settings:
    """Fast retries and short polls, so waits are short; everything else is the default."""
    return replace(
        settings,
        redis_url=outbox_redis_url,
        relay_poll_interval_ms=50,
        actor_min_backoff_ms=100,
        actor_max_backoff_ms=1_000,
        actor_max_retries=3,
    )


async def eventually(
    probe: Callable[[], Awaitable[T] | T],
    accept: Callable[[T], bool] = bool,
    timeout: float = 30.0,
    what: str = "the condition",
) -> T:
    """Polls `probe` (sync or async) until `accept` holds for its value; fails with the last
    value after `timeout` seconds. The waits between polls grow from 10 ms to 200 ms."""
    deadline = time.monotonic() + timeout
    pause = 0.01
    while True:
        outcome = probe()
        value: T = await outcome if inspect.isawaitable(outcome) else outcome  # type: ignore[assignment]
        if accept(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {timeout} s; last: {value!r}")
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.2)


async def scalar(db: SqlUnitOfWorkFactory, statement: str, *values: Any) -> int:
    async with db() as tx:
        rows = await tx.session.rows(statement, *values)
    return int(next(iter(rows[0].values())))


async def effects(db: SqlUnitOfWorkFactory) -> dict[str, int]:
    """Each consumer's applied messages, and the audit rows they wrote."""
    async with db() as tx:
        rows = await tx.session.rows(
            "SELECT consumer, COUNT(*) AS n FROM processed_messages GROUP BY consumer"
        )
    counts = {str(r["consumer"]): int(r["n"]) for r in rows}
    counts["audit_logs"] = await scalar(db, "SELECT COUNT(*) AS n FROM audit_logs")
    return counts


async def outbox_counts(db: SqlUnitOfWorkFactory) -> dict[str, int]:
    async with db() as tx:
        rows = await tx.session.rows(
            "SELECT status, COUNT(*) AS n FROM outbox_messages GROUP BY status"
        )
    return {str(r["status"]): int(r["n"]) for r in rows}


async def write_events(
    db: SqlUnitOfWorkFactory, events: Iterable[DomainEvent], per_transaction: int = 500
) -> list[str]:
    """Commits the events to the outbox (no publishing: `db` has no fast path); returns their
    message ids in write order."""
    ids: list[str] = []
    pending = list(events)
    for start in range(0, len(pending), per_transaction):
        async with db() as tx:
            for event in pending[start : start + per_transaction]:
                await tx.outbox.add(event, {"request_id": f"req-{event.aggregate_id}"}, _now())
            await tx.commit()
            ids += tx.outbox.written
    return ids


def audited_events(count: int, aggregates: int | None = None) -> list[DomainEvent]:
    """`count` audit-only events spread round-robin over `aggregates` aggregates (default: one
    aggregate per event)."""
    spread = aggregates or count
    return [
        DomainEvent(AUDITED_ONLY, "payout", f"agg-{i % spread}", {"n": i, "payout_id": f"agg-{i}"})
        for i in range(count)
    ]


def relay_in_process(
    db: SqlUnitOfWorkFactory,
    settings: Settings,
    owner: str = "test-relay",
    clock: Any = None,
    publisher: DramatiqPublisher | None = None,
) -> OutboxRelay:
    """The real OutboxRelay on this test's loop, with the real Dramatiq publisher."""
    from payout_service.infrastructure.broker import build_broker

    policy = ClaimPolicy(
        batch_size=settings.relay_batch_size,
        max_attempts=settings.relay_max_attempts,
        lease=timedelta(seconds=settings.relay_lease_seconds),
        owner=owner,
    )
    publish = publisher or DramatiqPublisher(build_broker(settings))
    return OutboxRelay(db, publish.publish, clock or SystemClock(), policy)


def queued(client: redis.Redis, queue: str = "events") -> int:
    """Messages enqueued on `queue` and not yet acknowledged (each enqueue counts once)."""
    return int(client.hlen(f"{NAMESPACE}:{queue}.msgs"))


def queued_bodies(client: redis.Redis, queue: str = "events") -> list[dict[str, Any]]:
    """The queue's waiting messages, oldest first."""
    ids = client.lrange(f"{NAMESPACE}:{queue}", 0, -1)
    raw = client.hmget(f"{NAMESPACE}:{queue}.msgs", ids) if ids else []
    return [json.loads(data) for data in raw if data is not None]


def drained(client: redis.Redis, queue: str = "events") -> bool:
    """Nothing waiting, delayed or in a worker's hands on `queue`."""
    return queued(client, queue) == 0 and queued(client, f"{queue}.DQ") == 0


def dead_lettered(client: redis.Redis, queue: str) -> int:
    return int(client.zcard(f"{NAMESPACE}:{queue}.XQ"))


def environment(settings: Settings, scratch: Path, **overrides: str) -> dict[str, str]:
    """The service's processes configured by their environment only, as in production."""
    return service_environment(
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url,
        PORT=str(free_port()),
        METRICS_DIR=str(scratch / "metrics"),
        LOG_LEVEL="INFO",
        RELAY_POLL_INTERVAL_MS=str(settings.relay_poll_interval_ms),
        RELAY_BATCH_SIZE=str(settings.relay_batch_size),
        ACTOR_MIN_BACKOFF_MS=str(settings.actor_min_backoff_ms),
        ACTOR_MAX_BACKOFF_MS=str(settings.actor_max_backoff_ms),
        ACTOR_MAX_RETRIES=str(settings.actor_max_retries),
        **overrides,
    )


@dataclass
class RunningProcess:
    process: asyncio.subprocess.Process
    output: Output
    name: str
    extra: dict[str, Any] = field(default_factory=dict)

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Sends `sig` and waits for the exit; kills it if it outlives `timeout`."""
        if self.process.returncode is None:
            self.process.send_signal(sig)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
                raise AssertionError(
                    f"{self.name} ignored {signal.Signals(sig).name} for {timeout} s:\n"
                    + self.output.text()
                ) from None
        await self.output.closed()
        return int(self.process.returncode or 0)


@asynccontextmanager
async def running_relay(env: dict[str, str]) -> AsyncIterator[RunningProcess]:
    """`payout-service relay`, up once it says so; stopped with SIGTERM on leaving."""
    process = await start_command("relay", env=env)
    relay = RunningProcess(process, Output(process), "relay")
    try:
        await relay.output.wait_for("relay started")
        yield relay
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await relay.output.closed()


@asynccontextmanager
async def running_worker(
    env: dict[str, str], queues: list[str], module: str = "actors.worker"
) -> AsyncIterator[RunningProcess]:
    """A real `dramatiq` command (one process, two threads) on `queues`, up once its worker
    process is ready; stopped with SIGTERM on leaving. `module` may add test actors."""
    with tempfile.TemporaryDirectory(prefix="worker-prom-") as prom:
        worker_env = dict(env, dramatiq_prom_db=prom, dramatiq_prom_port=str(free_port()))
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "dramatiq",
            module,
            "--queues",
            *queues,
            "--processes",
            "1",
            "--threads",
            "2",
            "--worker-shutdown-timeout",
            "5000",
            env=worker_env,
            cwd=PROJECT_ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        worker = RunningProcess(process, Output(process), f"worker {module}")
        try:
            await worker.output.wait_for("Worker process is ready for action")
            yield worker
        finally:
            if process.returncode is None:
                await worker.stop()


async def run_command(env: dict[str, str], *args: str, timeout: float = 60.0) -> str:
    """Runs `payout-service <args>` to its end; returns its output, failing on a non-zero exit."""
    process = await start_command(*args, env=env)
    output = Output(process)
    try:
        await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"payout-service {' '.join(args)} hung:\n{output.text()}") from None
    await output.closed()
    text = "\n".join(line for line in output.lines if line != "<eof>")
    assert process.returncode == 0, f"payout-service {' '.join(args)} failed:\n{text}"
    return text


class PrivateRedis:
    """A redis-server of the test's own on a free port, which the test may stop and start again
    on the same port (the shared test Redis is never stopped)."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._folder = folder
        self._server: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            pytest.skip("redis-server is not installed")
        self._server = await asyncio.create_subprocess_exec(
            executable,
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self._folder),
            "--save",
            "",
            "--appendonly",
            "no",
            stdout=asyncio.subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        try:
            await eventually(lambda: _answers(client), timeout=10, what="redis-server to answer")
        finally:
            client.close()

    async def stop(self) -> None:
        if self._server is not None and self._server.returncode is None:
            self._server.terminate()
            await asyncio.wait_for(self._server.wait(), 10)
        self._server = None


async def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@contextmanager
def scratch_folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="outbox-test-") as folder:
        yield Path(folder)


def _now() -> Any:
    return SystemClock().now()
