"""Driving HTTP load with wrk (C, event loop), so the load generator costs little of the CPU
the service under test shares with it; a Python client would eat a core by itself."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CREATE_PAYOUT_SCRIPT = Path(__file__).with_name("create_payout.lua")


class WrkUnavailable(RuntimeError):
    """wrk is not installed and could not be installed here."""


@dataclass(frozen=True, slots=True)
class WrkResult:
    run_id: str  # every external_reference (and Idempotency-Key) of the run starts with it
    requests: int
    seconds: float
    statuses: dict[int, int]
    socket_errors: int
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def not_created(self) -> int:
        """Responses other than 201, plus requests that got no response at all."""
        return sum(n for s, n in self.statuses.items() if s != 201) + self.socket_errors


def ensure_wrk() -> str:
    """The path of wrk, installing Debian's package when it is missing and apt-get is here."""
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get") is None:
        raise WrkUnavailable("wrk is not installed and apt-get is not available: install wrk")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for step in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        if subprocess.run(sudo + step, env=env, check=False).returncode != 0:
            raise WrkUnavailable(f"`{' '.join(sudo + step)}` failed: install wrk by hand")
    found = shutil.which("wrk")
    if not found:
        raise WrkUnavailable("apt-get installed no wrk binary on PATH")
    return found


def run_create_payouts(
    base_url: str, connections: int, seconds: float, users: int, run_id: str
) -> WrkResult:
    """POSTs payouts over `connections` keep-alive connections (one wrk thread) for `seconds`."""
    command = [
        ensure_wrk(),
        "--threads=1",
        f"--connections={connections}",
        f"--duration={seconds:g}s",
        "--timeout=10s",
        f"--script={CREATE_PAYOUT_SCRIPT}",
        base_url,
        "--",
        "1",
        str(users),
        run_id,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0 or "SUMMARY" not in done.stdout:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return _parse(run_id, done.stdout)


def _parse(run_id: str, output: str) -> WrkResult:
    statuses: dict[int, int] = {}
    summary: dict[str, int] = {}
    for line in output.splitlines():
        word, _, rest = line.partition(" ")
        if word == "STATUS":
            status, count = rest.split()
            statuses[int(status)] = int(count)
        elif word == "SUMMARY":
            summary = {k: int(v) for k, v in (item.split("=") for item in rest.split())}
    return WrkResult(
        run_id=run_id,
        requests=summary["requests"],
        seconds=summary["duration_us"] / 1e6,
        statuses=statuses,
        socket_errors=summary["socket_errors"],
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
    )
