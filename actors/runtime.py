"""Per worker process: the settings read once at boot, the services opened lazily on the
AsyncIO middleware's event loop (Tortoise's connections belong to the loop that opened them), and
`consumer`, the decorator that gives every actor's log lines the message's story."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from payout_service.bootstrap import WorkerServices, build_worker_services
from payout_service.infrastructure.db.database import close_database, open_database
from payout_service.infrastructure.logs import log_context
from payout_service.infrastructure.settings import Settings

_settings: Settings | None = None
_services: WorkerServices | None = None
_opening = asyncio.Lock()


def configure(settings: Settings) -> None:
    global _settings
    _settings = settings


def settings() -> Settings:
    """The settings given to configure(); actor modules read their options from them."""
    if _settings is None:
        raise RuntimeError("actors.runtime.configure() was not called at boot")
    return _settings


async def services() -> WorkerServices:
    global _services
    if _services is None:
        async with _opening:
            if _services is None:
                if _settings is None:
                    raise RuntimeError("actors.runtime.configure() was not called at boot")
                await open_database(_settings)
                _services = build_worker_services(_settings)
                if _services.fast_path is not None:
                    _services.fast_path.start()
    return _services


async def close() -> None:
    """Publishes what the fast path holds, then closes the database and the provider's HTTP
    session, if services() opened them (see actors.database_lifetime)."""
    global _services
    if _services is not None:
        if _services.fast_path is not None:
            await _services.fast_path.stop()
        await _services.provider.close()
        await close_database()
        _services = None


Envelope = dict[str, Any]
log = logging.getLogger("actors")


def consumer(
    fn: Callable[[Envelope], Awaitable[bool | None]],
) -> Callable[[Envelope], Awaitable[None]]:
    """Runs an actor with request_id (from the outbox headers), payout_id, message_id, event and
    actor bound to every line it logs, and logs one line for its outcome. The actor returns
    whether the message was applied (False: a redelivery the consumer inbox skipped)."""

    @functools.wraps(fn)
    async def run(envelope: Envelope) -> None:
        headers = envelope.get("headers") or {}
        payload = envelope.get("payload") or {}
        payout_id = payload.get("payout_id") or (
            envelope.get("aggregate_id") if envelope.get("aggregate_type") == "payout" else None
        )
        with log_context(
            request_id=headers.get("request_id"),
            payout_id=payout_id,
            message_id=envelope.get("message_id"),
            event=envelope.get("event"),
            actor=fn.__name__,
        ):
            started = time.perf_counter()
            try:
                applied = await fn(envelope)
            except Exception as exc:
                log.warning("message failed: %s: %s", type(exc).__name__, exc)
                raise
            outcome = "skipped: already applied" if applied is False else "applied"
            log.info(
                "message %s", outcome, extra={"ms": round((time.perf_counter() - started) * 1000)}
            )

    return run
