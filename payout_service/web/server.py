"""Running the API process: uvloop when present, the database opened around the app's life.

SIGTERM/SIGINT stop it gracefully (aiohttp): the listening socket closes, requests in flight get
up to SHUTDOWN_TIMEOUT_SECONDS to finish, then the fast path publishes what they committed, and
only then does the database close. With WEB_CONCURRENCY above 1, `payout-service web` runs that
many of these processes on one port (web.process_tier).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web

from payout_service.bootstrap import build_services
from payout_service.infrastructure.db.database import close_database, open_database
from payout_service.infrastructure.event_loops import use_uvloop
from payout_service.infrastructure.settings import Settings
from payout_service.web.app import create_app

log = logging.getLogger("payout_service.web")


def run_web(settings: Settings) -> None:
    """Serves the API until stopped; logs "web serving" once it listens."""
    url = f"http://{settings.host}:{settings.port}"
    serve(web_app(settings), settings, serving=lambda: log.info("web serving", extra={"url": url}))


def web_app(settings: Settings) -> web.Application:
    """The app with its database: opened before everything else in it, closed after."""
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
    return app


def serve(app: web.Application, settings: Settings, serving: Callable[[], None]) -> None:
    """Serves `app` on HOST:PORT until SIGTERM/SIGINT; `serving` is called once it listens."""
    use_uvloop()
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        access_log=None,
        shutdown_timeout=settings.shutdown_timeout_seconds,
        reuse_port=True,
        print=lambda _: serving(),
    )
