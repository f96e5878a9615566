"""Per worker process: the settings read once at boot, the services opened at boot (or by the
first message, if the database could not be reached then) on the AsyncIO middleware's event loop
(Tortoise's connections belong to the loop that opened them), and `consumer`, the decorator
that gives every actor's log lines the message's story."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from payout_service.bootstrap import WorkerServices, build_worker_services
from payout_service.infrastructure.db.database import close_database, connect_now, open_database
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


async def open_at_boot() -> None:
    """services(), connected: the first message finds its connection open."""
    await services()
    await connect_now()


async def close() -> None:
    """Publishes what the fast path holds, then closes the database and the HTTP sessions (the
    provider's, the clients' endpoints'), if services() opened them (see
    actors.database_lifetime)."""
    global _services
    if _services is not None:
        if _services.fast_path is not None:
            await _services.fast_path.stop()
        await _services.provider.close()
        await _services.webhook_sender.close()
        await close_database()
        _services = None


# An outbox row as the broker delivers it; messages.Envelope.from_dict makes the typed one.
EnvelopeDict = dict[str, Any]
_Result = TypeVar("_Result")
log = logging.getLogger("actors")


def batch_consumer(
    fn: Callable[[list[EnvelopeDict]], Awaitable[int]],
) -> Callable[[list[EnvelopeDict]], Awaitable[None]]:
    """`consumer` for a batched consumer: one log line for the batch, with how many of its events
    were applied (the others were redeliveries the consumer inbox skipped)."""

    @functools.wraps(fn)
    async def run(envelopes: list[EnvelopeDict]) -> None:
        with log_context(actor=fn.__name__, events=str(len(envelopes))):
            applied, ms = await _timed("batch", fn(envelopes))
            log.info("batch applied", extra={"applied": applied, "ms": ms})

    return run


def consumer(
    fn: Callable[[EnvelopeDict], Awaitable[bool | None]],
) -> Callable[[EnvelopeDict], Awaitable[None]]:
    """Runs an actor with request_id (from the outbox headers), payout_id, message_id, event and
    actor bound to every line it logs, and logs one line for its outcome. The actor returns
    whether the message was applied (False: a redelivery the consumer inbox skipped)."""

    @functools.wraps(fn)
    async def run(envelope: EnvelopeDict) -> None:
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
            applied, ms = await _timed("message", fn(envelope))
            outcome = "skipped: already applied" if applied is False else "applied"
            log.info("message %s", outcome, extra={"ms": ms})

    return run


async def _timed(what: str, work: Awaitable[_Result]) -> tuple[_Result, int]:
    """The actor's result and how many milliseconds it took; a failure is logged and raised."""
    started = time.perf_counter()
    try:
        result = await work
    except Exception as exc:
        log.warning("%s failed: %s: %s", what, type(exc).__name__, exc)
        raise
    return result, round((time.perf_counter() - started) * 1000)
