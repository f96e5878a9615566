"""`payout-service web` as a real subprocess on a migrated, seeded MariaDB database of its own,
for tests that speak to it over a socket from synchronous code (schemathesis uses `requests`).

Its output goes to a file, not a pipe: nothing has to read it while a synchronous test runs.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.database import close_database, open_database
from payout_service.infrastructure.db.dialect import dialect_for_url
from payout_service.infrastructure.db.migrations import apply_migrations
from payout_service.infrastructure.db.seed import seed_demo
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from tests.conftest import _run_outside_test_loop, drop_database
from tests.processes import PROJECT_ROOT, free_port, service_environment

START_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class LiveService:
    base_url: str
    environment: dict[str, str]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def live_web(
    mysql_server_url: str, redis_url: str, folder: Path, **overrides: str
) -> Iterator[LiveService]:
    """A fresh database `payouts_live_<hex>` (migrated, demo data seeded, dropped after) and the
    web process on a free port with a broker namespace of its own (its Redis keys removed after)."""
    base, _, _ = mysql_server_url.rpartition("/")
    suffix = uuid.uuid4().hex[:8]
    database_url = f"{base}/payouts_live_{suffix}"
    namespace = f"test-live-{suffix}"
    port = free_port()
    env = service_environment(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        BROKER_NAMESPACE=namespace,
        PORT=str(port),
        LOG_LEVEL="WARNING",
        METRICS_DIR=str(folder / "metrics"),
        **overrides,
    )
    log = folder / "web.log"
    try:
        _run_outside_test_loop(_migrated_and_seeded(database_url))
        with log.open("w") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "payout_service.cli", "web"],
                env=env,
                cwd=PROJECT_ROOT,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_up(base_url, process, log)
            yield LiveService(base_url, env, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    finally:
        _run_outside_test_loop(drop_database(database_url))
        _remove_keys(redis_url, namespace)


async def _migrated_and_seeded(database_url: str) -> None:
    """What `payout-service migrate` and `seed` do, in this process (their own processes took a
    second or two; test_second_terminal and the chaos test run those)."""
    settings = Settings(database_url=database_url)
    try:
        await apply_migrations(settings)
    finally:
        await close_database()
    await open_database(settings)
    try:
        await seed_demo(SqlUnitOfWorkFactory(dialect_for_url(database_url)), SystemClock().now())
    finally:
        await close_database()


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"web exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base_url}/up", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)  # nothing to await: the process gives no other sign it listens
    raise AssertionError(f"web did not answer within {START_TIMEOUT_SECONDS} s:\n{log.read_text()}")


def _remove_keys(redis_url: str, namespace: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(f"{namespace}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
