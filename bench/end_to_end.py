"""A payout's whole journey: payouts/s and the CPU each one costs, per process type.

On MariaDB (a throwaway database per phase, 100 accounts) and a private Redis:

0. Baseline: the code before issue 18 (`--baseline`, 55690d7) runs its own end-to-end bench in a
   git worktree with the same payouts and concurrency: its rate is the limit the 2.5x target is
   judged against, measured in this run.
1. Create-only: `payout-service web` alone; N creates at concurrency C, timed to the last 201.
2. End to end: every process type of the Procfile that a payout passes through (web, relay,
   events, inbox, provider-send, notify, and the mock provider in `success` mode, every payout
   succeeding, webhooks at once); the same N creates, timed from the first request until every
   payout has been debited (create -> provider accepted -> signed success webhook applied ->
   ledger debit).

The end-to-end phase also reports, per payout:
- the CPU of each process type (read from /proc: a worker's forked children count with it), of
  MariaDB and Redis, and of this load generator; the service's own total leaves out the mock
  provider (a real provider's CPU is not ours) and the load generator;
- the messages each consumer took, with its queue (from the workers' logs), the transactions
  and statements MariaDB ran (every database on the server: run it on a quiet server), and the
  HTTP requests each side served.

`--profile DIR` also records every service process with py-spy over the end-to-end phase and
writes what dominates each into DIR/summary.txt (profiling slows the processes: its figures are not
the bench's). Figures only: nothing is asserted, every wait is bounded.

    eval "$(scripts/test-services)" && .venv/bin/python -m bench.end_to_end
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.harness import profiles
from bench.harness.api_process import running_api
from bench.harness.baseline import BaselineRun, BaselineUnavailable, run_end_to_end_at
from bench.harness.bench_database import ConnectionParams, bench_api_key, bench_database
from bench.harness.figures import Figure, markdown_table
from bench.harness.machine_cpu import machine_busy_time
from bench.harness.process_cpu import LOAD_GENERATOR, ProcessGroup, cpu_by_group
from bench.harness.service_processes import (
    MOCK_READY,
    RELAY_READY,
    WEB_READY,
    WORKER_READY,
    ProcessType,
    RunningProcess,
    running_processes,
)
from payout_service.application.event_routes import ROUTES
from payout_service.infrastructure.embedded_redis import free_loopback_port, temporary_redis

ACCOUNTS = 100
IDLE_SECONDS = 5.0  # the service idle, before the load: what its processes spend doing nothing
SETTLE_TIMEOUT_SECONDS = 600.0
SECRET = "whsec_bench_end_to_end"
# The code before issue 18 ("A payout's whole journey at a third of today's CPU"): its own bench
# runs in the same run (bench.harness.baseline) and the target is 2.5 times its rate. RATE_BEFORE
# is that rate as measured on 2026-12-01, the limit only when the commit cannot be run here.
BASELINE_COMMIT = "55690d7"
RATE_BEFORE = 46.0
RATE_TARGET = 2.5
CPU_LIMIT_MS = 8.0  # the service's own machine CPU per payout, the mock provider's apart
MOCK = "provider-mock"
DATABASES = (ProcessGroup("MariaDB", commands=("mariadbd", "mysqld")),)
NOT_OURS = frozenset({MOCK, LOAD_GENERATOR})
_QUEUE_OF_LINE = re.compile(r"^(message|batch) (applied|skipped)")


@dataclass(frozen=True, slots=True)
class Journey:
    """What the end-to-end phase measured; every count is per payout debited."""

    rate: float
    debited: int
    machine_ms: float
    cpu_ms: dict[str, float]  # by process type, MariaDB, Redis, the load generator
    messages: dict[str, float]  # by consumer (actor)
    statements: dict[str, float]  # transactions (committed or rolled back), select, insert...
    http_requests: dict[str, float]
    idle_ms_per_second: dict[str, float]  # CPU spent idle, by process type

    @property
    def service_ms(self) -> float:
        return sum(ms for name, ms in self.cpu_ms.items() if name not in NOT_OURS)


def main(argv: list[str] | None = None) -> list[Figure]:
    args = _parser().parse_args(argv)
    server_url = os.environ.get("BENCH_MYSQL_URL") or os.environ.get("TEST_MYSQL_URL")
    if not server_url:
        raise SystemExit("set BENCH_MYSQL_URL or TEST_MYSQL_URL (scripts/test-services)")
    print(
        f"end to end: {args.payouts:,} payouts at concurrency {args.concurrency}"
        f" over {args.accounts} accounts, mock provider in success mode",
        flush=True,
    )
    before = _baseline(args)
    create_only, create_cpu = asyncio.run(_create_only(server_url, args))
    print(
        f"  create-only: {create_only:,.0f} payouts/s, {create_cpu:.1f} ms of CPU per payout",
        flush=True,
    )
    journey = asyncio.run(_end_to_end(server_url, args))
    print(
        f"  end to end: {journey.rate:,.0f} payouts/s ({journey.debited:,} of {args.payouts:,}"
        f" debited), {journey.machine_ms:.1f} ms of machine CPU per payout",
        flush=True,
    )
    print(_breakdown(journey), flush=True)
    cores = os.cpu_count() or 1
    mock_ms = journey.cpu_ms.get(MOCK, 0.0)
    figures = [
        Figure(
            what="end-to-end payouts/s (create → success webhook → debited) vs before issue 18",
            figure=journey.rate,
            limit=before.rate if isinstance(before, BaselineRun) else RATE_BEFORE,
            unit="payouts/s",
            target=RATE_TARGET,
            note=f"{args.payouts:,} payouts, concurrency {args.concurrency}; {_limit_note(before)};"
            f" create-only in this run: {create_only:,.0f} payouts/s at {create_cpu:.1f} ms of"
            f" machine CPU each",
        ),
        Figure(
            what="service CPU per payout end to end (every process type, MariaDB, Redis)",
            figure=journey.service_ms,
            limit=CPU_LIMIT_MS,
            unit="ms",
            target=1.0,
            lower_is_better=True,
            note=f"apart: the mock provider {mock_ms:.1f} ms, the load generator"
            f" {journey.cpu_ms.get(LOAD_GENERATOR, 0.0):.1f} ms; the whole machine"
            f" {journey.machine_ms:.1f} ms, so these {cores} cores carry at most"
            f" {cores * 1000 / journey.machine_ms if journey.machine_ms else 0:,.0f} payouts/s",
        ),
    ]
    print()
    print(markdown_table(figures))
    return figures


def _baseline(args: argparse.Namespace) -> BaselineRun | str:
    """The baseline commit's run, or why there is none."""
    if args.baseline == "none":
        return "not run (--baseline none)"
    print(f"  {args.baseline} (before issue 18), its own bench in a git worktree...", flush=True)
    try:
        run = run_end_to_end_at(args.baseline, args.payouts, args.concurrency)
    except BaselineUnavailable as exc:
        print(f"  {args.baseline}: {exc}", flush=True)
        return str(exc)
    print(
        f"  {run.commit}: end to end {run.rate:,.0f} payouts/s,"
        f" {run.machine_ms:.1f} ms of machine CPU per payout",
        flush=True,
    )
    return run


def _limit_note(before: BaselineRun | str) -> str:
    if isinstance(before, BaselineRun):
        return (
            f"the limit is {before.commit}'s rate in this run, at {before.machine_ms:.1f} ms of"
            " machine CPU per payout"
        )
    return (
        f"the limit is {BASELINE_COMMIT}'s rate on 2026-12-01 ({RATE_BEFORE:.0f}/s): it was not"
        f" run now: {before}"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--payouts", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--baseline",
        default=BASELINE_COMMIT,
        help="the commit whose own bench gives the limit, run first; 'none' skips it",
    )
    parser.add_argument("--profile", type=Path, help="record py-spy profiles into this folder")
    parser.add_argument(
        "--accounts",
        type=int,
        default=ACCOUNTS,
        help="the accounts the payouts are spread over (1: one hot account); a baseline commit's"
        " bench spreads them over its own 100, so pair another number with --baseline none",
    )
    return parser


def _breakdown(journey: Journey) -> str:
    lines = ["  per payout debited:"]
    cpu = sorted(journey.cpu_ms.items(), key=lambda item: -item[1])
    lines.append("    CPU ms: " + ", ".join(f"{name} {ms:.2f}" for name, ms in cpu))
    lines.append(
        f"    service's own CPU {journey.service_ms:.2f} ms (without {', '.join(sorted(NOT_OURS))})"
    )
    messages = sorted(journey.messages.items(), key=lambda item: -item[1])
    lines.append(
        f"    messages {sum(journey.messages.values()):.2f}: "
        + ", ".join(f"{name} ({_queue_of(name)}) {n:.2f}" for name, n in messages)
    )
    lines.append(
        "    MariaDB statements: "
        + ", ".join(f"{kind} {n:.2f}" for kind, n in sorted(journey.statements.items()))
    )
    requests = sorted(journey.http_requests.items(), key=lambda item: -item[1])
    lines.append(
        f"    HTTP requests {sum(journey.http_requests.values()):.2f}: "
        + ", ".join(f"{name} {n:.2f}" for name, n in requests)
    )
    idle = sorted(journey.idle_ms_per_second.items(), key=lambda item: -item[1])
    lines.append("  idle, CPU ms per second: " + ", ".join(f"{name} {ms:.1f}" for name, ms in idle))
    return "\n".join(lines)


def _queue_of(actor: str) -> str:
    """The queue an actor consumes, from the routing table; the actors that drain messages of
    the books' old shape (record_audit, settle_ledger) are not in it, and are on `events`."""
    queues = {c.name: c.queue for consumers in ROUTES.values() for c in consumers}
    return queues.get(actor, "events")


async def _create_only(server_url: str, args: argparse.Namespace) -> tuple[float, float]:
    """Payouts/s, and the machine's CPU-milliseconds per payout."""
    async with bench_database(server_url, args.accounts) as database_url:
        with (
            temporary_redis() as private_redis,
            running_api(database_url, private_redis.url) as base_url,
        ):
            with machine_busy_time() as cpu:
                started = time.perf_counter()
                await _create(base_url, args.payouts, args.concurrency, args.accounts)
                elapsed = time.perf_counter() - started
            return args.payouts / elapsed, cpu.seconds * 1000 / args.payouts


def _process_types(web_port: int, mock_port: int) -> tuple[ProcessType, ...]:
    """As the Procfile runs them (threads per worker included), but one process each."""
    return (
        ProcessType(MOCK, ("provider-mock",), MOCK_READY, mock_port),
        ProcessType("relay", ("relay",), RELAY_READY),
        ProcessType("events", ("worker", "events", "--processes", "1", "--threads", "4"),
                    WORKER_READY),
        ProcessType("inbox", ("worker", "inbox", "--processes", "1", "--threads", "4"),
                    WORKER_READY),
        ProcessType("provider-send", ("worker", "provider-send", "--processes", "1"),
                    WORKER_READY),
        ProcessType("notify", ("worker", "notifications", "--processes", "1", "--threads", "8"),
                    WORKER_READY),
        ProcessType("web", ("web",), WEB_READY, web_port),
    )  # fmt: skip


async def _end_to_end(server_url: str, args: argparse.Namespace) -> Journey:
    web_port, mock_port = free_loopback_port(), free_loopback_port()
    base_url = f"http://127.0.0.1:{web_port}"
    async with bench_database(server_url, args.accounts) as database_url:
        with temporary_redis() as private_redis:
            env = {
                "DATABASE_URL": database_url,
                "REDIS_URL": private_redis.url,
                "PROVIDER_WEBHOOK_SECRETS": SECRET,
                "PROVIDER_BASE_URL": f"http://127.0.0.1:{mock_port}",
                "MOCK_PROVIDER_MODE": "success",
                "MOCK_PROVIDER_SUCCESS_PERCENT": "100",
                "MOCK_PROVIDER_STEP_DELAY_MS": "0",
                "MOCK_PROVIDER_WEBHOOK_URL": f"{base_url}/api/webhooks/provider",
            }
            async with running_processes(_process_types(web_port, mock_port), env) as running:
                groups = [ProcessGroup(p.name, session=p.pid) for p in running]
                groups.append(ProcessGroup("Redis", pid=private_redis.pid))
                with cpu_by_group([*groups, *DATABASES]) as idle:
                    await asyncio.sleep(IDLE_SECONDS)
                statements_before = await _statements(database_url)
                requests_before = await _web_requests(base_url)
                async with AsyncExitStack() as stack:
                    if args.profile:
                        await stack.enter_async_context(profiles.recording(running, args.profile))
                    with (
                        machine_busy_time() as machine,
                        cpu_by_group([*groups, *DATABASES]) as cpu,
                    ):
                        started = time.perf_counter()
                        await _create(base_url, args.payouts, args.concurrency, args.accounts)
                        debited = await _until_debited(database_url, args.payouts)
                        elapsed = time.perf_counter() - started
                statements = await _statements(database_url) - statements_before
                served = await _web_requests(base_url)
                messages = _messages(running)
                provider_sends = _lines(running, MOCK, "accepted")
    if args.profile:
        _write_summary(args.profile, running)
    per = max(debited, 1)
    http = {
        f"web {route}": (n - requests_before.get(route, 0)) / per
        for route, n in served.items()
        if n > requests_before.get(route, 0)
    }
    http["provider-mock sends"] = provider_sends / per
    return Journey(
        rate=debited / elapsed,
        debited=debited,
        machine_ms=machine.seconds * 1000 / per,
        cpu_ms={name: s * 1000 / per for name, s in cpu.seconds.items()},
        messages={name: n / per for name, n in messages.items()},
        statements={kind: n / per for kind, n in statements.items()},
        http_requests=http,
        idle_ms_per_second={n: s * 1000 / IDLE_SECONDS for n, s in idle.seconds.items()},
    )


async def _create(base_url: str, count: int, concurrency: int, accounts: int) -> None:
    """`count` creates from `concurrency` clients; a create that is not a 201 is retried (same
    key) a few times, so every counted payout exists."""
    numbers = iter(range(count))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def client() -> None:
            for n in numbers:
                user = n % accounts + 1
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


@asynccontextmanager
async def _connection(database_url: str) -> AsyncIterator[object]:
    connection = await ConnectionParams.from_url(database_url).connect()
    try:
        async with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


async def _until_debited(database_url: str, expected: int) -> int:
    """Polls the ledger (bounded) until `expected` payouts are debited; how many were."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
    debited = 0
    async with _connection(database_url) as cursor:
        while time.monotonic() < deadline:
            await cursor.execute(  # type: ignore[attr-defined]
                "SELECT COUNT(*) FROM account_ledger_entries"
                " WHERE kind = 'debit' AND account_id IS NOT NULL"
            )
            ((debited,),) = await cursor.fetchall()  # type: ignore[attr-defined]
            if debited >= expected:
                break
            await asyncio.sleep(0.05)
    return int(debited)


async def _statements(database_url: str) -> Counter[str]:
    """Statements MariaDB has run since it started (every database), by kind: COMMITs and
    ROLLBACKs count as transactions."""
    async with _connection(database_url) as cursor:
        await cursor.execute(  # type: ignore[attr-defined]
            "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_commit', 'Com_rollback',"
            " 'Com_select', 'Com_insert', 'Com_update', 'Com_delete')"
        )
        counted: Counter[str] = Counter()
        for name, value in await cursor.fetchall():  # type: ignore[attr-defined]
            kind = name.removeprefix("Com_")
            counted["transactions" if kind in ("commit", "rollback") else kind] += int(value)
        return counted


async def _web_requests(base_url: str) -> dict[str, float]:
    """http_requests_total of the web process by route (its own /metrics scrape excluded)."""
    async with aiohttp.ClientSession() as session, session.get(f"{base_url}/metrics") as response:
        text = await response.text()
    served: Counter[str] = Counter()
    pattern = re.compile(r"^http_requests_total\{(.*)\} ([0-9.e+]+)$")
    for line in text.splitlines():
        match = pattern.match(line)
        if match:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
            if labels.get("route") != "/metrics":
                served[f"{labels.get('method')} {labels.get('route')}"] += float(match.group(2))
    return dict(served)


def _messages(running: list[RunningProcess]) -> Counter[str]:
    """Messages each actor took, from the one line it logs per message (or per batch)."""
    taken: Counter[str] = Counter()
    for process in running:
        for entry in _log_entries(process):
            if _QUEUE_OF_LINE.match(str(entry.get("message", ""))) and entry.get("actor"):
                taken[str(entry["actor"])] += 1
    return taken


def _lines(running: list[RunningProcess], name: str, text: str) -> int:
    return sum(
        text in str(entry.get("message", ""))
        for process in running
        if process.name == name
        for entry in _log_entries(process)
    )


def _log_entries(process: RunningProcess) -> list[dict[str, object]]:
    entries = []
    for line in process.log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def _write_summary(folder: Path, running: list[RunningProcess]) -> None:
    text = "".join(
        profiles.summary(folder / f"{p.name}.txt")
        for p in running
        if (folder / f"{p.name}.txt").exists()
    )
    (folder / "summary.txt").write_text(text)
    print(f"  profiles: {folder}/*.txt, what dominates them: {folder}/summary.txt", flush=True)


if __name__ == "__main__":
    main()
