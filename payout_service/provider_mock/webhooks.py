"""The mock provider's webhooks: each status change of a payout, signed and delivered until the
service answers 2xx.

Body: `{event_id, provider_payout_id, external_reference, status, occurred_at}`, signed over its
raw bytes in the X-Provider-Signature scheme (infrastructure.webhook_signature) with the first
secret, freshly at every delivery try so the timestamp stays within the receiver's tolerance.
Tries back off from 0.5 s, doubling, to at most 30 s between them, for as long as the mock runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid

import aiohttp

from payout_service.infrastructure.webhook_signature import SIGNATURE_HEADER, signature_header
from payout_service.provider_mock.provider import MockPayout, MockProvider

log = logging.getLogger("payout_service.provider_mock")

FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0


def webhook_body(payout: MockPayout) -> bytes:
    event = {
        "event_id": f"evt_{uuid.uuid4().hex}",
        "provider_payout_id": payout.provider_payout_id,
        "external_reference": payout.request["external_reference"],
        "status": payout.status,
        "occurred_at": payout.updated_at.isoformat(),
    }
    return json.dumps(event, separators=(",", ":")).encode()


class WebhookSender:
    """Delivers to the provider's configured webhook_url, read at each status change (empty:
    nothing is sent), signed with the first of its webhook_secrets (none: sent unsigned, which
    the service refuses unless its verification is off)."""

    def __init__(self, provider: MockProvider) -> None:
        self._provider = provider
        self._session: aiohttp.ClientSession | None = None
        self._deliveries: set[asyncio.Task[None]] = set()

    def status_changed(self, payout: MockPayout) -> None:
        """Starts delivering the webhook for the payout's new status (the payout's status is
        `processing`, `success` or `failed`)."""
        config = self._provider.config
        if not config.webhook_url:
            return
        delivery = asyncio.create_task(
            self._deliver(config.webhook_url, config.webhook_secrets[:1], webhook_body(payout))
        )
        self._deliveries.add(delivery)
        delivery.add_done_callback(self._deliveries.discard)

    async def stop(self) -> None:
        for delivery in list(self._deliveries):
            delivery.cancel()
        await asyncio.gather(*self._deliveries, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    async def _deliver(self, url: str, secrets: tuple[str, ...], body: bytes) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        backoff = FIRST_BACKOFF_SECONDS
        while True:
            headers = {"Content-Type": "application/json"}
            if secrets:
                headers[SIGNATURE_HEADER] = signature_header(body, secrets, int(time.time()))
            try:
                async with self._session.post(url, data=body, headers=headers) as response:
                    if 200 <= response.status < 300:
                        return
                    reason = f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            log.info("webhook delivery failed (%s); trying again in %.1f s", reason, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
