"""OutboxRelay: moves committed outbox rows to the broker and marks them published.

At-least-once: a row is marked only after its messages are in Redis, so a crash in between
publishes it again later, and the consumers' inbox drops the duplicate.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Sequence

from payout_service.application.ports import Clock
from payout_service.infrastructure.db.outbox import OutboxRow
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.outbox.claims import (
    ClaimPolicy,
    Outcome,
    claim_rows,
    mark_unclaimed,
)

log = logging.getLogger("payout_service.relay")


def relay_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


class OutboxRelay:
    """`publish` sends a batch of rows (blocking, run in a thread) and returns each row's error
    or None; a row that failed stays pending with attempts and last_error, for a later pass."""

    def __init__(
        self,
        uow: SqlUnitOfWorkFactory,
        publish: Callable[[list[OutboxRow]], list[str | None]],
        clock: Clock,
        policy: ClaimPolicy,
        on_published: Callable[[int], None] = lambda n: None,
    ) -> None:
        self._uow = uow
        self._publish = publish
        self._clock = clock
        self._policy = policy
        self._on_published = on_published

    async def publish_pending(self, message_ids: Sequence[str] | None = None) -> int:
        """One pass: claim up to a batch (or just `message_ids`), publish, mark.
        Returns how many rows were published."""
        published, _ = await self._publish_claimed(message_ids)
        return published

    async def publish_named(self, message_ids: Sequence[str]) -> list[str]:
        """publish_pending of `message_ids`; returns those it could not claim: held back by an
        earlier unpublished row of their aggregate, or taken by another claim meanwhile."""
        _, claimed = await self._publish_claimed(message_ids)
        return [m for m in message_ids if m not in claimed]

    async def _publish_claimed(self, message_ids: Sequence[str] | None) -> tuple[int, set[str]]:
        now = self._clock.now()
        async with claim_rows(self._uow, self._policy, now, message_ids) as (rows, outcome):
            if rows:
                self._record(rows, await asyncio.to_thread(self._publish, rows), outcome)
        self._on_published(len(outcome.published))
        return len(outcome.published), {row.message_id for row in rows}

    async def publish_written(self, rows: Sequence[OutboxRow]) -> int:
        """Publishes rows as their transaction wrote them, without claiming them, then marks
        the ones still pending (published, or failed with backoff). Only for rows that open
        their aggregate (nothing of it can be ahead) and are younger than the relay's min age
        (no relay pass takes them): at worst a row goes out twice, which the consumers'
        processed messages allow for. Returns how many rows were published."""
        outcome = Outcome()
        results = await asyncio.to_thread(self._publish, list(rows))
        self._record(list(rows), results, outcome)
        await mark_unclaimed(self._uow, self._policy, list(rows), outcome, self._clock.now())
        self._on_published(len(outcome.published))
        return len(outcome.published)

    @staticmethod
    def _record(rows: list[OutboxRow], results: list[str | None], outcome: Outcome) -> None:
        for row, error in zip(rows, results, strict=True):
            if error is None:
                outcome.published.append(row.id)
            else:
                outcome.failed[row.id] = error
                log.warning("publish failed", extra={"outbox_id": row.id, "error": error})

    async def run(self, stop: asyncio.Event, poll_interval: float, wake: asyncio.Event) -> None:
        """Polls until `stop` is set, finishing the pass in hand first. A pass that published
        anything may have left a backlog (a full batch, or later events of an aggregate that
        waited for its earlier one), so the next pass starts at once; only a pass that found
        nothing to publish waits for the poll interval. Setting `wake` cuts the wait short."""
        while not stop.is_set():
            try:
                published = await self.publish_pending()
            except Exception:
                log.exception("relay pass failed; retrying after the poll interval")
                published = 0
            if published:
                continue
            wake.clear()
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
            await asyncio.wait(waiters, timeout=poll_interval, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
