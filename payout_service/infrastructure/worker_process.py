"""Starting one Dramatiq worker instance (`payout-service worker`), metrics included.

A `dramatiq` command is a parent, its worker processes and a forked exposition server. Metrics
use prometheus-client's multiprocess mode: the worker processes count (Dramatiq's Prometheus
middleware and the service's counters) into files, and the exposition server sums the files on
every scrape. Each worker instance gets a directory of its own, <METRICS_DIR>/worker-<PORT>,
emptied at start (files left by a previous run would add old counts), passed on through the
variables the `dramatiq` command and prometheus-client read: dramatiq_prom_db, dramatiq_prom_port,
dramatiq_prom_host and PROMETHEUS_MULTIPROC_DIR; PROMETHEUS_DISABLE_CREATED_SERIES keeps every
registry of those processes from exporting `*_created` series (as the web and relay export none).
"""

from __future__ import annotations

import os
import sys

from payout_service.application.event_routes import PROVIDER_SEND
from payout_service.infrastructure.metrics import (
    MULTIPROCESS_DIRECTORY,
    fresh_multiprocess_directory,
)
from payout_service.infrastructure.settings import Settings

# Worker threads per process unless `--threads` says otherwise (see worker_threads).
DEFAULT_THREADS = 4


def worker_metrics_environment(settings: Settings, port: int) -> dict[str, str]:
    directory = fresh_multiprocess_directory(settings.metrics_dir, f"worker-{port}")
    return {
        MULTIPROCESS_DIRECTORY: str(directory),
        "dramatiq_prom_db": str(directory),
        "dramatiq_prom_port": str(port),
        "dramatiq_prom_host": settings.host,
        "PROMETHEUS_DISABLE_CREATED_SERIES": "True",
    }


def worker_threads(queues: list[str], settings: Settings) -> int:
    """A worker process handles as many messages at once as it has threads: on the provider-send
    queue that is how many payouts it sends side by side, PROVIDER_SEND_CONCURRENCY."""
    if PROVIDER_SEND.queue in queues:
        return settings.provider_send_concurrency
    return DEFAULT_THREADS


def dramatiq_command(
    queues: list[str], processes: int, threads: int, shutdown_timeout_seconds: int
) -> list[str]:
    """Workers stop on SIGTERM/SIGINT: they take no new message, finish the ones in hand within
    the timeout and hand back the ones they had prefetched (Dramatiq's own shutdown)."""
    return [
        sys.executable,
        "-m",
        "dramatiq",
        "actors.worker",
        "--queues",
        *queues,
        "--processes",
        str(processes),
        "--threads",
        str(threads),
        "--worker-shutdown-timeout",
        str(shutdown_timeout_seconds * 1000),
    ]


def exec_worker(settings: Settings, command: list[str], port: int) -> None:
    """Replaces this process with the `dramatiq` command (same pid: signals reach it directly)."""
    env = {**os.environ, **worker_metrics_environment(settings, port)}
    os.execve(command[0], command, env)
