"""The mock provider's webhooks: each status change of a payout, signed and delivered until the
service answers 2xx, with the faults real providers have.

Body: `{event_id, provider_payout_id, reference, status, failure_code, occurred_at}`, status
processing|success|failed|returned, failure_code one of the service's PROVIDER_CODES for a failed
or returned payout (else null), occurred_at the payout's updated_at at the change. Signed over its
raw bytes in the X-Provider-Signature scheme (infrastructure.webhook_signature) with the first
secret, freshly at every delivery try so the timestamp stays within the receiver's tolerance.
Tries back off from 0.5 s, doubling, to at most 30 s between them, for as long as the mock runs.

Faults (MockConfig.duplicate_percent, reorder_percent): a duplicated event is delivered a second
time, the same event_id and bytes, once the first delivery is acknowledged; a reordered payout's
`processing` event is held back and delivered only after its final one was acknowledged. Only
`processing` is ever held, so a late `failed` never follows a `success`. A `returned` event waits
until the delivery of the payout's `success` is over: a return never overtakes the success it
undoes, which the service would take for a contradiction. Undelivered events are not persisted:
a restart of the mock loses them, as reconciliation must be able to cope with.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid

import aiohttp

from payout_service.infrastructure.webhook_signature import SIGNATURE_HEADER, signature_header
from payout_service.provider_mock.payouts import PROCESSING, RETURNED, MockPayout
from payout_service.provider_mock.provider import MockProvider

log = logging.getLogger("payout_service.provider_mock")

FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0


def webhook_body(payout: MockPayout) -> bytes:
    event = {
        "event_id": f"evt_{uuid.uuid4().hex}",
        "provider_payout_id": payout.provider_payout_id,
        "reference": payout.reference,
        "status": payout.status,
        "failure_code": payout.failure_code,
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
        self._held_back: dict[str, list[bytes]] = {}  # by provider_payout_id
        self._latest: dict[str, asyncio.Task[None]] = {}  # by provider_payout_id, while it runs

    def status_changed(self, payout: MockPayout) -> None:
        """Starts delivering the webhook for the payout's new status (the payout's status is
        `processing`, `success`, `failed` or `returned`), unless it is a `processing` held back."""
        config = self._provider.config
        if not config.webhook_url:
            return
        rng = self._provider.rng
        body = webhook_body(payout)
        bodies = [body, body] if _happens(rng, config.duplicate_percent) else [body]
        if payout.status == PROCESSING and _happens(rng, config.reorder_percent):
            self._held_back[payout.provider_payout_id] = bodies
            return
        payout_id = payout.provider_payout_id
        bodies += self._held_back.pop(payout_id, [])
        earlier = self._latest.get(payout_id) if payout.status == RETURNED else None
        delivery = asyncio.create_task(
            self._deliver_in_order(config.webhook_url, config.webhook_secrets[:1], bodies, earlier)
        )
        self._deliveries.add(delivery)
        self._latest[payout_id] = delivery
        delivery.add_done_callback(lambda done: self._delivered(payout_id, done))

    async def stop(self) -> None:
        for delivery in list(self._deliveries):
            delivery.cancel()
        await asyncio.gather(*self._deliveries, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    def _delivered(self, payout_id: str, delivery: asyncio.Task[None]) -> None:
        self._deliveries.discard(delivery)
        if self._latest.get(payout_id) is delivery:
            del self._latest[payout_id]

    async def _deliver_in_order(
        self,
        url: str,
        secrets: tuple[str, ...],
        bodies: list[bytes],
        after: asyncio.Task[None] | None = None,
    ) -> None:
        if after is not None:
            await asyncio.wait([after])
        for body in bodies:
            await self._deliver(url, secrets, body)

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


def _happens(rng: random.Random, percent: int) -> bool:
    return rng.uniform(0, 100) < percent
