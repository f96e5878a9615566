"""Concurrent calls gathered into groups that one piece of work serves together.

A call joins the group now forming and waits for its answer. One group runs at a time; the
calls that arrive while it runs form the next one, so a lone call starts at once and a busy
moment makes the groups larger (up to `max_size`), not the waits longer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger("payout_service.call_groups")

Call = TypeVar("Call")
Answer = TypeVar("Answer")


class CallGroups(Generic[Call, Answer]):
    """`serve(calls)` answers each call of a group, in order; None, or a failure of `serve`,
    answers None to every call of the group: each caller then does its work alone."""

    def __init__(
        self, serve: Callable[[list[Call]], Awaitable[Sequence[Answer | None]]], max_size: int
    ) -> None:
        self._serve = serve
        self._max_size = max_size
        self._waiting: list[tuple[Call, asyncio.Future[Answer | None]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def call(self, call: Call) -> Answer | None:
        answer: asyncio.Future[Answer | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((call, answer))
        if self._runner is None:
            self._runner = asyncio.create_task(self._run())
        # A caller that stops waiting (its request cancelled) leaves its call in the group: the
        # work is done as if the answer had been lost on the way back.
        return await asyncio.shield(answer)

    async def _run(self) -> None:
        group: list[tuple[Call, asyncio.Future[Answer | None]]] = []
        try:
            while self._waiting:
                group = self._waiting[: self._max_size]
                self._waiting = self._waiting[self._max_size :]
                try:
                    answers = await self._serve([call for call, _ in group])
                except Exception:
                    log.exception("a group's work failed; its calls are done one by one")
                    answers = [None] * len(group)
                for (_, future), answer in zip(group, answers, strict=True):
                    future.set_result(answer)
                group = []
        finally:
            # Cancelled (the process stops): every call still waiting does its work alone.
            for _, future in group + self._waiting:
                if not future.done():
                    future.set_result(None)
            self._waiting = []
            self._runner = None
