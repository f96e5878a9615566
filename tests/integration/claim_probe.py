"""A claimer in a process of its own, for the claim tests: `python -m
tests.integration.claim_probe OWNER BATCH GO_KEY` waits for the go signal in Redis (BLPOP), then
claims batches with the relay's own claim_rows and marks each claimed row published, until no row
is left. It prints the ids it claimed as one JSON list. DATABASE_URL and REDIS_URL configure it."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta

import redis

from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.database import close_database, open_database
from payout_service.infrastructure.db.dialect import dialect_for_url
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.outbox.claims import ClaimPolicy, claim_rows
from payout_service.infrastructure.settings import Settings

MAX_CLAIMS = 10_000  # a bound; the backlog runs out long before


async def claim_until_empty(owner: str, batch: int, go_key: str) -> list[int]:
    settings = Settings.from_env()
    await open_database(settings)
    uow = SqlUnitOfWorkFactory(dialect_for_url(settings.database_url))
    policy = ClaimPolicy(batch, max_attempts=10, lease=timedelta(seconds=60), owner=owner)
    client = redis.Redis.from_url(settings.redis_url)
    print("ready", flush=True)
    if client.blpop([go_key], timeout=30) is None:
        raise SystemExit("no go signal within 30 s")
    claimed: list[int] = []
    try:
        for _ in range(MAX_CLAIMS):
            async with claim_rows(uow, policy, SystemClock().now()) as (rows, outcome):
                outcome.published.extend(row.id for row in rows)
            if not rows:
                break
            claimed += outcome.published
    finally:
        await close_database()
        client.close()
    return claimed


if __name__ == "__main__":
    owner, batch, go_key = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    print(json.dumps(asyncio.run(claim_until_empty(owner, batch, go_key))), flush=True)
