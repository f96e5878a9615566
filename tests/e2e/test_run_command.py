"""`payout-service run` (what `make run` starts): every Procfile process comes up on the
embedded defaults, a payout travels from the API through Redis to the workers, metrics and the
dashboard answer on their ports, a command in a second terminal finds the stack through
var/run.env, and SIGTERM stops everything, the private Redis included (and var/run.env goes)."""

from __future__ import annotations

import asyncio
import random
import signal
import socket
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from payout_service.infrastructure.db.seed import DEMO_API_KEY
from payout_service.infrastructure.dotenv import read_dotenv
from payout_service.procfile import honcho_ports, process_types
from tests.integration.cli_runs import payout_service
from tests.integration.helpers import payout_body
from tests.processes import command_running, process_tree, service_environment, survivors

WORKER_TYPES = ("events", "inbox", "provider-send", "notify")


async def test_run_starts_every_process_and_sigterm_stops_them_all(tmp_path: Path) -> None:
    # Given the embedded defaults: SQLite in a scratch folder, no REDIS_URL, and a project root
    # of the test's own (the private Redis and var/run.env go there, not into the checkout)
    base = _free_base_port(len(process_types()))
    ports = honcho_ports(base)
    root = tmp_path / "project"
    env = service_environment(
        PAYOUT_SERVICE_ROOT=str(root),
        DATABASE_URL=f"sqlite://{tmp_path}/payouts.sqlite3",
        PORT=str(base),
        METRICS_DIR=str(tmp_path / "metrics"),
    )
    env.pop("REDIS_URL", None)
    run_env = root / "var" / "run.env"

    # When `payout-service run` starts
    async with command_running("run", env=env, new_session=True) as (run, output):
        await output.wait_for("web serving", timeout=60)
        async with aiohttp.ClientSession() as http:
            # Then the API is ready, on the embedded database and the private Redis
            ready = await _get(http, f"http://127.0.0.1:{ports['web']}/ready")
            assert ready["status"] == "ready", ready

            # and a created payout reaches the provider-send workers through the relay or fast
            # path
            created = await http.post(
                f"http://127.0.0.1:{ports['web']}/api/payouts",
                json=payout_body(),
                headers={"Authorization": f"Bearer {DEMO_API_KEY}", "Idempotency-Key": "e2e"},
            )
            assert created.status == 201, await created.text()
            sent = await _scrape_until(
                http,
                ports["provider-send"],
                lambda s: s.get(("dramatiq_messages_total", "send_payout"), 0) >= 1,
            )
            # and is sent by them: Dramatiq counts a message once processed, and as an error too
            # when its actor raised
            assert sent.get(("dramatiq_message_errors_total", "send_payout"), 0) == 0, sent

            # and every process type with metrics serves them on its port (the inbox's, idle
            # since webhooks are applied as they come, has nothing to count yet)
            workers = [t for t in WORKER_TYPES if t in ports]
            for name in ("web", "relay", "reconciler", *workers):
                await _scrape_until(http, ports[name], lambda s, n=name: n == "inbox" or len(s) > 0)

            # and the dashboard shows the service's queues
            async with http.get(f"http://127.0.0.1:{ports['dashboard']}/") as page:
                html = await page.text()
            assert page.status == 200
            assert "events" in html

        # and a second terminal, elsewhere and told nothing, finds the stack in var/run.env
        stack = read_dotenv(run_env)
        assert stack["REDIS_URL"].startswith("redis://127.0.0.1:"), stack
        assert (stack["PORT"], stack["HOST"]) == (str(base), "127.0.0.1")
        assert stack["PROVIDER_WEBHOOK_SECRETS"].startswith("whsec_")
        shell = {k: v for k, v in env.items() if k not in ("DATABASE_URL", "PORT")}
        listed = await payout_service("dead-letters", "list", "--json", env=shell, cwd=tmp_path)
        assert listed.code == 0, listed.err
        assert listed.json() == {"data": [], "count": 0}

        # When SIGTERM reaches the command
        started = process_tree(run.pid)
        assert len(started) > len(ports), started  # honcho, its processes, workers, Redis
        run.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(run.wait(), 60)

    # Then it and every process it started have stopped, the embedded Redis included
    assert code == 0, output.text()
    assert survivors(started) == [], output.text()
    assert "Killing worker process" not in output.text()  # workers stopped gracefully
    assert not run_env.exists()  # no later command points at the stopped Redis


def _free_base_port(count: int) -> int:
    """A base port whose honcho ports (base + 100 * i) are all free now."""
    for _ in range(200):
        base = random.randrange(20_000, 40_000)
        if all(_is_free(base + 100 * i) for i in range(count)):
            return base
    raise AssertionError("no free block of ports")


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def _get(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(url) as response:
        return await response.json()


async def _scrape_until(
    http: aiohttp.ClientSession, port: int, done: Any
) -> dict[tuple[str, str], float]:
    """Scrapes `port` until it answers and `done(samples)`; samples keyed (name, actor_name label
    or "")."""
    samples: dict[tuple[str, str], float] = {}
    for _ in range(1_500):
        try:
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                text = await response.text() if response.status == 200 else None
        except aiohttp.ClientConnectionError:
            text = None  # not listening yet
        if text is None:
            await asyncio.sleep(0.02)
            continue
        samples = {
            (sample.name, sample.labels.get("actor_name", "")): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }
        if done(samples):
            return samples
        await asyncio.sleep(0.02)  # polling other processes: nothing to await instead
    raise AssertionError(f"port {port}: the condition never held")
