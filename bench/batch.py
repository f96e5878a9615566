"""Batch payouts: items/s accepted through 1 000-item batches beside single creates in the same
run, and how soon a committed batch's items are with the provider.

On MariaDB (a throwaway database per part, ACCOUNTS users) and a private Redis per part:

1. Accepting. One `payout-service web` process with the outbox fast path on, as deployed. Each
   round, on that process: single creates (POST /api/payouts, wrk, unique keys and references)
   at --concurrency for --seconds; then --batches batches of --items items (POST
   /api/payout-batches, mode all_or_nothing, each batch its own user and Idempotency-Key), sent
   back to back by --batch-clients clients (2: one batch's transaction overlaps the next one's
   HTTP and JSON work, as the single creates overlap theirs; 1 measures a lone client). Figure:
   batch items/s (the items of the 201s over the time from the first POST to the last 201)
   beside single creates/s; target: 10 times as many. Medians over --rounds; the p50 of a
   batch's POST (one transaction, plus HTTP and JSON, with the other clients' in flight) beside.
2. Sending. web, relay, one provider-send worker process as the Procfile starts it (its threads,
   the sends it makes at once, are PROVIDER_SEND_CONCURRENCY: --send-concurrency) and the mock
   provider in success mode sending no webhooks, so an accepted item stays `processing`; after a
   small warm-up batch, one batch of --items items. Measured from its 201 until its last item is
   `processing` (none pending: the worker has taken each one) and until the provider has
   accepted every item, polling the database; the send rate is the items over the first. The
   machine's busy CPU time per item sent is printed beside: on a machine the worker, MariaDB and
   the mock share, it tells how far more threads can go.

Figures only; nothing is asserted, every wait is bounded. The default run takes about a minute.

    eval "$(scripts/test-services)" && .venv/bin/python -m bench.batch [--items 5000 ...]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import aiohttp

from bench.harness.api_process import running_api
from bench.harness.bench_database import CURRENCY, ConnectionParams, bench_api_key, bench_database
from bench.harness.figures import Figure, markdown_table
from bench.harness.machine_cpu import machine_busy_time
from bench.harness.service_processes import (
    MOCK_READY,
    RELAY_READY,
    WEB_READY,
    WORKER_READY,
    ProcessType,
    running_processes,
)
from bench.harness.steady_load import percentile
from bench.harness.wrk import WrkResult, ensure_wrk, run_create_payouts
from payout_service.infrastructure.embedded_redis import free_loopback_port, temporary_redis
from payout_service.infrastructure.settings import Settings

TARGET = 10.0  # batch items/s over single creates/s
ACCOUNTS = 100
WARM_UP_ITEMS = 20
POLL_SECONDS = 0.01
SECRET = "whsec_bench_batch"
MEASURED = 1  # the number of the batch whose sending is timed (0: the warm-up's)


@dataclass(frozen=True, slots=True)
class BatchRun:
    items: int  # of the batches answered 201
    seconds: float  # from the first POST to the last answer
    latencies_ms: list[float]
    statuses: dict[int, int]

    @property
    def per_second(self) -> float:
        return self.items / self.seconds


@dataclass(frozen=True, slots=True)
class SendRun:
    items: int
    to_processing_s: float | None  # None: not reached within --send-timeout
    to_accepted_s: float | None
    concurrency: int
    cpu_ms_per_item: float  # the whole machine's busy CPU time over the items, while sending
    counts: dict[str, int]  # GET /api/payout-batches/{id}'s, after the wait


def main(argv: list[str] | None = None) -> list[Figure]:
    args = _parser().parse_args(argv)
    server_url = os.environ.get("BENCH_MYSQL_URL") or os.environ.get("TEST_MYSQL_URL")
    if not server_url:
        raise SystemExit("set BENCH_MYSQL_URL or TEST_MYSQL_URL (scripts/test-services)")
    ensure_wrk()
    print(
        f"batch: {args.batches} batches of {args.items:,} items (all_or_nothing) from"
        f" {args.batch_clients} client(s) vs single creates at concurrency {args.concurrency}"
        f" for {args.seconds:g} s, {args.rounds} round(s), one web process; then one"
        f" {args.items:,}-item batch sent with PROVIDER_SEND_CONCURRENCY {args.send_concurrency}",
        flush=True,
    )
    singles, batches = asyncio.run(_accepting(server_url, args))
    single_rate = statistics.median(run.per_second for run in singles)
    batch_rate = statistics.median(run.per_second for run in batches)
    latencies = [ms for run in batches for ms in run.latencies_ms]
    ratio = batch_rate / single_rate if single_rate else 0.0
    print(
        f"  accepted: batches {batch_rate:,.0f} items/s (POST p50 {percentile(latencies, 50):,.0f}"
        f" ms), single creates {single_rate:,.0f} payouts/s: {ratio:.1f}x,"
        f" {'PASS' if ratio >= TARGET else 'MISS'} (target >= {TARGET:g}x)",
        flush=True,
    )
    sent = asyncio.run(_sending(server_url, args))
    print(f"  sending: {_sending_line(sent)}", flush=True)
    print(f"  GET /api/payout-batches/{{id}} after the wait: counts {sent.counts}", flush=True)
    figures = [
        Figure(
            what=f"payouts accepted through {args.items:,}-item all_or_nothing batches over HTTP"
            f" vs single creates at concurrency {args.concurrency}",
            figure=batch_rate,
            limit=single_rate,
            unit="payouts/s",
            target=TARGET,
            note=f"medians of {args.rounds} round(s), one web process; {args.batches} batches per"
            f" round from {args.batch_clients} client(s), batch POST p50"
            f" {percentile(latencies, 50):,.0f} ms; responses: batches"
            f" {_merged(r.statuses for r in batches)}, singles"
            f" {_merged(r.statuses for r in singles)}. Sending: {_sending_line(sent)}",
        )
    ]
    print()
    print(markdown_table(figures))
    return figures


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.batch",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--items", type=int, default=1000, help="items per batch")
    parser.add_argument("--batches", type=int, default=6, help="batches per round")
    parser.add_argument("--batch-clients", type=int, default=2, help="sending batches at once")
    parser.add_argument("--concurrency", type=int, default=16, help="of the single creates")
    parser.add_argument("--seconds", type=float, default=5.0, help="of single creates per round")
    parser.add_argument("--rounds", type=int, default=2, help="medians reported")
    parser.add_argument(
        "--send-concurrency",
        type=int,
        default=Settings.from_env().provider_send_concurrency,
        help="PROVIDER_SEND_CONCURRENCY of the provider-send worker (its threads)"
        " (default: the environment's, else the service's default)",
    )
    parser.add_argument("--send-timeout", type=float, default=120.0, help="seconds")
    return parser


async def _accepting(
    server_url: str, args: argparse.Namespace
) -> tuple[list[WrkResult], list[BatchRun]]:
    """Rounds alternate single creates and batches on one API, so drift hits both."""
    singles: list[WrkResult] = []
    batches: list[BatchRun] = []
    numbers = itertools.count()  # batch numbers: each its own user, key and references
    async with bench_database(server_url, ACCOUNTS) as database_url:
        with (
            temporary_redis() as private_redis,
            running_api(database_url, private_redis.url) as url,
        ):
            async with aiohttp.ClientSession() as session:
                await _wrk(url, args.concurrency, 1.0)  # the key cache and the pool, warmed
                await _post_batches(session, url, 1, args.items, 1, numbers)
                for _ in range(args.rounds):
                    single = await _wrk(url, args.concurrency, args.seconds)
                    run = await _post_batches(
                        session, url, args.batches, args.items, args.batch_clients, numbers
                    )
                    singles.append(single)
                    batches.append(run)
                    print(
                        f"  round: single creates {single.per_second:,.0f}/s (p50"
                        f" {single.p50_ms:.1f} ms, not 201: {single.not_created}); batches"
                        f" {run.per_second:,.0f} items/s (POST p50"
                        f" {percentile(run.latencies_ms, 50):,.0f} ms, statuses {run.statuses})",
                        flush=True,
                    )
    return singles, batches


async def _wrk(base_url: str, concurrency: int, seconds: float) -> WrkResult:
    run_id = uuid.uuid4().hex[:8]
    return await asyncio.to_thread(
        run_create_payouts, base_url, concurrency, seconds, ACCOUNTS, run_id
    )


async def _post_batches(
    session: aiohttp.ClientSession,
    base_url: str,
    count: int,
    items: int,
    clients: int,
    numbers: Iterator[int],
) -> BatchRun:
    """`count` batches from `clients` clients back to back; bodies are encoded beforehand."""
    requests = [_batch_request(next(numbers), items) for _ in range(count)]
    pending = iter(requests)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    accepted = 0

    async def client() -> None:
        nonlocal accepted
        for headers, body in pending:
            sent = time.perf_counter()
            status, answer = await _post(session, f"{base_url}/api/payout-batches", headers, body)
            latencies.append((time.perf_counter() - sent) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            if status == 201:
                accepted += items
            elif statuses[status] == 1:
                print(f"  a batch was answered {status}: {answer[:300]!r}", flush=True)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return BatchRun(accepted, time.perf_counter() - started, latencies, statuses)


def _user_of(batch_number: int) -> int:
    return 1 + batch_number % ACCOUNTS


def _batch_request(number: int, items: int) -> tuple[dict[str, str], bytes]:
    user = _user_of(number)
    run = f"b{uuid.uuid4().hex[:8]}"
    body = {
        "mode": "all_or_nothing",
        "items": [
            {
                "amount": "1.00",
                "currency": CURRENCY,
                "wallet": f"W-bench-{i}",
                "external_reference": f"{run}-{i}",
            }
            for i in range(items)
        ],
    }
    headers = {
        "Authorization": f"Bearer {bench_api_key(user)}",
        "Content-Type": "application/json",
        "Idempotency-Key": run,
    }
    return headers, json.dumps(body, separators=(",", ":")).encode()


async def _post(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str], body: bytes
) -> tuple[int, str]:
    async with session.post(url, data=body, headers=headers) as response:
        return response.status, await response.text()


async def _sending(server_url: str, args: argparse.Namespace) -> SendRun:
    """Every process a batch's send needs; one warm-up batch, then the measured one."""
    concurrency = args.send_concurrency
    web_port, mock_port = free_loopback_port(), free_loopback_port()
    processes = (
        ProcessType("provider-mock", ("provider-mock",), MOCK_READY, mock_port),
        ProcessType(
            "provider-send",
            ("worker", "provider-send", "--processes", "1"),  # threads: PROVIDER_SEND_CONCURRENCY
            WORKER_READY,
        ),
        ProcessType("relay", ("relay",), RELAY_READY),
        ProcessType("web", ("web",), WEB_READY, web_port),
    )
    base_url = f"http://127.0.0.1:{web_port}"
    async with bench_database(server_url, ACCOUNTS) as database_url:
        with temporary_redis() as private_redis:
            env = {
                "DATABASE_URL": database_url,
                "REDIS_URL": private_redis.url,
                "PROVIDER_WEBHOOK_SECRETS": SECRET,
                "PROVIDER_BASE_URL": f"http://127.0.0.1:{mock_port}",
                "PROVIDER_SEND_CONCURRENCY": str(concurrency),
                "MOCK_PROVIDER_MODE": "success",
                "MOCK_PROVIDER_SUCCESS_PERCENT": "100",
                "MOCK_PROVIDER_WEBHOOK_URL": "",
            }
            async with (
                running_processes(processes, env),
                aiohttp.ClientSession() as session,
            ):
                warm_up = await _one_batch(session, base_url, 0, WARM_UP_ITEMS)
                await _until_sent(database_url, warm_up, WARM_UP_ITEMS, args.send_timeout)
                batch_id = await _one_batch(session, base_url, MEASURED, args.items)
                committed = time.perf_counter()
                with machine_busy_time() as cpu:
                    processing, accepted = await _until_sent(
                        database_url, batch_id, args.items, args.send_timeout
                    )
                counts = await _counts(session, base_url, batch_id, MEASURED)
    return SendRun(
        args.items,
        processing - committed if processing else None,
        accepted - committed if accepted else None,
        concurrency,
        cpu.seconds * 1000 / args.items,
        counts,
    )


async def _one_batch(session: aiohttp.ClientSession, base_url: str, number: int, items: int) -> str:
    """Its id, once it is answered 201 (the commit happened just before)."""
    headers, body = _batch_request(number, items)
    status, answer = await _post(session, f"{base_url}/api/payout-batches", headers, body)
    if status != 201:
        raise RuntimeError(f"the batch was answered {status}: {answer[:500]}")
    return str(json.loads(answer)["id"])


async def _counts(
    session: aiohttp.ClientSession, base_url: str, batch_id: str, number: int
) -> dict[str, int]:
    headers = {"Authorization": f"Bearer {bench_api_key(_user_of(number))}"}
    async with session.get(f"{base_url}/api/payout-batches/{batch_id}", headers=headers) as r:
        answer = await r.text()
        return dict(json.loads(answer)["counts"]) if r.status == 200 else {f"HTTP {r.status}": 1}


async def _until_sent(
    database_url: str, batch_id: str, items: int, timeout: float
) -> tuple[float | None, float | None]:
    """Polls (bounded) the batch's items: the perf_counter moments when none was pending any
    more, and when the provider had accepted all of them (None: not within `timeout`)."""
    connection = await ConnectionParams.from_url(database_url).connect()
    deadline = time.perf_counter() + timeout
    processing: float | None = None
    try:
        async with connection.cursor() as cursor:
            while time.perf_counter() < deadline:
                await cursor.execute(
                    "SELECT COALESCE(SUM(status = 'pending'), 0),"
                    " COALESCE(SUM(provider_payout_id IS NOT NULL), 0), COUNT(*)"
                    " FROM payouts WHERE batch_id = %s",
                    [batch_id],
                )
                ((pending, accepted, total),) = await cursor.fetchall()
                now = time.perf_counter()
                if processing is None and total == items and pending == 0:
                    processing = now
                if accepted >= items:
                    return processing, now
                await asyncio.sleep(POLL_SECONDS)
    finally:
        connection.close()
    return processing, None


def _sending_line(sent: SendRun) -> str:
    def seconds(value: float | None) -> str:
        return f"{value:.2f} s" if value is not None else "not reached"

    rate = f"{sent.items / sent.to_processing_s:,.0f}" if sent.to_processing_s else "-"
    return (
        f"{sent.items:,}-item batch, 201 -> last item processing {seconds(sent.to_processing_s)}"
        f" ({rate} items/s), -> last accepted by the provider {seconds(sent.to_accepted_s)};"
        f" PROVIDER_SEND_CONCURRENCY {sent.concurrency} (1 provider-send process,"
        f" {sent.concurrency} threads), mock provider in success mode;"
        f" {sent.cpu_ms_per_item:.1f} ms of the machine's CPU per item"
        f" ({os.cpu_count()} cores, every process)"
    )


def _merged(runs: Iterable[dict[int, int]]) -> dict[int, int]:
    merged: dict[int, int] = {}
    for statuses in runs:
        for status, count in statuses.items():
            merged[status] = merged.get(status, 0) + count
    return merged


if __name__ == "__main__":
    main()
