"""A worker opens its database when it boots, not with its first message: Tortoise's first init
reads every model's source, a cost the first message of each worker paid (a tenth of the workers'
CPU in the end-to-end bench). Real `dramatiq` worker and MariaDB, whose process list shows the
worker's connections."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from tests.integration.helpers import mysql_connection
from tests.integration.processes import environment, eventually, running_worker


@pytest.fixture
def database_url(mysql_url: str) -> str:
    """MariaDB lists each process's connections; SQLite has none to see."""
    return mysql_url


async def connections_to(url: str) -> int:
    """Connections to the database of `url`, this one included."""
    connection = await mysql_connection(url, autocommit=True)
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(
                "SELECT COUNT(*) FROM information_schema.processlist WHERE db = %s",
                (urlsplit(url).path.lstrip("/"),),
            )
            (count,) = await cursor.fetchone()
        return int(count)
    finally:
        connection.close()


async def test_a_worker_connects_to_its_database_at_boot_before_any_message(
    outbox_settings: Settings, db: SqlUnitOfWorkFactory, tmp_path: Path
) -> None:
    # Given the connections the test itself holds to its database
    url = outbox_settings.database_url
    before = await connections_to(url)

    # When a worker boots and no message comes
    async with running_worker(environment(outbox_settings, tmp_path), ["events"]):
        # Then it has connected already, ready for its first message
        await eventually(
            lambda: connections_to(url),
            lambda count: count > before,
            what="the worker's connection to its database",
        )


async def test_a_worker_runs_its_actors_on_uvloop_and_parses_redis_replies_with_hiredis(
    outbox_settings: Settings, tmp_path: Path
) -> None:
    # Given a worker process's environment, as the Procfile gives it
    probe = (
        "import dramatiq.asyncio, logging\n"
        "import actors.worker\n"
        "loop = dramatiq.asyncio.EventLoopThread(logging.getLogger()).loop\n"
        "connection = actors.worker.broker.client.connection_pool.make_connection()\n"
        "print(type(loop).__module__, type(connection._parser).__name__)\n"
    )

    # When the worker module loads and its AsyncIO middleware makes the actors' event loop
    result = await asyncio.create_subprocess_exec(
        sys.executable, "-c", probe,
        env=environment(outbox_settings, tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(result.communicate(), 60)

    # Then the loop is uvloop's (database round trips and provider calls are a loop's turns, in C)
    # and Redis replies go through hiredis (every message is a fetch and an ack)
    assert result.returncode == 0, err.decode()
    loop_module, parser = out.decode().split()
    assert loop_module == "uvloop"
    assert parser == "HiredisParser"
