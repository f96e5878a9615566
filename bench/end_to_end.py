"""End-to-end payouts/s beside create-only payouts/s, measured in the same run.

On MariaDB (a throwaway database per phase, 100 accounts) and a private Redis:

1. Create-only: `payout-service web` alone; N creates at concurrency C, timed to the last 201.
2. End to end: every process type (web, relay, events, inbox, provider-send, and the mock provider
   in `success` mode, every payout succeeding, webhooks at once); the same N creates, timed from
   the first request until every payout has been debited (create -> provider accepted -> signed
   success webhook applied -> ledger debit). Target: at least 50 % of the create-only rate.

Both phases also measure the machine's busy CPU time (every process, MariaDB and Redis): its
share per payout tells how far a CPU-bound end to end can go beside create-only on these cores.

Commit -> actor-start latency p50/p99 is reported by bench/relay.py. Figures only: nothing is
asserted, every wait is bounded.

    eval "$(scripts/test-services)" && .venv/bin/python -m bench.end_to_end
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from bench.harness.api_process import running_api
from bench.harness.bench_database import ConnectionParams, bench_api_key, bench_database
from bench.harness.figures import Figure, markdown_table
from bench.harness.machine_cpu import machine_busy_time
from payout_service.infrastructure.embedded_redis import free_loopback_port, temporary_redis

TARGET = 0.50
ACCOUNTS = 100
START_TIMEOUT_SECONDS = 30.0
SETTLE_TIMEOUT_SECONDS = 300.0
SECRET = "whsec_bench_end_to_end"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
WORKERS = (
    ("relay", ("relay",), "relay started"),
    ("events", ("worker", "events", "--threads", "8"), "ready for action"),
    ("inbox", ("worker", "inbox", "--threads", "8"), "ready for action"),
    ("provider-send", ("worker", "provider-send", "--threads", "16"), "ready for action"),
)


def main(argv: list[str] | None = None) -> list[Figure]:
    args = _parser().parse_args(argv)
    server_url = os.environ.get("BENCH_MYSQL_URL") or os.environ.get("TEST_MYSQL_URL")
    if not server_url:
        raise SystemExit("set BENCH_MYSQL_URL or TEST_MYSQL_URL (scripts/test-services)")
    print(
        f"end to end: {args.payouts:,} payouts at concurrency {args.concurrency}"
        f" over {ACCOUNTS} accounts, mock provider in success mode",
        flush=True,
    )
    create_only, create_cpu = asyncio.run(_create_only(server_url, args))
    print(
        f"  create-only: {create_only:,.0f} payouts/s, {create_cpu:.1f} ms of CPU per payout",
        flush=True,
    )
    end_to_end, settled, end_to_end_cpu = asyncio.run(_end_to_end(server_url, args))
    print(
        f"  end to end: {end_to_end:,.0f} payouts/s ({settled:,} of {args.payouts:,} debited),"
        f" {end_to_end_cpu:.1f} ms of CPU per payout",
        flush=True,
    )
    cores = os.cpu_count() or 1
    cpu_bound = cores * 1000 / end_to_end_cpu if end_to_end_cpu else 0.0
    needed = cores * 1000 / (TARGET * create_only)
    figures = [
        Figure(
            what="end-to-end payouts/s (create → success webhook → debited) vs create-only",
            figure=end_to_end,
            limit=create_only,
            unit="payouts/s",
            target=TARGET,
            note=f"{args.payouts:,} payouts, concurrency {args.concurrency}; both in this run."
            f" Machine CPU per payout (every process, MariaDB, Redis and the client, on"
            f" {cores} cores): create-only {create_cpu:.1f} ms, end to end {end_to_end_cpu:.1f}"
            f" ms, so these cores carry at most {cpu_bound:,.0f} payouts/s end to end; the"
            f" target would need at most {needed:.1f} ms per payout",
        )
    ]
    print()
    print(markdown_table(figures))
    return figures


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--payouts", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    return parser


async def _create_only(server_url: str, args: argparse.Namespace) -> tuple[float, float]:
    """Payouts/s, and the machine's CPU-milliseconds per payout."""
    async with bench_database(server_url, ACCOUNTS) as database_url:
        with (
            temporary_redis() as private_redis,
            running_api(database_url, private_redis.url) as base_url,
        ):
            with machine_busy_time() as cpu:
                started = time.perf_counter()
                await _create(base_url, args.payouts, args.concurrency)
                elapsed = time.perf_counter() - started
            return args.payouts / elapsed, cpu.seconds * 1000 / args.payouts


async def _end_to_end(server_url: str, args: argparse.Namespace) -> tuple[float, int, float]:
    """Payouts/s, payouts debited, and the machine's CPU-milliseconds per payout."""
    async with bench_database(server_url, ACCOUNTS) as database_url:
        with temporary_redis() as private_redis:
            async with _service(database_url, private_redis.url) as base_url:
                with machine_busy_time() as cpu:
                    started = time.perf_counter()
                    await _create(base_url, args.payouts, args.concurrency)
                    settled = await _until_debited(database_url, args.payouts)
                    elapsed = time.perf_counter() - started
                return settled / elapsed, settled, cpu.seconds * 1000 / max(settled, 1)


async def _create(base_url: str, count: int, concurrency: int) -> None:
    """`count` creates from `concurrency` clients; a create that is not a 201 is retried (same
    key) a few times, so every counted payout exists."""
    numbers = iter(range(count))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def client() -> None:
            for n in numbers:
                user = n % ACCOUNTS + 1
                body = {
                    "user_id": user,
                    "amount": "1.00",
                    "currency": "USD",
                    "wallet": f"W{n}",
                    "external_reference": f"e2e-{n}",
                }
                headers = {
                    "Authorization": f"Bearer {bench_api_key(user)}",
                    "Idempotency-Key": f"e2e-{n}",
                }
                for _ in range(5):
                    async with session.post(
                        f"{base_url}/api/payouts", json=body, headers=headers
                    ) as response:
                        await response.read()
                        if response.status == 201:
                            break

        await asyncio.gather(*(client() for _ in range(concurrency)))


async def _until_debited(database_url: str, expected: int) -> int:
    """Polls the ledger (bounded) until `expected` payouts are debited; how many were."""
    params = ConnectionParams.from_url(database_url)
    deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
    debited = 0
    while time.monotonic() < deadline:
        connection = await params.connect()
        try:
            async with connection.cursor() as cursor:
                await cursor.execute(
                    "SELECT COUNT(*) FROM account_ledger_entries"
                    " WHERE kind = 'debit' AND account_id IS NOT NULL"
                )
                ((debited,),) = await cursor.fetchall()
        finally:
            connection.close()
        if debited >= expected:
            break
        await asyncio.sleep(0.05)
    return int(debited)


@asynccontextmanager
async def _service(database_url: str, redis_url: str) -> AsyncIterator[str]:
    """Every process type up; the web's base URL. SIGTERM (then SIGKILL) to all after."""
    web_port, mock_port = free_loopback_port(), free_loopback_port()
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as scratch:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.upper().startswith(("PROMETHEUS_MULTIPROC", "DRAMATIQ_PROM"))
        }
        env.update(
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            PROVIDER_WEBHOOK_SECRETS=SECRET,
            PROVIDER_BASE_URL=f"http://127.0.0.1:{mock_port}",
            MOCK_PROVIDER_MODE="success",
            MOCK_PROVIDER_SUCCESS_PERCENT="100",
            MOCK_PROVIDER_STEP_DELAY_MS="0",
            MOCK_PROVIDER_WEBHOOK_URL=f"http://127.0.0.1:{web_port}/api/webhooks/provider",
            METRICS_DIR=scratch,
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
            PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        )
        processes: list[asyncio.subprocess.Process] = []
        try:
            specs = [
                *WORKERS,
                ("provider-mock", ("provider-mock",), "provider mock serving"),
                ("web", ("web",), "web serving"),
            ]
            for name, args, ready in specs:
                port = {"web": web_port, "provider-mock": mock_port}.get(name)
                log = Path(scratch) / f"{name}.log"
                processes.append(
                    await _start(args, dict(env, PORT=str(port or free_loopback_port())), log)
                )
                await _wait_for_line(log, ready, processes[-1], name)
            yield f"http://127.0.0.1:{web_port}"
        finally:
            for process in processes:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    await process.wait()


async def _start(
    args: tuple[str, ...], env: dict[str, str], log: Path
) -> asyncio.subprocess.Process:
    with log.open("wb") as sink:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "payout_service.cli", *args,
            env=env, cwd=PROJECT_ROOT, stdout=sink, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


async def _wait_for_line(
    log: Path, text: str, process: asyncio.subprocess.Process, name: str
) -> None:
    """Polls the process's log (bounded): the processes announce readiness only there."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        output = log.read_text(errors="replace")
        if text in output:
            return
        if process.returncode is not None:
            raise RuntimeError(f"{name} exited:\n{output[-3000:]}")
        await asyncio.sleep(0.02)
    raise RuntimeError(f"{name} did not say {text!r} within {START_TIMEOUT_SECONDS} s")


if __name__ == "__main__":
    main()
