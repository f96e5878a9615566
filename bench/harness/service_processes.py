"""Several of the service's process types at once (web, relay, workers, the mock provider), as
subprocesses of `payout-service` configured only by their environment, for the benches that need
more than the API alone (bench.harness.api_process).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from payout_service.infrastructure.embedded_redis import free_loopback_port

START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 30.0
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class ProcessType:
    """`args` follow `payout-service`; the process is ready once its log holds `ready`.
    `port`: the PORT it listens on (None: a free one, for a worker's metrics)."""

    name: str
    args: tuple[str, ...]
    ready: str
    port: int | None = None


@dataclass(frozen=True, slots=True)
class RunningProcess:
    """A started process type: its pid leads a session of its own (a worker's forked children
    are in it), and what it logs goes to `log`."""

    name: str
    pid: int
    log: Path


# The lines each process type logs (at INFO) once it serves.
WEB_READY = "web serving"
RELAY_READY = "relay started"
MOCK_READY = "provider mock serving"
WORKER_READY = "ready for action"


@asynccontextmanager
async def running_processes(
    processes: Sequence[ProcessType], env: Mapping[str, str]
) -> AsyncIterator[list[RunningProcess]]:
    """Starts each in turn, waiting until it is ready, with `env` over this process's environment
    (LOG_LEVEL=INFO, which the readiness lines need, unless `env` says otherwise). After the block:
    SIGTERM to every process group (SIGKILL after STOP_TIMEOUT_SECONDS), then one line per
    process that logged ERRORs, since a figure earned while the service was failing is not the
    figure it seems."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith(("PROMETHEUS_MULTIPROC", "DRAMATIQ_PROM"))
    }
    with tempfile.TemporaryDirectory(prefix="bench-processes-") as scratch:
        base.update(
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
            METRICS_DIR=scratch,
            PATH=os.pathsep.join([str(Path(sys.executable).parent), base.get("PATH", "")]),
        )
        base.update(env)
        started: list[tuple[ProcessType, asyncio.subprocess.Process, Path]] = []
        try:
            for process_type in processes:
                log = Path(scratch) / f"{process_type.name}.log"
                port = process_type.port or free_loopback_port()
                process = await _start(process_type.args, dict(base, PORT=str(port)), log)
                started.append((process_type, process, log))
                await _wait_until_ready(process_type, process, log)
            yield [RunningProcess(t.name, p.pid, log) for t, p, log in started]
        finally:
            await _stop([process for _, process, _ in started])
            for process_type, _, log in started:
                _report_errors(process_type.name, log)


async def _start(
    args: tuple[str, ...], env: dict[str, str], log: Path
) -> asyncio.subprocess.Process:
    with log.open("wb") as sink:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "payout_service.cli", *args,
            env=env, cwd=PROJECT_ROOT, stdout=sink, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


async def _wait_until_ready(
    process_type: ProcessType, process: asyncio.subprocess.Process, log: Path
) -> None:
    """Polls the process's log (bounded): the processes announce readiness only there."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        output = log.read_text(errors="replace")
        if process_type.ready in output:
            return
        if process.returncode is not None:
            raise RuntimeError(f"{process_type.name} exited:\n{output[-3000:]}")
        await asyncio.sleep(0.02)
    raise RuntimeError(
        f"{process_type.name} did not say {process_type.ready!r} within {START_TIMEOUT_SECONDS} s"
    )


async def _stop(processes: list[asyncio.subprocess.Process]) -> None:
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT_SECONDS)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()


def _report_errors(name: str, log: Path) -> None:
    errors = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("level") == "ERROR":
            errors.append(entry)
    if errors:
        first = errors[0]
        cause = str(first.get("exc", "")).strip().splitlines()[-1:] or [""]
        message = first.get("message")
        print(
            f"  {name} logged {len(errors)} ERROR line(s); first: {message} {cause[0]}", flush=True
        )
