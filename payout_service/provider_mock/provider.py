"""MockProvider: the stand-in provider's payouts, the mode of each request, and each payout's
life.

A payout the provider takes moves accepted -> processing -> success or failed, `step_delay`
apart, the outcome drawn by `success_percent`; a failure carries a failure code drawn from
PROVIDER_CODES. At its success a payout is drawn, by `return_percent`, to come back: if so, it
moves to returned `return_delay` later, with a failure code drawn likewise. Each change is
announced to the `on_status` listeners (the webhook sender, webhooks.py). The provider holds one
payout per idempotency key and one per reference. With a `db_path` they live in a SQLite file
(store.py) as well, the return's draw with them: a new provider on the same file knows them all,
and `start()` resumes the lives of those not final, a success still to come back among them.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from payout_service.domain.failure_codes import PROVIDER_CODES
from payout_service.provider_mock.config import MockConfig
from payout_service.provider_mock.modes import MockMode, draw_mode
from payout_service.provider_mock.payouts import (
    ACCEPTED,
    FAILED,
    PROCESSING,
    RETURNED,
    SUCCESS,
    MockPayout,
)
from payout_service.provider_mock.store import SqlitePayoutStore

__all__ = ["MockConfig", "MockMode", "MockPayout", "MockProvider", "ReceivedRequest"]


@dataclass(frozen=True)
class ReceivedRequest:
    idempotency_key: str | None
    mode: MockMode


StatusListener = Callable[[MockPayout], None]


@dataclass
class MockProvider:
    config: MockConfig
    rng: random.Random = field(default_factory=random.Random)
    payouts: dict[str, MockPayout] = field(default_factory=dict)  # by provider_payout_id
    received: deque[ReceivedRequest] = field(default_factory=lambda: deque(maxlen=10_000))
    on_status: list[StatusListener] = field(default_factory=list)
    _by_key: dict[str, MockPayout] = field(default_factory=dict)
    _by_reference: dict[str, MockPayout] = field(default_factory=dict)
    _script: deque[MockMode] = field(default_factory=deque)
    _lives: set[asyncio.Task[None]] = field(default_factory=set)
    _store: SqlitePayoutStore | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.config.db_path:
            self._store = SqlitePayoutStore(self.config.db_path)
            for payout in self._store.load():
                self._hold(payout)

    def start(self) -> None:
        """Resumes the life of every payout not final yet (those loaded from the store)."""
        for payout in self.payouts.values():
            if not payout.is_final:
                self._begin_life(payout)

    def script(self, *modes: MockMode) -> None:
        """The next POSTs are answered in these modes, one each, before the default applies."""
        self._script.extend(modes)

    def mode_for(self, override: str | None, idempotency_key: str | None) -> MockMode:
        """The mode of one request: the X-Mock-Mode override, the script, else the default."""
        if override:
            mode = MockMode(override)
        elif self._script:
            mode = self._script.popleft()
        else:
            mode = self.config.mode
        if mode is MockMode.RANDOM:
            mode = draw_mode(self.rng)
        self.received.append(ReceivedRequest(idempotency_key, mode))
        return mode

    def payout_for_key(self, idempotency_key: str) -> MockPayout | None:
        return self._by_key.get(idempotency_key)

    def payout_for_reference(self, reference: str) -> MockPayout | None:
        return self._by_reference.get(reference)

    def accept(self, idempotency_key: str, request: dict[str, Any]) -> MockPayout:
        """A new payout, under a key and a reference no payout holds (the caller has looked);
        saved before this returns, and its life starts now."""
        now = datetime.now(UTC)
        payout = MockPayout(f"prv_{uuid.uuid4().hex}", idempotency_key, request, ACCEPTED, now, now)
        if self._store is not None:
            self._store.save(payout)
        self._hold(payout)
        self._begin_life(payout)
        return payout

    def requests_for(self, idempotency_key: str) -> list[ReceivedRequest]:
        return [r for r in self.received if r.idempotency_key == idempotency_key]

    async def stop(self) -> None:
        for life in list(self._lives):
            life.cancel()
        await asyncio.gather(*self._lives, return_exceptions=True)
        if self._store is not None:
            self._store.close()

    def _hold(self, payout: MockPayout) -> None:
        self.payouts[payout.provider_payout_id] = payout
        self._by_key[payout.idempotency_key] = payout
        self._by_reference[payout.reference] = payout

    def _begin_life(self, payout: MockPayout) -> None:
        life = asyncio.create_task(self._live(payout))
        self._lives.add(life)
        life.add_done_callback(self._lives.discard)

    async def _live(self, payout: MockPayout) -> None:
        if payout.status == ACCEPTED:
            await asyncio.sleep(self.config.step_delay)
            self._move(payout, PROCESSING)
        if payout.status == PROCESSING:
            await asyncio.sleep(self.config.step_delay)
            self._finish(payout)
        if payout.status == SUCCESS and payout.returns_at is not None:
            # Measured from the saved moment, so a restart does not push the return back.
            await asyncio.sleep((payout.returns_at - datetime.now(UTC)).total_seconds())
            self._move(payout, RETURNED, self._failure_code())

    def _finish(self, payout: MockPayout) -> None:
        if not self._happens(self.config.success_percent):
            self._move(payout, FAILED, self._failure_code())
            return
        # Drawn once, here, and saved with the success: a restart neither loses nor invents it.
        if self._happens(self.config.return_percent):
            payout.returns_at = datetime.now(UTC) + timedelta(seconds=self.config.return_delay)
        self._move(payout, SUCCESS)

    def _move(self, payout: MockPayout, status: str, failure_code: str | None = None) -> None:
        payout.status = status
        payout.failure_code = failure_code
        payout.updated_at = datetime.now(UTC)
        if self._store is not None:
            self._store.save(payout)
        for listener in self.on_status:
            listener(payout)

    def _happens(self, percent: int) -> bool:
        return self.rng.uniform(0, 100) < percent

    def _failure_code(self) -> str:
        return str(self.rng.choice(PROVIDER_CODES))
