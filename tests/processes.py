"""Running the service's own commands as real processes in tests: free ports, a clean
environment, and waiting for what a process says instead of sleeping."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def service_environment(**overrides: str) -> dict[str, str]:
    """This environment without anything that would redirect the service (a multiprocess
    metrics directory, a settings variable of the developer's), plus the overrides."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith(("PROMETHEUS_MULTIPROC", "DRAMATIQ_PROM"))
    }
    # the tests' webhook receivers listen on http://127.0.0.1
    env.update(PYTHONUNBUFFERED="1", HOST="127.0.0.1", OUTGOING_WEBHOOKS_ALLOW_HTTP_LOOPBACK="on")
    # the bytecode a process compiles is kept for the next (in the __pycache__ folders git
    # ignores): with PYTHONDONTWRITEBYTECODE set, as on the project's machines, every process
    # compiled the service's modules again (60-80 ms of a worker's start, measured), and the
    # tests start more than a hundred processes
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # a project root of no .env and no var/run.env: a developer's own files, or the settings of
    # a `make run` going on in this checkout, never reach the processes a test starts
    env.setdefault("PAYOUT_SERVICE_ROOT", _EMPTY_ROOT)
    env.update(overrides)
    return env


_EMPTY_ROOT = tempfile.mkdtemp(prefix="payout-service-root-")


async def start_command(
    *args: str, env: Mapping[str, str], new_session: bool = False
) -> asyncio.subprocess.Process:
    """`payout-service <args>` with this interpreter; its stderr is a pipe to read from."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "payout_service.cli",
        *args,
        env=dict(env),
        cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=new_session,
    )


class Output:
    """Collects a process's output lines in the background; `wait_for` awaits a line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.lines: list[str] = []
        self._changed = asyncio.Condition()
        self._task = asyncio.create_task(self._read(process))

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            async with self._changed:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))
                self._changed.notify_all()
        async with self._changed:
            self.lines.append("<eof>")
            self._changed.notify_all()

    async def wait_for(self, text: str, timeout: float = 30.0) -> str:
        async def found() -> str:
            async with self._changed:
                while True:
                    for line in self.lines:
                        if text in line:
                            return line
                    if self.lines and self.lines[-1] == "<eof>":
                        raise AssertionError(f"exited before {text!r}:\n" + self.text())
                    await self._changed.wait()

        try:
            return await asyncio.wait_for(found(), timeout)
        except TimeoutError:
            raise AssertionError(f"no {text!r} within {timeout} s:\n" + self.text()) from None

    def text(self) -> str:
        return "\n".join(self.lines[-200:])

    async def closed(self) -> None:
        await self._task


@asynccontextmanager
async def command_running(
    *args: str, env: Mapping[str, str], new_session: bool = False
) -> AsyncIterator[tuple[asyncio.subprocess.Process, Output]]:
    """The command and its output; killed with every process it started (its whole session
    when it has one, and its descendants in sessions of their own) if the test leaves it
    running, so a failing test leaves no process behind and does not wait for ever on an
    output pipe a survivor holds open."""
    process = await start_command(*args, env=env, new_session=new_session)
    output = Output(process)
    try:
        yield process, output
    finally:
        if process.returncode is None:
            descendants = process_tree(process.pid)
            if new_session:
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()
            for pid in descendants:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(TimeoutError):  # ended; a stray may still hold its pipe
                await asyncio.wait_for(process.wait(), 30)


def process_tree(root: int) -> dict[int, str]:
    """`root` and all its descendants now, each pid with its /proc stat start time (so that a
    pid reused later is not mistaken for a survivor). Linux /proc."""
    children: dict[int, list[int]] = {}
    started: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parent, start_time = int(fields[1]), fields[19]
        children.setdefault(parent, []).append(int(entry.name))
        started[int(entry.name)] = start_time
    tree: dict[int, str] = {}
    pending = [root]
    while pending:
        pid = pending.pop()
        if pid in started:
            tree[pid] = started[pid]
            pending.extend(children.get(pid, []))
    return tree


def survivors(tree: dict[int, str]) -> list[str]:
    """The processes of a process_tree() snapshot still running (zombies count as ended)."""
    alive = []
    for pid, start_time in tree.items():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[19] == start_time and fields[0] != "Z":
            alive.append(stat[: stat.rindex(")") + 1])
    return alive
