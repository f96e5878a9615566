"""The outbox relay beside Dramatiq itself, and commit → actor-start latency under steady load.

On MariaDB (a throwaway database) and a private Redis, in one run:

1. Raw Dramatiq: this process enqueues N events for the no-op `keep_books` actor while one
   worker process (8 threads, bench.harness.relay_worker) consumes them: N / (first enqueue →
   last event consumed). Twice: one event per message (Dramatiq's own rate, the yardstick), and
   in messages of EVENTS_PER_BATCH_MESSAGE, as the relay's publisher groups them for this batched
   consumer (the same messages as the relay's, minus the outbox).
2. Relay: N outbox rows committed beforehand; `payout-service relay` publishes them (the real
   routing table, message ids and claims) to the same worker: N / (relay up → last consumed).
   Target: at least 50 % of the raw rate. Every figure counts events, not messages.
3. Latency: the real API (fast path on) under a steady create load, a busy rate and a quiet one
   (where Dramatiq's consumers sit idle between messages), the real worker with a probe
   (bench.harness.latency_worker) and the relay as safety net; for every payout.created, the
   time from its transaction to the start of its consumer, `send_payout` (the message is
   skipped there). Targets: p50 ≤ 10 ms, p99 ≤ 100 ms.

Figures only; nothing is asserted, every wait is bounded.

    eval "$(scripts/test-services)" && .venv/bin/python -m bench.relay
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import aiohttp
import dramatiq
import redis

from bench.harness.api_process import running_api
from bench.harness.bench_database import bench_database
from bench.harness.figures import Figure, markdown_table
from bench.harness.steady_load import percentile, steady_load
from payout_service.application.event_routes import BOOKS, PROVIDER_SEND
from payout_service.domain.events import PAYOUT_PROVIDER_ACCEPTED, DomainEvent
from payout_service.infrastructure.broker import NAMESPACE, build_broker
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.database import close_database, open_database
from payout_service.infrastructure.db.dialect import dialect_for_url
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.embedded_redis import free_loopback_port, temporary_redis
from payout_service.infrastructure.outbox.publisher import EVENTS_PER_BATCH_MESSAGE
from payout_service.infrastructure.settings import Settings

THROUGHPUT_TARGET = 0.50
P50_LIMIT_MS, P99_LIMIT_MS = 10.0, 100.0
ACCOUNTS = 100
START_TIMEOUT_SECONDS = 30.0
DRAIN_TIMEOUT_SECONDS = 120.0
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> list[Figure]:
    args = _parser().parse_args(argv)
    server_url = os.environ.get("BENCH_MYSQL_URL") or os.environ.get("TEST_MYSQL_URL")
    if not server_url:
        raise SystemExit("set BENCH_MYSQL_URL or TEST_MYSQL_URL (scripts/test-services)")
    print(
        f"relay: {args.messages:,} events per throughput run, worker 1 process x"
        f" {args.threads} threads, relay batch {args.batch}; latency at"
        f" {', '.join(f'{r:g}' for r in args.rates)} creates/s, {args.seconds:g} s each, over"
        f" {ACCOUNTS} accounts",
        flush=True,
    )
    with temporary_redis() as private_redis:
        figures = asyncio.run(_measure(server_url, private_redis.url, args))
    print()
    print(markdown_table(figures))
    return figures


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench.relay", description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--batch", type=int, default=500, help="RELAY_BATCH_SIZE")
    parser.add_argument(
        "--rates",
        type=lambda text: [float(r) for r in text.split(",")],
        default=[200.0, 5.0],
        help="steady create rates per second, comma-separated: a busy and a quiet one",
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measured, per rate")
    parser.add_argument("--warmup", type=float, default=2.0)
    return parser


async def _measure(server_url: str, redis_url: str, args: argparse.Namespace) -> list[Figure]:
    async with bench_database(server_url, ACCOUNTS) as database_url:
        settings = Settings(
            database_url=database_url, redis_url=redis_url, relay_batch_size=args.batch
        )
        raw, raw_batched, relayed = await _throughput(settings, args)
        print(
            f"  raw Dramatiq {raw:,.0f} events/s (one per message), {raw_batched:,.0f} events/s"
            f" ({EVENTS_PER_BATCH_MESSAGE} per message); relay {relayed:,.0f} events/s",
            flush=True,
        )
        runs = await _latency(settings, args)
    scale = f"{args.messages:,} events each; no-op actor, 1 worker x {args.threads}"
    figures = [
        Figure(
            what=f"outbox → actor, relay process (batch {args.batch}) vs raw Dramatiq, one event"
            " per message",
            figure=relayed,
            limit=raw,
            unit="events/s",
            target=THROUGHPUT_TARGET,
            note=f"{scale}; the relay sends {EVENTS_PER_BATCH_MESSAGE} events per books message",
        ),
        Figure(
            what=f"outbox → actor, relay process (batch {args.batch}) vs raw Dramatiq, the same"
            f" {EVENTS_PER_BATCH_MESSAGE} events per message",
            figure=relayed,
            limit=raw_batched,
            unit="events/s",
            target=THROUGHPUT_TARGET,
            note=f"{scale}; like for like: what the outbox (claim, read, mark) costs",
        ),
    ]
    for rate, latencies in runs.items():
        scale = f"{len(latencies):,} payout.created at {rate:g}/s; MariaDB, fast path on"
        for percent, limit in ((50, P50_LIMIT_MS), (99, P99_LIMIT_MS)):
            figures.append(
                Figure(
                    what=f"commit → actor start at {rate:g} creates/s, p{percent}",
                    figure=percentile(latencies, percent),
                    limit=limit,
                    unit="ms",
                    target=1.0,
                    note=scale,
                    lower_is_better=True,
                )
            )
    return figures


async def _throughput(settings: Settings, args: argparse.Namespace) -> tuple[float, float, float]:
    """(raw one per message, raw batched, relayed) events per second through the same no-op
    worker."""
    client = redis.Redis.from_url(settings.redis_url)
    done = f"{NAMESPACE}:bench:done"
    try:
        with _process(
            _dramatiq("bench.harness.relay_worker", args.threads), settings, "worker"
        ) as worker:
            worker.wait_for("Worker process is ready for action")
            raw = []
            for per_message in (1, EVENTS_PER_BATCH_MESSAGE):
                client.delete(done)
                started = time.perf_counter()
                await asyncio.to_thread(_enqueue_raw, settings, args.messages, per_message)
                raw.append(args.messages / (await _counted(client, done, args.messages) - started))

            await _write_backlog(settings, args.messages)
            client.delete(done)
            with _process(_payout_service("relay"), settings, "relay") as relay:
                relay.wait_for("relay started")
                started = time.perf_counter()
                relayed = args.messages / (await _counted(client, done, args.messages) - started)
    finally:
        client.close()
    return raw[0], raw[1], relayed


def _enqueue_raw(settings: Settings, count: int, batch: int) -> None:
    """What the relay's publisher sends, minus the outbox: the events in messages of `batch`."""
    broker = build_broker(settings)
    now = datetime.now(UTC).isoformat()
    for start in range(0, count, batch):
        envelopes = [
            _envelope(str(uuid.uuid4()), f"raw-{n}", now)
            for n in range(start, min(start + batch, count))
        ]
        broker.enqueue(
            dramatiq.Message(
                queue_name=BOOKS.queue,
                actor_name=BOOKS.name,
                args=(),
                kwargs={"envelopes": envelopes},
                options={},
            )
        )
    broker.close()


def _envelope(message_id: str, aggregate_id: str, occurred_at: str) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "event": PAYOUT_PROVIDER_ACCEPTED,
        "aggregate_type": "payout",
        "aggregate_id": aggregate_id,
        "payload": {"payout_id": aggregate_id, "provider_payout_id": "bench"},
        "headers": {"request_id": "bench"},
        "occurred_at": occurred_at,
    }


async def _write_backlog(settings: Settings, count: int) -> None:
    """Committed outbox rows routed to the books consumer only, one aggregate each."""
    await open_database(settings)
    try:
        uow = SqlUnitOfWorkFactory(dialect_for_url(settings.database_url))
        for start in range(0, count, 1000):
            async with uow() as tx:
                now = SystemClock().now()
                for n in range(start, min(start + 1000, count)):
                    event = DomainEvent(PAYOUT_PROVIDER_ACCEPTED, "payout", f"relay-{n}", {})
                    await tx.outbox.add(event, {"request_id": "bench"}, now)
                await tx.commit()
    finally:
        await close_database()


async def _counted(client: redis.Redis, key: str, expected: int) -> float:
    """The moment (perf_counter) the count reached `expected`; polls every 2 ms, bounded."""
    deadline = time.perf_counter() + DRAIN_TIMEOUT_SECONDS
    while time.perf_counter() < deadline:
        if int(client.get(key) or 0) >= expected:
            return time.perf_counter()
        await asyncio.sleep(0.002)
    raise RuntimeError(f"only {int(client.get(key) or 0)} of {expected} consumed in time")


async def _latency(settings: Settings, args: argparse.Namespace) -> dict[float, list[float]]:
    """For each rate: the commit → actor-start latencies (ms) of the payouts created in its
    measured window, after a warm-up at that rate."""
    client = redis.Redis.from_url(settings.redis_url)
    latencies = f"{NAMESPACE}:bench:latency"
    runs: dict[float, list[float]] = {}
    try:
        with (
            _process(
                _dramatiq("bench.harness.latency_worker", args.threads, PROVIDER_SEND.queue),
                settings,
                "worker",
            ) as worker,
            _process(_payout_service("relay"), settings, "relay") as relay,
            running_api(settings.database_url, settings.redis_url) as base_url,
        ):
            worker.wait_for("Worker process is ready for action")
            relay.wait_for("relay started")
            async with aiohttp.ClientSession() as session:
                for rate in args.rates:
                    await steady_load(session, base_url, rate, args.warmup, ACCOUNTS)
                    window_start = time.time()
                    created = await steady_load(session, base_url, rate, args.seconds, ACCOUNTS)
                    runs[rate] = await _measured(client, latencies, window_start, created)
    finally:
        client.close()
    return runs


async def _measured(
    client: redis.Redis, key: str, window_start: float, created: int
) -> list[float]:
    """Waits (bounded) until every payout of the window reached its actor; prints the split."""

    def window() -> list[list[str]]:
        lines = [v.decode().split() for v in client.lrange(key, 0, -1)]
        return [fields for fields in lines if float(fields[2]) >= window_start]

    deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
    while len(window()) < created and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    fields = window()
    client.delete(key)
    total = [float(f[0]) * 1000 for f in fields]
    to_broker = [float(f[1]) * 1000 for f in fields]
    print(
        f"  commit → actor start: p50 {percentile(total, 50):.1f} ms, p99"
        f" {percentile(total, 99):.1f} ms ({len(total):,} of {created:,} payouts); of which"
        f" commit → in Redis: p50 {percentile(to_broker, 50):.1f} ms,"
        f" p99 {percentile(to_broker, 99):.1f} ms",
        flush=True,
    )
    return total


def _dramatiq(module: str, threads: int, queue: str = BOOKS.queue) -> list[str]:
    queues = ["--queues", queue]
    sizes = ["--processes", "1", "--threads", str(threads)]
    return [sys.executable, "-m", "dramatiq", module, *queues, *sizes]


def _payout_service(*args: str) -> list[str]:
    return [sys.executable, "-m", "payout_service.cli", *args]


class _Running:
    def __init__(self, process: subprocess.Popen[bytes], log: IO[str], name: str) -> None:
        self.process, self._log, self._name = process, log, name

    def wait_for(self, text: str) -> None:
        """Polls the process's log for `text` (bounded); fails if it exits first."""
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            self._log.seek(0)
            output = self._log.read()
            if text in output:
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"{self._name} exited:\n{output[-3000:]}")
            time.sleep(0.01)
        raise RuntimeError(f"{self._name} did not say {text!r} in {START_TIMEOUT_SECONDS} s")


@contextmanager
def _process(command: list[str], settings: Settings, name: str) -> Iterator[_Running]:
    """Runs a service process configured by its environment; SIGTERM (then SIGKILL) after."""
    with (
        tempfile.TemporaryDirectory(prefix="bench-relay-") as scratch,
        tempfile.TemporaryFile("w+") as log,
    ):
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.upper().startswith(("PROMETHEUS_MULTIPROC", "DRAMATIQ_PROM"))
        }
        env.update(
            DATABASE_URL=settings.database_url,
            REDIS_URL=settings.redis_url,
            RELAY_BATCH_SIZE=str(settings.relay_batch_size),
            PORT=str(free_loopback_port()),
            METRICS_DIR=scratch,
            dramatiq_prom_db=scratch,
            dramatiq_prom_port=str(free_loopback_port()),
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        process = subprocess.Popen(
            command,
            env=env,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield _Running(process, log, name)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # whatever it forked and left behind


if __name__ == "__main__":
    main()
