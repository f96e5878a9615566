"""WEB_CONCURRENCY: `payout-service web` as a tier of processes on one port, started for real on
the embedded SQLite (no request here needs a table) and stopped every way it can be."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.processes import (
    Output,
    command_running,
    free_port,
    process_tree,
    service_environment,
    start_command,
    survivors,
)

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc; PR_SET_PDEATHSIG")

WAIT_SECONDS = 20.0
GRACEFUL_STOP = "web stopping: no new connections"


@asynccontextmanager
async def web_tier(
    tmp_path: Path, processes: int = 2, new_session: bool = False
) -> AsyncIterator[tuple[asyncio.subprocess.Process, Output, int]]:
    """`payout-service web` with WEB_CONCURRENCY `processes`, once it says it serves."""
    port = free_port()
    env = service_environment(
        DATABASE_URL=f"sqlite://{tmp_path / 'payouts.sqlite3'}",
        REDIS_URL="",
        PORT=str(port),
        WEB_CONCURRENCY=str(processes),
        METRICS_DIR=str(tmp_path / "metrics"),
        PROVIDER_WEBHOOK_SECRETS="whsec_test_only",
        LOG_LEVEL="INFO",
    )
    async with command_running("web", env=env, new_session=new_session) as (web, output):
        await output.wait_for("web serving", WAIT_SECONDS)
        yield web, output, port


async def test_two_processes_serve_the_one_port(tmp_path: Path) -> None:
    async with web_tier(tmp_path) as (web, _, port):
        listening = _listening_on(port, process_tree(web.pid))
    assert len(listening) == 2
    assert web.pid not in listening  # the parent serves nothing


async def test_a_concurrency_of_one_is_the_lone_web_process(tmp_path: Path) -> None:
    async with web_tier(tmp_path, processes=1) as (web, _, port):
        tree = process_tree(web.pid)
        listening = _listening_on(port, tree)
    assert list(tree) == [web.pid]
    assert listening == {web.pid}


async def test_metrics_count_the_requests_that_every_process_served(tmp_path: Path) -> None:
    # Given a tier of two, and requests on new connections (the kernel spreads those over both)
    async with web_tier(tmp_path) as (_, _, port):
        for _ in range(40):
            assert await _get(port, "/up") != ""
        # When /metrics is scraped, each time on a new connection, so by either process
        counted = [_up_requests(await _get(port, "/metrics")) for _ in range(8)]
    # Then every scrape counts the requests of both
    assert counted == [40.0] * 8


async def test_sigterm_to_the_parent_stops_every_process_gracefully(tmp_path: Path) -> None:
    async with web_tier(tmp_path) as (web, output, _):
        tree = process_tree(web.pid)
        web.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(web.wait(), WAIT_SECONDS)
        await output.closed()
    assert code == 0, output.text()
    assert output.text().count(GRACEFUL_STOP) == 2, output.text()
    # (multiprocessing's resource tracker, which the parent started, ends just after it)
    await _until(lambda: _none_left(tree), "a process of the tier outlived its parent")


async def test_a_process_that_dies_stops_the_others_and_the_parent_fails(tmp_path: Path) -> None:
    async with web_tier(tmp_path) as (web, output, port):
        tree = process_tree(web.pid)
        killed, other = sorted(_listening_on(port, tree))
        os.kill(killed, signal.SIGKILL)
        code = await asyncio.wait_for(web.wait(), WAIT_SECONDS)
        await output.closed()
    assert code != 0, output.text()
    assert "web process exited unexpectedly" in output.text()
    assert output.text().count(GRACEFUL_STOP) == 1  # the other one's
    assert survivors({other: tree[other]}) == []


async def test_a_parent_killed_outright_takes_its_processes_along(tmp_path: Path) -> None:
    async with web_tier(tmp_path, new_session=True) as (web, output, _):
        tree = process_tree(web.pid)
        assert len(tree) > 2
        web.send_signal(signal.SIGKILL)
        await web.wait()
        await _until(lambda: _none_left(tree), "a process of the tier outlived its parent")
        await output.closed()
    assert output.text().count(GRACEFUL_STOP) == 2, output.text()


@pytest.mark.parametrize(
    ("value", "allowed"),
    [("0", "an integer from 1 to 64"), ("65", "an integer from 1 to 64"), ("two", "an integer")],
)
async def test_a_bad_web_concurrency_is_one_line_and_exit_code_2(
    tmp_path: Path, value: str, allowed: str
) -> None:
    env = service_environment(PORT=str(free_port()), WEB_CONCURRENCY=value)
    web = await start_command("web", env=env)
    out, _ = await asyncio.wait_for(web.communicate(), WAIT_SECONDS)
    assert web.returncode == 2
    assert out.decode() == f"payout-service: WEB_CONCURRENCY must be {allowed}, not {value!r}\n"


async def test_port_0_with_several_processes_is_refused(tmp_path: Path) -> None:
    # Given PORT=0 (each process would pick a port of its own) and WEB_CONCURRENCY=2
    env = service_environment(PORT="0", WEB_CONCURRENCY="2")
    # When the web tier starts
    web = await start_command("web", env=env)
    out, _ = await asyncio.wait_for(web.communicate(), WAIT_SECONDS)
    # Then it refuses in one line, exit code 2, before starting any process
    assert web.returncode == 2
    assert out.decode() == (
        "payout-service: PORT must be a port number, not 0, when WEB_CONCURRENCY is above 1:"
        " its processes share one port\n"
    )


def _listening_on(port: int, tree: dict[int, str]) -> set[int]:
    """The processes of `tree` holding a socket that listens on 127.0.0.1:`port` (Linux /proc)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, state, inode = int(fields[1].split(":")[1], 16), fields[3], fields[9]
        if local_port == port and state == "0A":  # TCP_LISTEN
            inodes.add(f"socket:[{inode}]")
    listening = set()
    for pid in tree:
        fds = Path(f"/proc/{pid}/fd")
        try:
            if any(os.readlink(fd) in inodes for fd in fds.iterdir()):
                listening.add(pid)
        except OSError:  # ended meanwhile
            continue
    return listening


async def _get(port: int, path: str) -> str:
    """On a connection of its own: the kernel picks the process anew for each."""
    connector = aiohttp.TCPConnector(force_close=True)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        assert response.status == 200
        return await response.text()


def _up_requests(exposition: str) -> float:
    for family in text_string_to_metric_families(exposition):
        if family.name == "http_requests":
            return sum(s.value for s in family.samples if s.labels.get("route") == "/up")
    raise AssertionError("no http_requests in /metrics")


def _none_left(tree: dict[int, str]) -> bool:
    return survivors(tree) == []


async def _until(done: Callable[[], bool], failure: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not done():
        assert time.monotonic() < deadline, failure
        await asyncio.sleep(0.05)
