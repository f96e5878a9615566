"""The service's processes (relay, Dramatiq workers, one-off commands) started for real and
configured by their environment only, as the integration tests run them; built on
tests.processes (ports, commands, output). Also what the outbox tests share around them: a broker
namespace of their own on the test Redis, bounded waits, and counts of effects."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, overload

import pytest
import redis

from payout_service.domain.events import PAYOUT_PROVIDER_ACCEPTED, DomainEvent
from payout_service.infrastructure.broker import build_broker
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.outbox.claims import ClaimPolicy
from payout_service.infrastructure.outbox.publisher import DramatiqPublisher
from payout_service.infrastructure.outbox.relay import OutboxRelay
from payout_service.infrastructure.settings import Settings
from tests.processes import PROJECT_ROOT, Output, free_port, service_environment, start_command

T = TypeVar("T")

# An event whose only consumer is the audit log: one message per outbox row on `events`.
AUDITED_ONLY = PAYOUT_PROVIDER_ACCEPTED


@pytest.fixture
def outbox_settings(settings: Settings, redis_url: str) -> Iterator[Settings]:
    """The test's database, a broker namespace on the real Redis that no other run uses (its
    keys are deleted after), fast retries and short polls so that waits are short."""
    namespace = f"test-outbox-{uuid.uuid4().hex[:10]}"
    yield replace(
        settings,
        redis_url=redis_url,
        broker_namespace=namespace,
        relay_poll_interval_ms=50,
        relay_min_age_ms=0,  # no fast path races the relays of these tests (unless one says so)
        actor_min_backoff_ms=100,
        actor_max_backoff_ms=1_000,
        actor_max_retries=3,
    )
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{namespace}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def broker_keys(outbox_settings: Settings) -> Iterator[BrokerKeys]:
    """Reads the test's queues in Redis."""
    keys = BrokerKeys(redis.Redis.from_url(outbox_settings.redis_url), outbox_settings)
    yield keys
    keys.client.close()


@dataclass
class BrokerKeys:
    client: redis.Redis
    settings: Settings

    def key(self, suffix: str) -> str:
        return f"{self.settings.broker_namespace}:{suffix}"

    def queued(self, queue: str = "events") -> int:
        """Messages enqueued on `queue` and not yet acknowledged (each enqueue counts once)."""
        return int(self.client.hlen(self.key(f"{queue}.msgs")))

    def bodies(self, queue: str = "events") -> list[dict[str, Any]]:
        """The queue's waiting messages, oldest first."""
        ids = self.client.lrange(self.key(queue), 0, -1)
        raw = self.client.hmget(self.key(f"{queue}.msgs"), ids) if ids else []
        return [json.loads(data) for data in raw if data is not None]

    def envelopes(self, queue: str = "events") -> list[dict[str, Any]]:
        """The events the queue's waiting messages carry, oldest first (a batched consumer's
        message carries several)."""
        return [
            envelope
            for body in self.bodies(queue)
            for envelope in body["kwargs"].get("envelopes") or [body["kwargs"]["envelope"]]
        ]

    def drained(self, queue: str = "events") -> bool:
        """Nothing waiting, delayed or in a worker's hands on `queue`."""
        return self.queued(queue) == 0 and self.queued(f"{queue}.DQ") == 0

    def dead(self, queue: str) -> int:
        return int(self.client.zcard(self.key(f"{queue}.XQ")))


# eventually() pauses at least this many times as long as its probe took: a probe, and the
# database or Redis work it asks for, takes a fifth of the time at most.
PROBE_SHARE = 4


@overload
async def eventually(
    probe: Callable[[], Awaitable[T]],
    accept: Callable[[T], bool] = ...,
    timeout: float = ...,
    what: str = ...,
    max_pause: float = ...,
) -> T: ...


@overload
async def eventually(
    probe: Callable[[], T],
    accept: Callable[[T], bool] = ...,
    timeout: float = ...,
    what: str = ...,
    max_pause: float = ...,
) -> T: ...


async def eventually(
    probe: Callable[[], Any],
    accept: Callable[[Any], bool] = bool,
    timeout: float = 30.0,
    what: str = "the condition",
    max_pause: float = 0.02,
) -> Any:
    """Polls `probe` (sync or async) until `accept` holds for its value; fails with the last
    value after `timeout` seconds. The waits between polls grow from 1 ms to `max_pause`, and
    are never shorter than PROBE_SHARE times what the probe itself took: a costly probe
    (thousands of rows or Redis messages) does not take the CPU from the processes it waits
    for. (With 200 ms pauses, a condition was seen 100 ms after it held on average: seconds
    in every run.)"""
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        probed_at = time.monotonic()
        outcome = probe()
        value = await outcome if inspect.isawaitable(outcome) else outcome
        if accept(value):
            return value
        now = time.monotonic()
        if now > deadline:
            raise AssertionError(f"{what} did not hold within {timeout} s; last: {value!r}")
        await asyncio.sleep(max(pause, PROBE_SHARE * (now - probed_at)))
        pause = min(pause * 2, max_pause)


async def scalar(db: SqlUnitOfWorkFactory, statement: str, *values: Any) -> int:
    async with db() as tx:
        rows = await tx.session.rows(statement, *values)
    row = rows[0]
    return int(row[next(iter(row.keys()))])


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
    db: SqlUnitOfWorkFactory,
    events: Iterable[DomainEvent],
    per_transaction: int = 500,
    at: datetime | None = None,
) -> list[str]:
    """Commits the events to the outbox (no publishing: `db` has no fast path), stamped `at`
    (default: now); returns their message ids in write order."""
    ids: list[str] = []
    pending = list(events)
    for start in range(0, len(pending), per_transaction):
        async with db() as tx:
            for event in pending[start : start + per_transaction]:
                await tx.outbox.add(
                    event, {"request_id": f"req-{event.aggregate_id}"}, at or _now()
                )
            await tx.commit()
            ids += tx.outbox.written
    return ids


def audited_events(count: int) -> list[DomainEvent]:
    """`count` audit-only events, each of an aggregate of its own."""
    return [
        DomainEvent(AUDITED_ONLY, "payout", f"agg-{n}", {"n": n, "payout_id": f"agg-{n}"})
        for n in range(count)
    ]


def relay_in_process(
    db: SqlUnitOfWorkFactory,
    settings: Settings,
    owner: str = "test-relay",
    clock: Any = None,
    publisher: DramatiqPublisher | None = None,
) -> OutboxRelay:
    """The real OutboxRelay on this test's loop, with the real Dramatiq publisher."""
    policy = ClaimPolicy(
        batch_size=settings.relay_batch_size,
        max_attempts=settings.relay_max_attempts,
        lease=timedelta(seconds=settings.relay_lease_seconds),
        owner=owner,
        min_age=timedelta(milliseconds=settings.relay_min_age_ms),
    )
    publish = publisher or DramatiqPublisher(build_broker(settings))
    return OutboxRelay(db, publish.publish_batch, clock or SystemClock(), policy)


async def publish_all(relay: OutboxRelay, max_passes: int = 100) -> int:
    """Relay passes until one publishes nothing (a pass takes only the oldest unpublished row
    of each aggregate); returns how many rows were published in all."""
    total = 0
    for _ in range(max_passes):
        published = await relay.publish_pending()
        if not published:
            return total
        total += published
    raise AssertionError(f"still publishing after {max_passes} passes")


def environment(settings: Settings, scratch: Path, **overrides: str) -> dict[str, str]:
    """The service's processes configured by their environment only, as in production;
    `overrides` are further variables (or replace these)."""
    variables = {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "BROKER_NAMESPACE": settings.broker_namespace,
        "PORT": str(free_port()),
        "METRICS_DIR": str(scratch / "metrics"),
        "LOG_LEVEL": "INFO",
        "RELAY_POLL_INTERVAL_MS": str(settings.relay_poll_interval_ms),
        "RELAY_BATCH_SIZE": str(settings.relay_batch_size),
        "RELAY_MIN_AGE_MS": str(settings.relay_min_age_ms),
        "ACTOR_MIN_BACKOFF_MS": str(settings.actor_min_backoff_ms),
        "ACTOR_MAX_BACKOFF_MS": str(settings.actor_max_backoff_ms),
        "ACTOR_MAX_RETRIES": str(settings.actor_max_retries),
    }
    return service_environment(**{**variables, **overrides})


@dataclass
class RunningProcess:
    """A service process started in a session of its own, so that whatever it forked can be
    killed with it and no test leaves a process behind."""

    process: asyncio.subprocess.Process
    output: Output
    name: str

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Sends `sig` to the process and waits for it and its output to end; after `timeout`
        seconds its whole session is killed and the test fails."""
        if self.process.returncode is None:
            self.process.send_signal(sig)
        try:
            await asyncio.wait_for(self._ended(), timeout)
        except TimeoutError:
            self.kill_all()
            raise AssertionError(
                f"{self.name} did not end within {timeout} s of {signal.Signals(sig).name}:\n"
                + self.output.text()
            ) from None
        return int(self.process.returncode or 0)

    def kill_all(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    async def discard(self, timeout: float = 10.0) -> None:
        """Kills its whole session at once and waits for it: for a process whose test is over
        and whose way of stopping the test is not about (a Dramatiq worker takes 2-3 s to stop
        on SIGTERM: its processes look at their stop flag once a second). Its open transactions
        roll back; it writes nothing after this returns."""
        self.kill_all()
        await asyncio.wait_for(self._ended(), timeout)

    async def _ended(self) -> None:
        await self.process.wait()
        await self.output.closed()

    async def finish(self) -> None:
        """Leaves nothing running, whatever the test did."""
        if self.process.returncode is None:
            try:
                await self.stop()
            finally:
                self.kill_all()
        else:
            self.kill_all()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.output.closed(), 10)


@asynccontextmanager
async def running_relay(env: dict[str, str]) -> AsyncIterator[RunningProcess]:
    """`payout-service relay`, up once it says so; stopped with SIGTERM on leaving."""
    async with running_relays(env) as (relay,):
        yield relay


@asynccontextmanager
async def running_relays(*envs: dict[str, str]) -> AsyncIterator[list[RunningProcess]]:
    """`payout-service relay` once per environment, started side by side (a relay takes most of
    a second to start), up once each says so; all stopped with SIGTERM on leaving."""
    relays: list[RunningProcess] = []
    try:
        for env in envs:
            process = await start_command("relay", env=env, new_session=True)
            relays.append(RunningProcess(process, Output(process), "relay"))
        _raise_first(
            await asyncio.gather(
                *(relay.output.wait_for("relay started") for relay in relays),
                return_exceptions=True,
            )
        )
        yield relays
    finally:
        _raise_first(
            await asyncio.gather(*(relay.finish() for relay in relays), return_exceptions=True)
        )


def _raise_first(outcomes: list[Any]) -> None:
    """Raises the first exception among gathered outcomes: each of them ran to its end."""
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


@asynccontextmanager
async def running_worker(
    env: dict[str, str], queues: list[str], module: str = "actors.worker"
) -> AsyncIterator[RunningProcess]:
    """A real `dramatiq` command (one process, two threads) on `queues`, up once its worker
    process is ready; killed on leaving (RunningProcess.discard): the tests that run one assert
    what it did, once it did it, not how it stops. test_worker_metrics stops the `payout-service
    worker` command with SIGTERM and asserts that. `module` may add test actors."""
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
            start_new_session=True,
        )
        worker = RunningProcess(process, Output(process), f"worker {module}")
        try:
            await worker.output.wait_for("Worker process is ready for action")
            yield worker
        finally:
            await worker.discard()


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


def _now() -> Any:
    return SystemClock().now()
