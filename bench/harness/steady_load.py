"""A steady create load through the real API, and the percentiles the latency benches report."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid

import aiohttp

from bench.harness.bench_database import CURRENCY, bench_api_key


async def steady_load(
    session: aiohttp.ClientSession, base_url: str, rate: float, seconds: float, users: int
) -> int:
    """POSTs payouts at `rate` per second for `seconds` (each on its own schedule, not waiting
    for the previous answer), spread over bench users 1..`users`; returns how many were created
    (201)."""
    total = int(rate * seconds)
    start = time.perf_counter()

    async def one(n: int) -> bool:
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        user = 1 + n % users
        body = {
            "user_id": user,
            "amount": "1.00",
            "currency": CURRENCY,
            "wallet": "W1",
            "external_reference": uuid.uuid4().hex,
        }
        headers = {
            "Authorization": f"Bearer {bench_api_key(user)}",
            "Idempotency-Key": uuid.uuid4().hex,
        }
        async with session.post(f"{base_url}/api/payouts", json=body, headers=headers) as r:
            await r.read()
            return r.status == 201

    return sum(await asyncio.gather(*(one(n) for n in range(total))))


def percentile(values: list[float], percent: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]
