"""Per worker process: the settings read once at boot, and the services opened lazily on the
AsyncIO middleware's event loop (Tortoise's connections belong to the loop that opened them)."""

from __future__ import annotations

import asyncio

from payout_service.bootstrap import WorkerServices, build_worker_services
from payout_service.infrastructure.db.database import open_database
from payout_service.infrastructure.settings import Settings

_settings: Settings | None = None
_services: WorkerServices | None = None
_opening = asyncio.Lock()


def configure(settings: Settings) -> None:
    global _settings
    _settings = settings


async def services() -> WorkerServices:
    global _services
    if _services is None:
        async with _opening:
            if _services is None:
                if _settings is None:
                    raise RuntimeError("actors.runtime.configure() was not called at boot")
                await open_database(_settings)
                _services = build_worker_services(_settings)
    return _services
