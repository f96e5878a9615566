"""Running the API process: uvloop when present, the database opened around the app's life.

SIGTERM/SIGINT stop it gracefully (aiohttp): the listening socket closes, requests in flight get
up to SHUTDOWN_TIMEOUT_SECONDS to finish, then the fast path publishes what they committed, and
only then does the database close.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from payout_service.bootstrap import build_services
from payout_service.infrastructure.db.database import close_database, open_database
from payout_service.infrastructure.settings import Settings
from payout_service.web.app import create_app

log = logging.getLogger("payout_service.web")


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

    async def stopping(_: web.Application) -> None:
        log.info("web stopping: no new connections, finishing the requests in flight")

    # First in, last out: the database opens before and closes after everything else in the app.
    app.cleanup_ctx.insert(0, database)
    app.on_shutdown.append(stopping)
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        access_log=None,
        shutdown_timeout=settings.shutdown_timeout_seconds,
        reuse_port=True,
        print=lambda _: log.info(
            "web serving", extra={"url": f"http://{settings.host}:{settings.port}"}
        ),
    )
