"""The real API, `payout-service web`, as a subprocess configured only by its environment."""

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
def running_api(database_url: str, redis_url: str) -> Iterator[str]:
    """Yields the base URL once GET /up answers; stops the process after."""
    port = free_loopback_port()
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        HOST="127.0.0.1",
        PORT=str(port),
        LOG_LEVEL="WARNING",
        # Any value: unset, the web process logs an ERROR at start (webhooks would be refused).
        PROVIDER_WEBHOOK_SECRETS="bench-only-secret",
    )
    command = [str(Path(sys.executable).with_name("payout-service")), "web"]
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_up(base_url, process, log)
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


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], log: IO[str]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the API exited with {process.returncode}:\n{log.read()}")
        try:
            with urllib.request.urlopen(f"{base_url}/up", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the API did not answer {base_url}/up within {START_TIMEOUT_SECONDS} s")
