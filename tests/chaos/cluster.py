"""Every Procfile process type of the service, each kept running by a supervisor task that
restarts it whenever it ends (killed by the chaos, or crashed while a server was away), as
systemd or Kubernetes would. Commands as in the Procfile, with smaller thread counts."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections import Counter
from dataclasses import dataclass, field

import aiohttp

from tests.processes import Output, free_port, start_command

RESTART_BACKOFF_SECONDS = 0.3
READY_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class ProcessType:
    name: str
    args: tuple[str, ...]
    ready_line: str | None  # None: ready when GET /up answers on its port


PROCESS_TYPES = (
    ProcessType("provider-mock", ("provider-mock",), "provider mock serving"),
    ProcessType("web", ("web",), None),
    ProcessType("relay", ("relay",), "relay started"),
    ProcessType("events", ("worker", "events", "--threads", "4"), "ready for action"),
    ProcessType("inbox", ("worker", "inbox", "--threads", "4"), "ready for action"),
    ProcessType("provider-send", ("worker", "provider-send", "--threads", "8"), "ready for action"),
    ProcessType("notify", ("worker", "notifications", "--threads", "4"), "ready for action"),
)


@dataclass
class Supervised:
    kind: ProcessType
    port: int
    process: asyncio.subprocess.Process | None = None
    output: Output | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    logs: list[str] = field(default_factory=list)


class Cluster:
    """Starts every process type, restarts whichever ends, and stops them all on `stop`."""

    def __init__(self, environment: dict[str, str], web_port: int, mock_port: int) -> None:
        self._environment = environment
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []
        ports = {"web": web_port, "provider-mock": mock_port}
        self.processes = {
            kind.name: Supervised(kind, ports.get(kind.name) or free_port())
            for kind in PROCESS_TYPES
        }
        self.restarts: Counter[str] = Counter()
        self.kills: Counter[str] = Counter()

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._supervise(p)) for p in self.processes.values()]
        await self.all_ready()

    async def all_ready(self) -> None:
        waits = (p.ready.wait() for p in self.processes.values())
        try:
            await asyncio.wait_for(asyncio.gather(*waits), READY_TIMEOUT_SECONDS * 2)
        except TimeoutError:
            down = [name for name, p in self.processes.items() if not p.ready.is_set()]
            current = {
                name: [
                    *(p.output.lines[-30:] if p.output is not None else []),
                    f"<returncode {p.process.returncode if p.process else None}>",
                    f"<restarts {self.restarts[name]}>",
                ]
                for name, p in self.processes.items()
                if name in down
            }
            raise AssertionError(
                f"not ready within {READY_TIMEOUT_SECONDS * 2:g} s: {down}\n{current}\n"
                + self.log_tail()
            ) from None

    def kill(self, name: str) -> None:
        """SIGKILL to the process and all its children (a worker's Dramatiq processes)."""
        supervised = self.processes[name]
        if supervised.process is not None and supervised.process.returncode is None:
            supervised.ready.clear()
            _kill_group(supervised.process)
            self.kills[name] += 1

    async def stop(self) -> None:
        self._stopping = True
        for supervised in self.processes.values():
            if supervised.process is not None and supervised.process.returncode is None:
                _kill_group(supervised.process)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(
            f"--- {name}\n" + "\n".join(p.logs[-lines:]) for name, p in self.processes.items()
        )

    async def _supervise(self, supervised: Supervised) -> None:
        """Restarts the process whenever it ends, for as long as the cluster runs. A failure of
        the supervision itself (the process would not start, say) is logged and retried too:
        a supervisor that died silently once left a process type down for good."""
        while not self._stopping:
            try:
                await self._one_life(supervised)
            except Exception as error:  # the harness must keep supervising, whatever failed
                supervised.logs.append(f"<supervisor: {type(error).__name__}: {error}>")
            if self._stopping:
                return
            self.restarts[supervised.kind.name] += 1
            await asyncio.sleep(RESTART_BACKOFF_SECONDS)

    async def _one_life(self, supervised: Supervised) -> None:
        env = dict(self._environment, PORT=str(supervised.port))
        process = await start_command(*supervised.kind.args, env=env, new_session=True)
        supervised.process, supervised.output = process, Output(process)
        try:
            await self._until_ready(supervised)
            supervised.ready.set()
        except AssertionError:  # ended or hung before it was up (its server away): again
            if process.returncode is None:
                await _show_where_it_hangs(process)
                _kill_group(process)
        await process.wait()
        supervised.ready.clear()
        await supervised.output.closed()
        supervised.logs += [*supervised.output.lines[-60:], f"<exit {_exit(process)}>"]

    async def _until_ready(self, supervised: Supervised) -> None:
        assert supervised.output is not None
        if supervised.kind.ready_line is not None:
            await supervised.output.wait_for(supervised.kind.ready_line, READY_TIMEOUT_SECONDS)
            return
        url = f"http://127.0.0.1:{supervised.port}/up"
        deadline = asyncio.get_running_loop().time() + READY_TIMEOUT_SECONDS
        async with aiohttp.ClientSession() as session:
            while asyncio.get_running_loop().time() < deadline:
                if supervised.process is None or supervised.process.returncode is not None:
                    raise AssertionError("exited")
                try:
                    async with session.get(url) as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)  # the web process announces nothing else
        raise AssertionError(f"web not up within {READY_TIMEOUT_SECONDS} s")


async def _show_where_it_hangs(process: asyncio.subprocess.Process) -> None:
    """SIGUSR1 makes payout-service print every thread's stack (faulthandler), into the output
    the log tail shows: a process that never comes up says where it waits."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGUSR1)
        await asyncio.sleep(0.5)


def _exit(process: asyncio.subprocess.Process) -> str:
    """The exit status; asyncio reports 255 for a child it could not wait for itself."""
    code = process.returncode
    return f"{code} (or not waited for: asyncio's 'unknown child')" if code == 255 else str(code)


def _kill_group(process: asyncio.subprocess.Process) -> None:
    """SIGKILL to the process's group. Its returncode may still say None after asyncio's child
    watcher thread has reaped it (the code reaches the loop a moment later): the group is gone
    then, and killpg raises ProcessLookupError. Unhandled, that ended the supervisor task of
    the relay in two chaos runs, which then never restarted it ("never came back")."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
