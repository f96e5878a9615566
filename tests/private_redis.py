"""A Redis of the test's own, which it may stop and start again on the same port (the shared
test Redis of scripts/test-services is never stopped): the project's EmbeddedRedis, driven from
the test's event loop."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from payout_service.infrastructure.embedded_redis import EmbeddedRedis


class PrivateRedis:
    """Files in `folder`; `durable`: an append-only file fsynced on every write, so a stop and a
    start lose nothing acknowledged (see EmbeddedRedis). Skips the test without redis-server."""

    def __init__(self, folder: Path, durable: bool = False) -> None:
        self._server = EmbeddedRedis(folder, durable)
        self.url = self._server.url
        self.restarts = 0

    async def start(self) -> None:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed")
        await asyncio.to_thread(self._server.start)

    async def stop(self) -> None:
        await asyncio.to_thread(self._server.stop)

    async def restart(self) -> None:
        await self.stop()
        await self.start()
        self.restarts += 1
