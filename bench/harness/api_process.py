"""The real API, `payout-service web`, as a subprocess configured only by its environment: one
web process, or a tier of them (WEB_CONCURRENCY)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from payout_service.infrastructure.embedded_redis import free_loopback_port

START_TIMEOUT_SECONDS = 30.0


@contextmanager
def running_api(database_url: str, redis_url: str, web_concurrency: int = 1) -> Iterator[str]:
    """Yields the base URL once GET /up answers and each of the `web_concurrency` processes
    listens; stops them after."""
    port = free_loopback_port()
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY=str(web_concurrency),
        LOG_LEVEL="WARNING",
        # Any value: unset, the web process logs an ERROR at start (webhooks would be refused).
        PROVIDER_WEBHOOK_SECRETS="bench-only-secret",
    )
    command = [str(Path(sys.executable).with_name("payout-service")), "web"]
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_up(base_url, port, web_concurrency, process, log)
            yield base_url
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            _report_errors(log, redis_url)


def _report_errors(log: IO[str], redis_url: str) -> None:
    """Prints how many ERROR lines the API logged, and the first: a figure earned while the
    service was failing (even if every response was a 201) is not the figure it seems."""
    log.seek(0)
    errors = [entry for entry in map(_json_or_none, log) if entry and entry["level"] == "ERROR"]
    if errors:
        first = errors[0]
        cause = str(first.get("exc", "")).strip().splitlines()[-1:] or [""]
        where = "with" if redis_url else "without"
        print(
            f"  the API {where} Redis logged {len(errors)} ERROR line(s);"
            f" first: {first['message']} {cause[0]}",
            flush=True,
        )


def _json_or_none(line: str) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) and "level" in entry else None


def _wait_until_up(
    base_url: str, port: int, processes: int, process: subprocess.Popen[bytes], log: IO[str]
) -> None:
    """The first process of a tier answers /up before the others listen: a run started then
    would open all its connections to that one."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the API exited with {process.returncode}:\n{log.read()}")
        try:
            with urllib.request.urlopen(f"{base_url}/up", timeout=1) as response:
                if response.status == 200 and _listeners(port) >= processes:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"the API did not answer {base_url}/up with {processes} process(es) listening"
        f" within {START_TIMEOUT_SECONDS} s"
    )


def _listeners(port: int) -> int:
    """Sockets listening on the IPv4 `port`: one per web process (SO_REUSEPORT). Linux /proc."""
    rows = (row.split() for row in Path("/proc/net/tcp").read_text().splitlines()[1:])
    return sum(1 for row in rows if row[3] == "0A" and int(row[1].rsplit(":", 1)[1], 16) == port)
