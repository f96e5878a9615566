"""The web process's fast path: publish a transaction's outbox rows right after it commits.

Committing never waits for Redis: the ids are queued and one background task publishes them in
batches. If this process dies first, the relay publishes the rows on its next pass.
"""

from __future__ import annotations

import asyncio
import logging

from payout_service.infrastructure.outbox.relay import OutboxRelay

log = logging.getLogger("payout_service.outbox.fast_path")


class OutboxFastPath:
    def __init__(self, relay: OutboxRelay, max_batch: int) -> None:
        self._relay = relay
        self._max_batch = max_batch
        self._pending: list[str] = []
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def committed(self, message_ids: list[str]) -> None:
        self._pending.extend(message_ids)
        self._ready.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Lets the batch in hand finish (cancelling it mid-publish would roll its claim back
        after its messages reached Redis, so they would go out twice), publishes what is
        queued, then stops."""
        self._stopping = True
        self._ready.set()
        if self._task is not None:
            await self._task
        await self._drain()

    async def _run(self) -> None:
        while not self._stopping:
            await self._ready.wait()
            await self._drain()

    async def _drain(self) -> None:
        while self._pending:
            self._ready.clear()
            batch, self._pending = (
                self._pending[: self._max_batch],
                self._pending[self._max_batch :],
            )
            try:
                await self._relay.publish_pending(batch)
            except Exception:
                log.exception("fast-path publish failed; the relay will publish these rows")
        self._ready.clear()
