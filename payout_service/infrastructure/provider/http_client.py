"""AiohttpProviderClient: the ProviderClient port over the provider's HTTP API.

One aiohttp ClientSession per process (its connection pool is the point), opened on first use in
the running event loop and closed with close(). Timeouts come from the settings: connect 2 s and
total 10 s by default. A timeout or a connection broken mid-request is ProviderOutcomeUnknown:
the provider may or may not have taken the payout, and the next attempt, under the same
idempotency key, or a lookup by reference, finds out without paying twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import aiohttp

from payout_service.application.ports import (
    PayoutInstruction,
    ProviderAcceptance,
    ProviderOutcomeUnknown,
    ProviderPayoutState,
    ProviderTemporaryError,
)
from payout_service.infrastructure.provider.classification import (
    classify_lookup,
    classify_send,
    classify_status,
)
from payout_service.infrastructure.settings import Settings

IDEMPOTENCY_HEADER = "Idempotency-Key"


class AiohttpProviderClient:
    """base_url: where the provider's API lives, e.g. http://127.0.0.1:8900.
    timeout: aiohttp's ClientTimeout; `connect` bounds getting a connection, `total` the whole
    request including reading the answer."""

    def __init__(self, base_url: str, timeout: aiohttp.ClientTimeout) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> AiohttpProviderClient:
        timeout = aiohttp.ClientTimeout(
            total=settings.provider_total_timeout_ms / 1000,
            connect=settings.provider_connect_timeout_ms / 1000,
        )
        return cls(settings.provider_base_url, timeout)

    async def send_payout(self, instruction: PayoutInstruction) -> ProviderAcceptance:
        body = {
            "reference": instruction.reference,
            "amount": instruction.amount,
            "currency": instruction.currency,
            "wallet": instruction.wallet,
            "metadata": instruction.metadata,
        }
        headers = {IDEMPOTENCY_HEADER: instruction.idempotency_key}
        answer = await self._call("POST", "/provider/payouts", json=body, headers=headers)
        return classify_send(*answer, datetime.now(UTC))

    async def get_payout(self, provider_payout_id: str) -> ProviderPayoutState:
        answer = await self._call("GET", f"/provider/payouts/{quote(provider_payout_id, safe='')}")
        return classify_status(*answer, datetime.now(UTC))

    async def find_payout(self, reference: str) -> ProviderPayoutState | None:
        answer = await self._call("GET", "/provider/payouts", params={"reference": reference})
        return classify_lookup(*answer, datetime.now(UTC))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(self, method: str, path: str, **kwargs: Any) -> tuple[int, str | None, bytes]:
        """(status, Retry-After, body). No answer is a ProviderTemporaryError: `unreachable` when
        no connection was made (nothing was sent), else ProviderOutcomeUnknown."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.request(method, self._base_url + path, **kwargs) as response:
                return response.status, response.headers.get("Retry-After"), await response.read()
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise ProviderTemporaryError("unreachable", _describe(exc)) from exc
        except TimeoutError as exc:
            raise ProviderOutcomeUnknown("timeout", "the provider did not answer in time") from exc
        except aiohttp.ClientError as exc:
            raise ProviderOutcomeUnknown("connection_error", _describe(exc)) from exc


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"
