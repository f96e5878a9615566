"""An earlier commit's own end-to-end bench, run now on this machine: the limit a figure is judged
against has to be measured in the same run, not remembered from another day (this machine's speed
drifts by half from one hour to the next).

The commit is checked out into a temporary git worktree and its bench/end_to_end.py runs there,
against the same MariaDB server and with the same payouts and concurrency, with this virtualenv's
Python (`python -m` puts the worktree first on the import path: its code, not this checkout's).
Its "end to end:" line gives the rate and the machine CPU per payout.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 1_200
_END_TO_END = re.compile(
    r"end to end: ([\d,.]+) payouts/s .*?([\d.]+) ms of (?:machine )?CPU per payout"
)


@dataclass(frozen=True, slots=True)
class BaselineRun:
    commit: str
    rate: float
    machine_ms: float


class BaselineUnavailable(Exception):
    """The commit could not be checked out or its bench gave no figure; the reason says which."""


def run_end_to_end_at(commit: str, payouts: int, concurrency: int) -> BaselineRun:
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as scratch:
        tree = Path(scratch) / "tree"
        _git("worktree", "add", "--detach", str(tree), commit)
        command = [sys.executable, "-m", "bench.end_to_end", f"--payouts={payouts}"]
        try:
            done = subprocess.run(
                [*command, f"--concurrency={concurrency}"],
                cwd=tree,
                env=os.environ.copy(),
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
            )
        finally:
            _git("worktree", "remove", "--force", str(tree))
    found = _END_TO_END.search(done.stdout)
    if done.returncode != 0 or found is None:
        last = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
        raise BaselineUnavailable(f"its bench exited {done.returncode}: {last[0]}")
    return BaselineRun(commit, float(found.group(1).replace(",", "")), float(found.group(2)))


def _git(*args: str) -> None:
    try:
        subprocess.run(["git", *args], cwd=PROJECT_ROOT, check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise BaselineUnavailable(f"git {args[0]} failed: {detail.strip()}") from None
