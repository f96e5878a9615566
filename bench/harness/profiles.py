"""Sampling profiles of running processes with py-spy (it reads a process's memory from outside:
the process runs unchanged), and what dominates them.

`py-spy record --format raw` writes collapsed stacks, one line per distinct stack: frames
outermost first, separated by ";", then the number of samples. The summary counts, per function,
the samples it is on the stack at all (inclusive) and on top of it (self).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from bench.harness.service_processes import RunningProcess

SAMPLES_PER_SECOND = 97  # not a multiple of a timer's tick, so no loop is sampled in lockstep
LONGEST_SECONDS = 900  # py-spy stops by itself then, should the bench never stop it
IDLE_FRAMES = (
    "select (selectors.py",
    "_worker (concurrent/futures/thread.py",
    "wait (threading.py",
)


def py_spy() -> str | None:
    """py-spy next to this Python (the dev install), else on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


@asynccontextmanager
async def recording(processes: Sequence[RunningProcess], folder: Path) -> AsyncIterator[None]:
    """Records each process (its forked children too) over the block into folder/NAME.txt."""
    binary = py_spy()
    if binary is None:
        raise RuntimeError("py-spy is not installed (it is in the project's dev dependencies)")
    folder.mkdir(parents=True, exist_ok=True)
    recorders = [await _record(binary, process, folder) for process in processes]
    try:
        yield
    finally:
        for recorder in recorders:
            with contextlib.suppress(ProcessLookupError):
                recorder.send_signal(signal.SIGINT)  # py-spy writes what it has, then exits
        for recorder in recorders:
            await asyncio.wait_for(recorder.wait(), 60)


async def _record(binary: str, process: RunningProcess, folder: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        binary, "record", "--pid", str(process.pid), "--subprocesses", "--nonblocking",
        "--rate", str(SAMPLES_PER_SECOND), "--duration", str(LONGEST_SECONDS),
        "--format", "raw", "--output", str(folder / f"{process.name}.txt"),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


def summary(collapsed: Path, top: int = 12) -> str:
    """The functions with the most samples on top of the stack (self) and anywhere in it
    (inclusive), as shares of the samples that were not idle waiting."""
    own: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    busy = 0
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = [_short(f) for f in stack.split(";")]
        if frames and any(frames[-1].startswith(idle) for idle in IDLE_FRAMES):
            continue
        count = int(count_text)
        busy += count
        own[frames[-1]] += count
        for frame in set(frames):
            anywhere[frame] += count
    if not busy:
        return f"{collapsed.stem}: no busy samples\n"
    lines = [f"{collapsed.stem}: {busy:,} busy samples"]
    lines.append("  self:")
    lines += [f"    {n / busy:5.1%}  {frame}" for frame, n in own.most_common(top)]
    lines.append("  inclusive:")
    lines += [f"    {n / busy:5.1%}  {frame}" for frame, n in _inclusive(anywhere, busy, top)]
    return "\n".join(lines) + "\n"


def _inclusive(anywhere: Counter[str], busy: int, top: int) -> list[tuple[str, int]]:
    """The most inclusive frames, leaving out the ones on (nearly) every stack (the event loop,
    the thread's run), which say nothing."""
    return [(f, n) for f, n in anywhere.most_common() if n < 0.9 * busy][:top]


def _short(frame: str) -> str:
    """`fn (path/to/site-packages/pkg/mod.py:12)` -> `fn (pkg/mod.py)`: lines vary, paths are
    long."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/lib/python3.11/", "/work/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    parts = where.split("/")
    return f"{name} ({'/'.join(parts[-2:])})"
