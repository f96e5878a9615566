"""Outgoing webhooks: commit → client receipt latency, and one notify process's deliveries/s
beside raw aiohttp POSTs to the same receiver, measured in the same run.

On MariaDB (a throwaway database per phase, 100 users with one webhook endpoint each, for every
event type) and a private Redis, the client's endpoint on 127.0.0.1 in a process of its own
(bench.harness.webhook_receiver):

1. Throughput: N payouts committed beforehand (their client events logged), their notify
   messages enqueued at once to one notify worker (1 process x 8 threads, as the Procfile runs
   it): N / (first enqueue → last receipt). Beside it, raw: the same N bodies POSTed from this
   process with aiohttp, 8 at a time, to the same receiver. No target: the issue sets none, and
   the ratio shows what a delivery costs beyond its POST (two MariaDB transactions, nine
   statements, one Dramatiq message).
2. Latency: the real API (fast path on) under a steady create load, a busy rate and a quiet one,
   the relay as safety net and the same notify worker; for each payout.created, the time from its
   transaction to its receipt at the client. Targets: p50 ≤ 20 ms, p99 ≤ 150 ms.

Figures only; nothing is asserted, every wait is bounded.

    eval "$(scripts/test-services)" && .venv/bin/python -m bench.outgoing_webhooks
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
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

from bench.harness.api_process import running_api
from bench.harness.bench_database import CURRENCY, bench_database
from bench.harness.figures import Figure, markdown_table
from bench.harness.steady_load import percentile, steady_load
from payout_service.application.event_routes import NOTIFY
from payout_service.application.representation import client_event_representation
from payout_service.domain.client_events import WebhookEndpoint
from payout_service.domain.events import PAYOUT_CREATED
from payout_service.domain.money import Money, currency
from payout_service.domain.payout import Payout
from payout_service.infrastructure.broker import build_broker
from payout_service.infrastructure.db.database import close_database, open_database
from payout_service.infrastructure.db.dialect import MYSQL
from payout_service.infrastructure.db.outbox import OUTBOX_COLUMNS, OutboxRow
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.embedded_redis import free_loopback_port, temporary_redis
from payout_service.infrastructure.outbox.publisher import DramatiqPublisher
from payout_service.infrastructure.settings import Settings

THROUGHPUT_TARGET = 0.0  # none: a comparison (see the docstring)
P50_LIMIT_MS, P99_LIMIT_MS = 20.0, 150.0
USERS = 100
THREADS = 8
START_TIMEOUT_SECONDS = 30.0
DRAIN_TIMEOUT_SECONDS = 120.0
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> list[Figure]:
    args = _parser().parse_args(argv)
    server_url = os.environ.get("BENCH_MYSQL_URL") or os.environ.get("TEST_MYSQL_URL")
    if not server_url:
        raise SystemExit("set BENCH_MYSQL_URL or TEST_MYSQL_URL (scripts/test-services)")
    print(
        f"outgoing webhooks: {args.deliveries:,} deliveries per throughput run, notify worker"
        f" 1 process x {THREADS} threads; latency at {', '.join(f'{r:g}' for r in args.rates)}"
        f" creates/s, {args.seconds:g} s each, over {USERS} users with an endpoint each",
        flush=True,
    )
    with temporary_redis() as private_redis, _receiver() as receiver:
        # Each phase on an event loop of its own, as Tortoise's global context wants.
        throughput = asyncio.run(
            _throughput(server_url, private_redis.url, receiver, args.deliveries)
        )
        print(f"  notify {throughput[0]:,.0f} deliveries/s; raw aiohttp {throughput[1]:,.0f}"
              " POSTs/s", flush=True)  # fmt: skip
        runs = asyncio.run(_latency(server_url, private_redis.url, receiver, args))
    figures = _figures(throughput, runs, args)
    print()
    print(markdown_table(figures))
    return figures


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench.outgoing_webhooks", description=__doc__)
    parser.add_argument("--deliveries", type=int, default=2_000)
    parser.add_argument(
        "--rates",
        type=lambda text: [float(r) for r in text.split(",")],
        default=[100.0, 5.0],
        help="steady create rates per second, comma-separated: a busy and a quiet one",
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measured, per rate")
    parser.add_argument("--warmup", type=float, default=2.0)
    return parser


def _figures(
    throughput: tuple[float, float], runs: dict[float, list[float]], args: argparse.Namespace
) -> list[Figure]:
    notified, raw = throughput
    figures = [
        Figure(
            what="client events delivered by one notify process vs raw aiohttp POSTs",
            figure=notified,
            limit=raw,
            unit="deliveries/s",
            target=THROUGHPUT_TARGET,
            note=f"{args.deliveries:,} payout.created to {USERS} endpoints; notify 1 process x"
            f" {THREADS} threads (create and claim, POST signed, record: two MariaDB"
            f" transactions); raw: {THREADS} POSTs at a time of the same bodies, unsigned, from"
            " the bench process; no target, a comparison",
        )
    ]
    for rate, latencies in runs.items():
        scale = f"{len(latencies):,} payout.created at {rate:g}/s; MariaDB, fast path on"
        for percent, limit in ((50, P50_LIMIT_MS), (99, P99_LIMIT_MS)):
            figures.append(
                Figure(
                    what=f"commit → client receipt at {rate:g} creates/s, p{percent}",
                    figure=percentile(latencies, percent),
                    limit=limit,
                    unit="ms",
                    target=1.0,
                    note=scale,
                    lower_is_better=True,
                )
            )
    return figures


async def _throughput(
    server_url: str, redis_url: str, receiver: str, count: int
) -> tuple[float, float]:
    """(notify deliveries/s, raw POSTs/s) of the same events to the same receiver."""
    async with bench_database(server_url, USERS) as database_url:
        settings = Settings(database_url=database_url, redis_url=redis_url)
        rows, bodies = await _committed_payouts(settings, receiver, count)
        publisher = DramatiqPublisher(build_broker(settings), routes=lambda name: (NOTIFY,))
        async with aiohttp.ClientSession() as session:
            with _notify_worker(settings) as worker:
                worker.wait_for("Worker process is ready for action")
                await _reset(session, receiver)
                started = time.perf_counter()
                errors = await asyncio.to_thread(publisher.publish_batch, rows)
                assert not any(errors), errors[:1]
                notified = count / (await _received(session, receiver, count) - started)
            await _reset(session, receiver)
            started = time.perf_counter()
            await _post_raw(session, f"{receiver}/hooks", bodies)
            raw = count / (await _received(session, receiver, count) - started)
    return notified, raw


async def _committed_payouts(
    settings: Settings, receiver: str, count: int
) -> tuple[list[OutboxRow], list[bytes]]:
    """Endpoints, then `count` payouts committed through the unit of work (their client events
    logged); their payout.created outbox rows, and their events' bodies as delivered."""
    await open_database(settings)
    try:
        uow = SqlUnitOfWorkFactory(MYSQL)
        await _register_endpoints(uow, receiver)
        for start in range(0, count, 500):
            async with uow() as tx:
                now = datetime.now(UTC)
                for n in range(start, min(start + 500, count)):
                    await tx.payouts.add(_payout(1 + n % USERS, now))
                await tx.commit()
        async with uow() as tx:
            found = await tx.session.rows(
                f"SELECT {OUTBOX_COLUMNS} FROM outbox_messages WHERE event_name = %s ORDER BY id",
                PAYOUT_CREATED,
            )
            rows = [OutboxRow.from_db(r, MYSQL) for r in found]
            bodies = []
            for user_id in range(1, USERS + 1):
                events = await tx.client_events.page(user_id, 0, count)
                bodies += [_compact(client_event_representation(e)) for e in events]
    finally:
        await close_database()
    return rows, bodies


def _payout(user_id: int, now: datetime) -> Payout:
    return Payout.create(
        payout_id=str(uuid.uuid4()),
        user_id=user_id,
        amount=Money(100, currency(CURRENCY)),
        wallet="W1",
        external_reference=uuid.uuid4().hex,
        now=now,
    )


async def _register_endpoints(uow: SqlUnitOfWorkFactory, receiver: str) -> None:
    """One endpoint per user, for every event type, as the API would store it."""
    now = datetime.now(UTC)
    async with uow() as tx:
        for user_id in range(1, USERS + 1):
            await tx.webhook_endpoints.add(
                WebhookEndpoint(
                    id=f"we_bench_{user_id}",
                    user_id=user_id,
                    url=f"{receiver}/hooks",
                    event_types=("*",),
                    description="bench",
                    secret=f"whsec_bench_{user_id}",
                    created_at=now,
                    updated_at=now,
                )
            )
        await tx.commit()


async def _post_raw(session: aiohttp.ClientSession, url: str, bodies: list[bytes]) -> None:
    queue = list(reversed(bodies))
    headers = {"Content-Type": "application/json"}

    async def poster() -> None:
        while queue:
            async with session.post(url, data=queue.pop(), headers=headers) as response:
                await response.read()

    await asyncio.gather(*(poster() for _ in range(THREADS)))


async def _latency(
    server_url: str, redis_url: str, receiver: str, args: argparse.Namespace
) -> dict[float, list[float]]:
    """For each rate: the commit → receipt latencies (ms) of the payouts created in its
    measured window, after a warm-up at that rate."""
    runs: dict[float, list[float]] = {}
    async with bench_database(server_url, USERS) as database_url:
        settings = Settings(database_url=database_url, redis_url=redis_url)
        await open_database(settings)
        try:
            await _register_endpoints(SqlUnitOfWorkFactory(MYSQL), receiver)
        finally:
            await close_database()
        with (
            _notify_worker(settings) as worker,
            _service(["payout-service", "relay"], settings, "relay") as relay,
            running_api(database_url, redis_url) as base_url,
        ):
            worker.wait_for("Worker process is ready for action")
            relay.wait_for("relay started")
            async with aiohttp.ClientSession() as session:
                for rate in args.rates:
                    await _reset(session, receiver)
                    warm = await steady_load(session, base_url, rate, args.warmup, USERS)
                    await _received(session, receiver, warm)
                    await _reset(session, receiver)
                    created = await steady_load(session, base_url, rate, args.seconds, USERS)
                    await _received(session, receiver, created)
                    runs[rate] = (await _stats(session, receiver))["latencies_ms"]
                    print(
                        f"  commit → client receipt at {rate:g}/s: p50"
                        f" {percentile(runs[rate], 50):.1f} ms, p99"
                        f" {percentile(runs[rate], 99):.1f} ms ({len(runs[rate]):,} of"
                        f" {created:,})",
                        flush=True,
                    )
    return runs


async def _stats(session: aiohttp.ClientSession, receiver: str) -> dict[str, Any]:
    async with session.get(f"{receiver}/stats") as response:
        stats: dict[str, Any] = await response.json()
        return stats


async def _reset(session: aiohttp.ClientSession, receiver: str) -> None:
    async with session.post(f"{receiver}/reset") as response:
        await response.read()


async def _received(session: aiohttp.ClientSession, receiver: str, expected: int) -> float:
    """The moment (perf_counter) the receiver had `expected` events; polls every 5 ms, bounded."""
    deadline = time.perf_counter() + DRAIN_TIMEOUT_SECONDS
    while time.perf_counter() < deadline:
        if (await _stats(session, receiver))["received"] >= expected:
            return time.perf_counter()
        await asyncio.sleep(0.005)
    received = (await _stats(session, receiver))["received"]
    raise RuntimeError(f"only {received} of {expected} events received in time")


def _compact(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


@contextmanager
def _receiver() -> Iterator[str]:
    """The client's endpoint in a process of its own; its base URL."""
    port = free_loopback_port()
    command = [sys.executable, "-m", "bench.harness.webhook_receiver", str(port)]
    with _service(command, None, "receiver") as receiver:
        receiver.wait_for("receiver serving")
        yield f"http://127.0.0.1:{port}"


def _notify_worker(settings: Settings) -> contextlib.AbstractContextManager[_Running]:
    queues = ["--queues", NOTIFY.queue, "--processes", "1", "--threads", str(THREADS)]
    command = [sys.executable, "-m", "dramatiq", "actors.worker", *queues]
    return _service(command, settings, "notify")


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
def _service(command: list[str], settings: Settings | None, name: str) -> Iterator[_Running]:
    """Runs a process configured by its environment; SIGTERM (then SIGKILL) after."""
    with (
        tempfile.TemporaryDirectory(prefix="bench-webhooks-") as scratch,
        tempfile.TemporaryFile("w+") as log,
    ):
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.upper().startswith(("PROMETHEUS_MULTIPROC", "DRAMATIQ_PROM"))
        }
        env.update(
            PORT=str(free_loopback_port()),
            METRICS_DIR=scratch,
            dramatiq_prom_db=scratch,
            dramatiq_prom_port=str(free_loopback_port()),
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
            OUTGOING_WEBHOOKS_ALLOW_HTTP_LOOPBACK="on",
            PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        )
        if settings is not None:
            env.update(DATABASE_URL=settings.database_url, REDIS_URL=settings.redis_url)
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
