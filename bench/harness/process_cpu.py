"""CPU time per process type over a block, read from /proc: a process type is either a session
(a started process type leads one, and a Dramatiq worker's forked children stay in it) or every
process whose command is one of some names (MariaDB, Redis, started outside the bench).

What a process spent before the block started is subtracted; a process that ends inside the block
loses what it spent (none of the measured ones does).
"""

from __future__ import annotations

import os
import resource
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
LOAD_GENERATOR = "load generator"


@dataclass(frozen=True, slots=True)
class ProcessGroup:
    """`session`: the pid leading the session; or `pid`: one process; or `commands`: process
    names (/proc/PID/comm)."""

    name: str
    session: int | None = None
    pid: int | None = None
    commands: tuple[str, ...] = ()


@dataclass
class CpuSpent:
    seconds: dict[str, float] = field(default_factory=dict)  # by group name, filled at the end


@contextmanager
def cpu_by_group(groups: Sequence[ProcessGroup]) -> Iterator[CpuSpent]:
    """Yields a CpuSpent filled in when the block ends: each group's CPU-seconds (user + system)
    in the block, and this process's own as LOAD_GENERATOR."""
    spent = CpuSpent()
    before = _ticks_by_group(groups)
    own_before = _own_seconds()
    yield spent
    after = _ticks_by_group(groups)
    spent.seconds = {
        g.name: (after.get(g.name, 0) - before.get(g.name, 0)) / _TICKS_PER_SECOND for g in groups
    }
    spent.seconds[LOAD_GENERATOR] = _own_seconds() - own_before


def _own_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _ticks_by_group(groups: Sequence[ProcessGroup]) -> Mapping[str, int]:
    by_session = {g.session: g.name for g in groups if g.session is not None}
    by_pid = {g.pid: g.name for g in groups if g.pid is not None}
    by_command = {c: g.name for g in groups for c in g.commands}
    ticks: dict[str, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _stat(entry)
        if stat is None:
            continue
        comm, session, used = stat
        name = by_pid.get(int(entry.name)) or by_session.get(session) or by_command.get(comm)
        if name is not None:
            ticks[name] = ticks.get(name, 0) + used
    return ticks


def _stat(entry: Path) -> tuple[str, int, int] | None:
    """(command, session id, user + system ticks) of one process; None when it has gone."""
    try:
        text = (entry / "stat").read_text()
    except OSError:
        return None
    # The command sits in parentheses and may hold spaces: the other fields follow the last ")".
    comm = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    session = int(fields[3])
    utime, stime = int(fields[11]), int(fields[12])
    return comm, session, utime + stime
