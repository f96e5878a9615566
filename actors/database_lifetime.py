"""Closing a worker process's database connections when Dramatiq shuts the worker down.

aiosqlite runs each SQLite connection on a non-daemon thread: left open, it keeps the worker
process alive after Dramatiq has stopped everything else, and the `dramatiq` parent then waits
for that process forever (SIGTERM never completes). Closing on the AsyncIO middleware's loop,
which opened the connections, ends that thread; MySQL pools are closed cleanly too.
"""

from __future__ import annotations

from typing import Any

from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware

from actors import runtime


class CloseDatabaseOnShutdown(Middleware):
    """Runs after the worker threads have stopped and before the AsyncIO middleware stops its
    event loop. Dramatiq calls `after_*` hooks in reverse order, so add it after that one:
    `broker.add_middleware(CloseDatabaseOnShutdown(), after=AsyncIO)`."""

    def after_worker_shutdown(self, broker: Any, worker: Any) -> None:
        loop_thread = get_event_loop_thread()
        if loop_thread is not None:
            loop_thread.run_coroutine(runtime.close())
