"""`payout-service web` with WEB_CONCURRENCY above 1: a parent and that many web processes.

Like gunicorn's master, the parent serves nothing. It starts the processes (multiprocessing's
"spawn": each a fresh interpreter that inherits none of the parent's state), each a whole web
process with its own event loop, database pool, outbox fast path and metrics, all listening on
PORT (SO_REUSEPORT: the kernel spreads new connections over them). It logs "web serving" once
every one of them serves.

Stopping: SIGTERM or SIGINT to the parent is passed on once to each process, which stops
gracefully as a lone web process does; the parent exits 0 when all have. A process that exits of
its own accord (a crash, the OOM killer, a failed start) makes the parent stop the others and exit
1: the platform then restarts the whole tier instead of keeping a part of it. A parent killed
outright takes its processes along: each has Linux send it SIGTERM when its parent dies
(PR_SET_PDEATHSIG; elsewhere they would serve on until stopped).

Metrics: prometheus-client's multiprocess mode, as the Dramatiq workers use it. The processes
count into files under <METRICS_DIR>/web-<PORT>, emptied at start and removed at exit, and any
process's /metrics sums them (infrastructure.metrics): a scrape counts the requests of all.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import shutil
import signal
import sys
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import FrameType

from aiohttp import web

from payout_service.infrastructure.logs import configure_logging
from payout_service.infrastructure.metrics import (
    MULTIPROCESS_DIRECTORY,
    fresh_multiprocess_directory,
)
from payout_service.infrastructure.settings import Settings

log = logging.getLogger("payout_service.web")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
TIER_FAILED = 1
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def run_web_tier(settings: Settings) -> int:
    """Serves with WEB_CONCURRENCY processes until stopped. Returns 0 when a stop signal ended
    the tier and every process stopped cleanly, else TIER_FAILED."""
    metrics = fresh_multiprocess_directory(settings.metrics_dir, f"web-{settings.port}")
    # Inherited by the processes, which read it before they first import prometheus-client.
    os.environ[MULTIPROCESS_DIRECTORY] = str(metrics)
    try:
        return _Tier(settings).run()
    finally:
        shutil.rmtree(metrics, ignore_errors=True)


class _Tier:
    """The parent's bookkeeping: which processes live, which have said they serve."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._live: dict[int, BaseProcess] = {}  # by sentinel
        self._not_serving: set[Connection] = set()  # each process's report, until it serves
        self._serving = 0
        self._stopping = False
        self._failed = False

    def run(self) -> int:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._stop_asked)
        context = get_context("spawn")
        for _ in range(self._settings.web_concurrency):
            if self._stopping:
                break
            ready, report = context.Pipe(duplex=False)
            process = context.Process(
                target=_serve_in_tier,
                args=(self._settings, report, os.getpid()),
                name="payout-service web",
            )
            process.start()
            report.close()  # the process holds the only writer: its death is an end of file
            self._live[process.sentinel] = process
            self._not_serving.add(ready)
            if self._stopping:  # asked while it started, unseen by _stop (a repeat is harmless)
                os.kill(process.pid, signal.SIGTERM)
        while self._live:
            for done in wait([*self._not_serving, *self._live]):
                if isinstance(done, int):
                    self._ended(self._live.pop(done))
                elif isinstance(done, Connection):
                    self._reported(done)
        return TIER_FAILED if self._failed else 0

    def _reported(self, ready: Connection) -> None:
        self._not_serving.discard(ready)
        try:
            ready.recv()
        except EOFError:  # it ended before serving: its sentinel says how
            return
        finally:
            ready.close()
        self._serving += 1
        if self._serving == self._settings.web_concurrency and not self._stopping:
            log.info(
                "web serving",
                extra={
                    "url": f"http://{self._settings.host}:{self._settings.port}",
                    "processes": self._serving,
                },
            )

    def _ended(self, process: BaseProcess) -> None:
        process.join()
        code = process.exitcode
        if not self._stopping:
            log.error(
                "web process exited unexpectedly: stopping the others",
                extra={"pid": process.pid, "exit_code": code},
            )
            self._failed = True
            self._stop()
        elif code not in (0, -signal.SIGTERM):  # killed by the stop before it could serve
            log.error(
                "web process did not stop cleanly", extra={"pid": process.pid, "exit_code": code}
            )
            self._failed = True

    def _stop_asked(self, signum: int, _: FrameType | None) -> None:
        if not self._stopping:
            log.info("web tier stopping", extra={"signal": signal.Signals(signum).name})
        self._stop()

    def _stop(self) -> None:
        """Passes the first stop on, as SIGTERM (SIGINT and SIGTERM mean the same to a web
        process); each process stops gracefully on it."""
        if self._stopping:
            return
        self._stopping = True
        for process in self._live.values():
            if process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)


def _serve_in_tier(settings: Settings, report: Connection, parent: int) -> None:
    """One process of the tier: a web process that tells the parent when it serves."""
    # Ctrl-C in a terminal reaches the whole process group: until the web process handles it,
    # the parent's SIGTERM, which follows, is the stop (no KeyboardInterrupt mid-start).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _stop_when_parent_dies(parent)
    configure_logging(settings)
    # Imported here: the parent, which serves nothing, never loads the app.
    from payout_service.web.server import serve, web_app

    def serving() -> None:
        log.info("web process serving", extra={"pid": os.getpid()})
        report.send(os.getpid())
        report.close()

    app = web_app(settings)
    app.on_startup.append(_one_stop_signal_only)
    serve(app, settings, serving)


def _stop_when_parent_dies(parent: int) -> None:
    """SIGTERM, a graceful stop, when the parent dies, however it dies (Linux only). Checked
    once asked for: the parent may be gone already."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        sys.exit("payout-service web: the parent process is gone")


async def _one_stop_signal_only(_: web.Application) -> None:
    """The parent passes its stop signal on, and a process manager (honcho, systemd, Heroku)
    may signal every process of the tier as well: the repeat must not cut short the graceful
    stop the first began, as aiohttp's own handlers (which these replace) would."""
    loop = asyncio.get_running_loop()
    stopping = False

    def stop() -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise web.GracefulExit

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop)
