"""POST /api/payouts through the real API on MariaDB, beside the raw limit of its transaction.

For each scenario (payouts spread over 1000 accounts; all on one hot account), in a fresh
database: start `payout-service web` (one process) twice, as deployed with REDIS_URL (a private
redis-server; the web process then also publishes each committed outbox row at once, the
"fast path") and without it (publishing left to the relay process), and once more as a tier of
two processes (WEB_CONCURRENCY=2) with the fast path; drive each with wrk at the given concurrency
(unique Idempotency-Key and external_reference per request); then run the service's own
create-payout statements through plain asyncmy at the same concurrency against the same server
and schema (bench.harness.raw_create_payout). Prints the figures and their ratio beside the
target: one web process should reach 60 % of the raw limit; the two-process figure shows what a
second process adds (its note: the ratio to one process's). Figures only; nothing is asserted.

    eval "$(scripts/test-services)" && .venv/bin/python -m bench.create_payout [spread|hot]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from dataclasses import dataclass

import uvloop

from bench.harness.api_process import running_api
from bench.harness.bench_database import bench_database, pending_outbox_rows
from bench.harness.figures import Figure, markdown_table
from bench.harness.raw_create_payout import measure_raw
from bench.harness.transaction_shape import TransactionMismatch, check_raw_matches_service
from bench.harness.wrk import WrkResult, ensure_wrk, run_create_payouts
from payout_service.infrastructure.embedded_redis import temporary_redis

TARGET = 0.60
DRAIN_SECONDS = 60
ON = "(outbox fast path on)"
OFF = "(fast path off: REDIS_URL unset)"
TWO = "(fast path on, 2 web processes: WEB_CONCURRENCY=2)"


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    accounts: int  # one user per account; payouts cycle over them


SCENARIOS = {
    "spread": Scenario("payouts spread over 1000 accounts", 1000),
    "hot": Scenario("every payout on 1 hot account", 1),
}


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = _parser()
    args = parser.parse_args(argv)
    if unknown := set(args.scenarios) - set(SCENARIOS):
        parser.error(f"unknown scenario(s) {sorted(unknown)}; choose from {sorted(SCENARIOS)}")
    server_url = _required_env("BENCH_MYSQL_URL", "TEST_MYSQL_URL")
    ensure_wrk()
    try:
        statements = asyncio.run(check_raw_matches_service())
    except TransactionMismatch as exc:
        sys.exit(f"error: {exc}")
    print(
        f"create payout: concurrency {args.concurrency}, {args.seconds:g} s per run after"
        f" {args.warmup:g} s warm-up, {args.rounds} round(s), one web process and two,"
        f" MySQL server {server_url.rpartition('@')[2].rpartition('/')[0]}"
        f"\n  raw transaction = CreatePayout's: {len(statements) - 1} statements, COMMIT",
        flush=True,
    )
    figures: list[Figure] = []
    with temporary_redis() as private_redis:
        for name in args.scenarios or SCENARIOS:
            # uvloop, as the web process runs: the raw client gets the same event loop.
            figures += uvloop.run(_measure(SCENARIOS[name], server_url, private_redis.url, args))
    print()
    print(markdown_table(figures))
    return figures


async def _measure(
    scenario: Scenario, server_url: str, redis_url: str, args: argparse.Namespace
) -> list[Figure]:
    """Three APIs on one fresh database: as deployed (REDIS_URL set, so the web process also
    publishes each committed outbox row at once: the fast path), without Redis (the separate
    relay would publish), and as deployed with two web processes. Rounds alternate them with
    the raw run, so drift on a shared machine hits all four; medians are reported."""
    runs: dict[str, list[WrkResult]] = {ON: [], OFF: [], TWO: []}
    raw_runs: list[float] = []
    async with bench_database(server_url, scenario.accounts) as database_url:
        with (
            running_api(database_url, redis_url) as on_url,
            running_api(database_url, redis_url="") as off_url,
            running_api(database_url, redis_url, web_concurrency=2) as two_url,
        ):
            apis = {ON: on_url, OFF: off_url, TWO: two_url}
            for base_url in apis.values():  # fills the API-key cache and the connection pool
                await _wrk(base_url, args.concurrency, args.warmup, scenario.accounts)
            for _ in range(args.rounds):
                line = f"  {scenario.name}:"
                for variant, base_url in apis.items():
                    api = await _wrk(base_url, args.concurrency, args.seconds, scenario.accounts)
                    runs[variant].append(api)
                    line += (
                        f" API {variant} {api.per_second:,.0f} req/s (p50 {api.p50_ms:.1f} ms,"
                        f" p99 {api.p99_ms:.1f} ms, not 201: {api.not_created}),"
                    )
                    if variant != OFF:  # its backlog, still publishing, would slow the next run
                        await _until_published(database_url, api.run_id)
                raw = await measure_raw(
                    database_url, scenario.accounts, args.concurrency, args.seconds, args.warmup
                )
                raw_runs.append(raw.per_second)
                print(f"{line} raw {raw.per_second:,.0f} tx/s", flush=True)
    limit = statistics.median(raw_runs)
    medians = {v: statistics.median(run.per_second for run in rs) for v, rs in runs.items()}
    return [
        Figure(
            what=f"create payout, {scenario.name}, concurrency {args.concurrency}, API {variant}",
            figure=medians[variant],
            limit=limit,
            unit="/s",
            target=TARGET,
            note=(
                f"median of {args.rounds}; responses {_merged_statuses(variant_runs)};"
                f" not 201: {sum(run.not_created for run in variant_runs)}"
                + (_beside_one_process(medians[TWO], medians[ON]) if variant == TWO else "")
            ),
        )
        for variant, variant_runs in runs.items()
    ]


def _beside_one_process(two: float, one: float) -> str:
    ratio = f"{two / one:.2f}x" if one else "n/a"
    return f"; {ratio} one process's {one:,.0f}/s (the 60 % target is one process's)"


async def _until_published(database_url: str, run_id: str) -> None:
    """Waits (up to DRAIN_SECONDS) until every outbox row of the run's payouts is published."""
    deadline = time.monotonic() + DRAIN_SECONDS
    while left := await pending_outbox_rows(database_url, run_id):
        if time.monotonic() > deadline:
            print(f"  ({left} outbox rows still unpublished after {DRAIN_SECONDS} s)", flush=True)
            return
        await asyncio.sleep(0.2)


async def _wrk(base_url: str, concurrency: int, seconds: float, accounts: int) -> WrkResult:
    run_id = uuid.uuid4().hex[:8]
    return await asyncio.to_thread(
        run_create_payouts, base_url, concurrency, seconds, accounts, run_id
    )


def _merged_statuses(runs: list[WrkResult]) -> dict[int, int]:
    merged: dict[int, int] = {}
    for run in runs:
        for status, count in run.statuses.items():
            merged[status] = merged.get(status, 0) + count
    return merged


def _required_env(*names: str) -> str:
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    sys.exit(
        f"error: set {' or '.join(names)} to a MySQL/MariaDB server URL"
        ' (`eval "$(scripts/test-services)"` starts one and exports it)'
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.create_payout",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help="spread (1000 accounts), hot (1 account); default: both",
    )
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each measured run")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3, help="API/raw rounds; medians reported")
    return parser


if __name__ == "__main__":
    main()
