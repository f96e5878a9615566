"""Running the API process: uvloop when present, the database opened around the app's life."""

from __future__ import annotations

import asyncio

from aiohttp import web

from payout_service.bootstrap import build_services
from payout_service.infrastructure.db.database import close_database, open_database
from payout_service.infrastructure.settings import Settings
from payout_service.web.app import create_app


def run_web(settings: Settings) -> None:
    try:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:  # uvloop is optional off Linux
        pass
    app = create_app(build_services(settings))

    async def database(_: web.Application):  # type: ignore[no-untyped-def]
        await open_database(settings)
        yield
        await close_database()

    app.cleanup_ctx.append(database)
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        access_log=None,
        shutdown_timeout=settings.shutdown_timeout_seconds,
        reuse_port=True,
        print=None,
    )
