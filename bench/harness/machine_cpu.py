"""Busy CPU time of the whole machine over a block: every process, MariaDB and Redis included.

On a machine where the load generator, the service and its databases share the cores, the CPU a
payout costs, from end to end, bounds how many payouts per second the machine can carry.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


@dataclass
class BusyTime:
    seconds: float = 0.0


@contextmanager
def machine_busy_time() -> Iterator[BusyTime]:
    """Yields a BusyTime filled in when the block ends: CPU-seconds spent not idle (all cores)."""
    spent = BusyTime()
    before = _busy_ticks()
    yield spent
    spent.seconds = (_busy_ticks() - before) / _TICKS_PER_SECOND


def _busy_ticks() -> int:
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle, iowait = fields[3], fields[4]
    return sum(fields[:8]) - idle - iowait  # user .. steal; guest time is already in user
