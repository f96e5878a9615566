"""The Procfile's process types and the ports honcho gives them.

`release` is Heroku's release phase: it runs once per deploy (the migrations) and exits, before
the new version's processes start. `payout-service run` migrates by itself, so it has honcho start
the long-running types only, by name: honcho would stop every process as soon as `release` exited.

honcho hands PORT to each process type it is told to start, in that order: the base port, then
+100 per type (+1 per extra instance of a type). `payout-service run` prints the resulting
addresses; the README lists them for the default base port 8000.
"""

from __future__ import annotations

from pathlib import Path

PROCFILE = Path(__file__).resolve().parents[1] / "Procfile"

# The process types that run once and exit, never beside the others.
RUN_ONCE = frozenset({"release"})

# What a process type serves on its PORT (honcho gives every type one, used or not).
SERVES = {
    "web": "the API; GET /metrics, /ready",
    "relay": "GET /metrics",
    "events": "GET /metrics (Dramatiq workers)",
    "inbox": "GET /metrics (Dramatiq workers)",
    "provider-send": "GET /metrics (Dramatiq workers)",
    "provider-mock": "the stand-in payment provider",
    "reconciler": "GET /metrics; asks the provider about late payouts",
    "dashboard": "the Dramatiq dashboard",
    "notify": "GET /metrics (Dramatiq workers)",
}


def process_types(procfile: Path = PROCFILE) -> list[str]:
    names = []
    for line in procfile.read_text().splitlines():
        name, colon, _ = line.partition(":")
        if colon and name.strip() and not name.lstrip().startswith("#"):
            names.append(name.strip())
    return names


def long_running_types(procfile: Path = PROCFILE) -> list[str]:
    return [name for name in process_types(procfile) if name not in RUN_ONCE]


def honcho_ports(base_port: int, procfile: Path = PROCFILE) -> dict[str, int]:
    """Each long-running type's port, in Procfile order: what honcho gives them when it is
    told to start them by name, in this order (`payout-service run` does)."""
    return {name: base_port + 100 * i for i, name in enumerate(long_running_types(procfile))}


def serves_http(name: str) -> bool:
    return not SERVES.get(name, "").startswith("no port")
