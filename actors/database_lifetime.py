"""Opening a worker process's services when Dramatiq boots the worker, and closing its database
connections when Dramatiq shuts it down.

Opening at boot: Tortoise's first init reads every model's source (for column comments), which
cost the first message of each worker tens of milliseconds and, in the end-to-end bench, a tenth
of the workers' CPU; its pool connects on first use, which is then done too. A database that
cannot be reached at boot is only logged: the first message opens the services then
(actors.runtime.services).

Closing: aiosqlite runs each SQLite connection on a non-daemon thread: left open, it keeps the
worker process alive after Dramatiq has stopped everything else, and the `dramatiq` parent then
waits for that process forever (SIGTERM never completes). Closing on the AsyncIO middleware's
loop, which opened the connections, ends that thread; MySQL pools are closed cleanly too.
"""

from __future__ import annotations

import logging
from typing import Any

from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware

from actors import runtime

log = logging.getLogger("actors")


class DatabaseLifetime(Middleware):
    """Its hooks run while the AsyncIO middleware's event loop runs: Dramatiq calls `before_*`
    hooks in the order middleware was added and `after_*` ones in reverse, so add it after that
    one: `broker.add_middleware(DatabaseLifetime(), after=AsyncIO)`."""

    def after_worker_boot(self, broker: Any, worker: Any) -> None:
        loop_thread = get_event_loop_thread()
        if loop_thread is None:
            return
        try:
            loop_thread.run_coroutine(runtime.open_at_boot())
        except Exception as exc:
            log.warning(
                "could not open the database at boot (%s: %s); the first message will",
                type(exc).__name__,
                exc,
            )

    def after_worker_shutdown(self, broker: Any, worker: Any) -> None:
        loop_thread = get_event_loop_thread()
        if loop_thread is not None:
            loop_thread.run_coroutine(runtime.close())
