"""POST /api/payouts through the real API on MariaDB, beside the raw limit of its transaction.

For each scenario, in a fresh database: start `payout-service web`, drive it with wrk at the
given concurrency (unique Idempotency-Key and external_reference per request), then run the
service's own create-payout statements through plain asyncmy at the same concurrency against the
same server and schema (bench.harness.raw_create_payout). Prints both and their ratio beside the
target: the API should reach 60 % of the raw limit. Figures only; nothing is asserted.

    eval "$(scripts/test-services)" && .venv/bin/python -m bench.create_payout
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import uuid
from dataclasses import dataclass

from bench.harness.api_process import running_api
from bench.harness.bench_database import bench_database
from bench.harness.figures import Figure, markdown_table
from bench.harness.private_redis import private_redis
from bench.harness.raw_create_payout import measure_raw
from bench.harness.transaction_shape import TransactionMismatch, check_raw_matches_service
from bench.harness.wrk import WrkResult, ensure_wrk, run_create_payouts

TARGET = 0.60


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    accounts: int  # one user per account; payouts cycle over them


SCENARIOS = (
    Scenario("payouts spread over 1000 accounts", 1000),
    Scenario("every payout on 1 hot account", 1),
)


def main(argv: list[str] | None = None) -> list[Figure]:
    args = _parser().parse_args(argv)
    server_url = _required_env("BENCH_MYSQL_URL", "TEST_MYSQL_URL")
    ensure_wrk()
    try:
        statements = asyncio.run(check_raw_matches_service())
    except TransactionMismatch as exc:
        sys.exit(f"error: {exc}")
    print(
        f"create payout: concurrency {args.concurrency}, {args.seconds:g} s per run after "
        f"{args.warmup:g} s warm-up, {args.rounds} round(s), API with {args.workers} "
        f"web process(es), MySQL server {server_url.rpartition('@')[2].rpartition('/')[0]}",
        f"\n  raw transaction = CreatePayout's: BEGIN, {len(statements) - 2} statements, COMMIT",
        flush=True,
    )
    with private_redis() as redis_url:
        figures = [
            asyncio.run(_measure(scenario, server_url, redis_url, args)) for scenario in SCENARIOS
        ]
    print()
    print(markdown_table(figures))
    return figures


async def _measure(
    scenario: Scenario, server_url: str, redis_url: str, args: argparse.Namespace
) -> Figure:
    """Alternates API and raw runs so drift on a shared machine hits both; reports medians."""
    api_runs: list[WrkResult] = []
    raw_runs: list[float] = []
    async with bench_database(server_url, scenario.accounts) as database_url:
        with running_api(database_url, redis_url, args.workers) as base_url:
            # Warm-up fills the API-key cache and the connection pool; its payouts don't count.
            await _wrk(base_url, args.concurrency, args.warmup, scenario.accounts)
            for _ in range(args.rounds):
                api = await _wrk(base_url, args.concurrency, args.seconds, scenario.accounts)
                raw = await measure_raw(
                    database_url, scenario.accounts, args.concurrency, args.seconds, args.warmup
                )
                api_runs.append(api)
                raw_runs.append(raw.per_second)
                print(
                    f"  {scenario.name}: API {api.per_second:,.0f} req/s (p50 {api.p50_ms:.1f} ms,"
                    f" p99 {api.p99_ms:.1f} ms, not 201: {api.not_created}),"
                    f" raw {raw.per_second:,.0f} tx/s",
                    flush=True,
                )
    not_created = sum(run.not_created for run in api_runs)
    statuses = _merged_statuses(api_runs)
    return Figure(
        what=f"create payout, {scenario.name}, concurrency {args.concurrency} (API vs raw)",
        figure=statistics.median(run.per_second for run in api_runs),
        limit=statistics.median(raw_runs),
        unit="/s",
        target=TARGET,
        note=(
            f"{args.workers} web process(es); median of {args.rounds};"
            f" responses {statuses}; not 201: {not_created}"
        ),
    )


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
    parser = argparse.ArgumentParser(prog="python -m bench.create_payout", description=__doc__)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measured run")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=1, help="API/raw pairs; medians reported")
    parser.add_argument(
        "--workers", type=int, default=1, help="web processes of the API (WEB_CONCURRENCY)"
    )
    return parser


if __name__ == "__main__":
    main()
