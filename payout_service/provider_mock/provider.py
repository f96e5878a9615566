"""MockProvider: the stand-in provider's payouts, its modes, and each payout's life.

A mode says how the provider answers a `POST /provider/payouts`:
- success: accepts (202), or replays its first answer for a known Idempotency-Key;
- rate_limit: 429 with Retry-After;
- server_error: 503;
- timeout: accepts, then keeps the request waiting for `stall` (past the client's timeout), so
  the client never learns the answer; a retry under the same key gets the same payout;
- permanent_error: 400, a new payout refused (a known key still gets its first answer);
- random: one of the above per request, mostly success.
An accepted payout moves accepted -> processing -> success or failed, `step_delay` apart, the
outcome drawn by `success_percent`; each change is announced with a webhook (webhooks.py).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from payout_service.infrastructure.settings import Settings, SettingsError


class MockMode(StrEnum):
    SUCCESS = "success"
    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    PERMANENT_ERROR = "permanent_error"
    RANDOM = "random"


# What `random` picks from, and how often (percent).
RANDOM_MIX = {
    MockMode.SUCCESS: 70,
    MockMode.RATE_LIMIT: 10,
    MockMode.SERVER_ERROR: 10,
    MockMode.TIMEOUT: 5,
    MockMode.PERMANENT_ERROR: 5,
}


@dataclass(frozen=True)
class MockConfig:
    """mode: the default answer (see the module docstring).
    webhook_url: where webhooks go; empty: none are sent.
    webhook_secrets: the first one signs (several are the receiver's business).
    success_percent: the share of accepted payouts that end in success (0-100).
    step_delay: seconds between a payout's statuses.
    stall: seconds the timeout mode keeps a request waiting.
    retry_after: seconds the rate_limit mode asks the client to wait."""

    mode: MockMode = MockMode.SUCCESS
    webhook_url: str = ""
    webhook_secrets: tuple[str, ...] = ()
    success_percent: int = 90
    step_delay: float = 1.0
    stall: float = 15.0
    retry_after: int = 1

    @classmethod
    def from_settings(cls, settings: Settings) -> MockConfig:
        if settings.mock_provider_mode not in set(MockMode):
            raise SettingsError(
                f"MOCK_PROVIDER_MODE must be one of {', '.join(MockMode)},"
                f" not {settings.mock_provider_mode!r}"
            )
        return cls(
            mode=MockMode(settings.mock_provider_mode),
            webhook_url=settings.mock_provider_webhook_url,
            webhook_secrets=settings.webhook_secrets,
            success_percent=settings.mock_provider_success_percent,
            step_delay=settings.mock_provider_step_delay_ms / 1000,
            stall=settings.mock_provider_stall_ms / 1000,
        )


@dataclass
class MockPayout:
    provider_payout_id: str
    idempotency_key: str
    request: dict[str, Any]  # the accepted body: external_reference, amount, currency, wallet
    status: str
    created_at: datetime
    updated_at: datetime

    def view(self) -> dict[str, Any]:
        return {
            "provider_payout_id": self.provider_payout_id,
            **self.request,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


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
    _script: deque[MockMode] = field(default_factory=deque)
    _lives: set[asyncio.Task[None]] = field(default_factory=set)

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
            mode = self.rng.choices(list(RANDOM_MIX), weights=list(RANDOM_MIX.values()))[0]
        self.received.append(ReceivedRequest(idempotency_key, mode))
        return mode

    def payout_for_key(self, idempotency_key: str) -> MockPayout | None:
        return self._by_key.get(idempotency_key)

    def accept(self, idempotency_key: str, request: dict[str, Any]) -> MockPayout:
        """A new payout under a key not seen before; its life starts now."""
        now = datetime.now(UTC)
        payout = MockPayout(
            f"prv_{uuid.uuid4().hex}", idempotency_key, request, "accepted", now, now
        )
        self.payouts[payout.provider_payout_id] = payout
        self._by_key[idempotency_key] = payout
        life = asyncio.create_task(self._live(payout))
        self._lives.add(life)
        life.add_done_callback(self._lives.discard)
        return payout

    def requests_for(self, idempotency_key: str) -> list[ReceivedRequest]:
        return [r for r in self.received if r.idempotency_key == idempotency_key]

    async def stop(self) -> None:
        for life in list(self._lives):
            life.cancel()
        await asyncio.gather(*self._lives, return_exceptions=True)

    async def _live(self, payout: MockPayout) -> None:
        await asyncio.sleep(self.config.step_delay)
        self._move(payout, "processing")
        await asyncio.sleep(self.config.step_delay)
        succeeded = self.rng.uniform(0, 100) < self.config.success_percent
        self._move(payout, "success" if succeeded else "failed")

    def _move(self, payout: MockPayout, status: str) -> None:
        payout.status = status
        payout.updated_at = datetime.now(UTC)
        for listener in self.on_status:
            listener(payout)
