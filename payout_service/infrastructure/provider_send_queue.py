"""The ProviderSendQueue port over dramatiq-abort: cancel a payout's queued provider-send message.

The message's Dramatiq id derives from its payout.created outbox row (outbox.publisher), so it
is found again without storing it. AbortMode.CANCEL only stops a message that has not started;
the Abortable middleware of the worker that picks it up skips it. The abort lasts `ttl_ms`: long
enough to outlive the longest retry delay, since a message waiting for a retry is the same
message and is skipped the same way.
"""

from __future__ import annotations

import asyncio
import logging

import redis
from dramatiq_abort import Abortable, abort
from dramatiq_abort.backends import RedisBackend
from dramatiq_abort.middleware import AbortMode

from payout_service.application.event_routes import PROVIDER_SEND
from payout_service.infrastructure.outbox.publisher import dramatiq_message_id
from payout_service.infrastructure.settings import Settings

log = logging.getLogger("payout_service.provider_send")

_BACKLOG_MARGIN_MS = 3_600_000  # an hour of queue backlog beyond the longest retry delay


class DramatiqProviderSendQueue:
    def __init__(self, abortable: Abortable, ttl_ms: int) -> None:
        self._abortable = abortable
        self._ttl_ms = ttl_ms

    @classmethod
    def from_settings(cls, settings: Settings) -> DramatiqProviderSendQueue:
        """The same abort backend as the workers' Abortable middleware (infrastructure.broker)."""
        client = redis.Redis.from_url(settings.redis_url)
        abortable = Abortable(backend=RedisBackend(client=client))
        return cls(abortable, settings.provider_send_max_backoff_ms + _BACKLOG_MARGIN_MS)

    async def cancel(self, created_message_id: str) -> None:
        message_id = dramatiq_message_id(created_message_id, PROVIDER_SEND)
        try:
            await asyncio.to_thread(
                abort,
                message_id,
                middleware=self._abortable,
                abort_ttl=self._ttl_ms,
                mode=AbortMode.CANCEL,
            )
        except Exception as exc:  # the send's own status check still stops it; say so and go on
            log.warning("could not abort the queued provider-send message %s: %s", message_id, exc)


class NoProviderSendQueue:
    """Without a broker (no REDIS_URL) no provider-send message can be waiting."""

    async def cancel(self, created_message_id: str) -> None:
        return None
