"""Can this process do its work: the database answers and Redis answers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis
from tortoise import Tortoise

from payout_service.infrastructure.settings import Settings

TIMEOUT_SECONDS = 2.0


def readiness_checks(settings: Settings) -> Callable[[], Awaitable[dict[str, str]]]:
    async def check() -> dict[str, str]:
        database, redis_state = await asyncio.gather(_database(), _redis(settings.redis_url))
        return {"database": database, "redis": redis_state}

    return check


async def _database() -> str:
    try:
        connection = Tortoise.get_connection("default")
        await asyncio.wait_for(connection.execute_query("SELECT 1"), TIMEOUT_SECONDS)
    except Exception as exc:  # any failure means not ready; the reason is reported
        return f"error: {type(exc).__name__}"
    return "ok"


async def _redis(url: str) -> str:
    if not url:
        return "error: REDIS_URL is not set"
    client = aioredis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS)
    try:
        await asyncio.wait_for(client.ping(), TIMEOUT_SECONDS)
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    finally:
        await client.close()
    return "ok"
