"""Opening and closing the database: Tortoise's configuration built from the settings."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from tortoise import Tortoise
from tortoise.backends.mysql.client import MySQLClient

from payout_service.infrastructure.db import transaction_pools
from payout_service.infrastructure.settings import Settings

MODELS = ["payout_service.infrastructure.db.models", "aerich.models"]


READ_COMMITTED_CONNECTION = "read_committed"


def tortoise_config(settings: Settings) -> dict[str, Any]:
    """On MySQL, besides the default connection (REPEATABLE READ, the server's default), a
    pool whose transactions run at READ COMMITTED, where REPEATABLE READ's gap locks did harm:
    - outbox claims: a claim scans with FOR UPDATE SKIP LOCKED, and under REPEATABLE READ a
      scan keeps the lock of every row it read, matching or not. The relay's pass then hid rows
      the web had just committed from the fast path, and they waited for the relay's next pass;
    - the books: their has-settled checks (locking reads by payout id) locked the index gaps
      around each payout of a batch, and a create whose hold fell into one deadlocked with the
      batch over its account's row lock."""
    connections = {"default": _connection_url(settings, {})}
    if not settings.is_sqlite:
        connections[READ_COMMITTED_CONNECTION] = _connection_url(
            settings,
            {
                "maxsize": str(settings.database_pool_size),
                "init_command": "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
            },
        )
    return {
        "connections": connections,
        "apps": {"models": {"models": MODELS, "default_connection": "default"}},
        "use_tz": False,
        "timezone": "UTC",
    }


def _connection_url(settings: Settings, overrides: dict[str, str]) -> str:
    parts = urlsplit(settings.database_url)
    if parts.scheme == "sqlite":
        # Several processes share the file: wait for the writer instead of failing at once.
        extra = {"busy_timeout": "10000", "synchronous": "FULL"}
    else:
        extra = {
            "minsize": "1",
            "maxsize": str(settings.database_pool_size),
            "stmt_cache_size": str(settings.database_statement_cache),
        }
    query = "&".join(q for q in (parts.query, urlencode(extra | overrides)) if q)
    return urlunsplit(parts._replace(query=query))


async def open_database(settings: Settings) -> None:
    if settings.is_sqlite:
        _make_parent_directory(settings.database_url)
        _begin_sqlite_transactions_immediately()
    # Global fallback: actors run as separate tasks on the worker's loop and must all see it.
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)


async def connect_now() -> None:
    """Opens the default pools' first connections, which are otherwise left to the first query."""
    client = Tortoise.get_connection("default")
    await client.execute_query("SELECT 1")
    if isinstance(client, MySQLClient):
        await transaction_pools.open_pool("default")


async def close_database() -> None:
    await transaction_pools.close_all()
    await Tortoise.close_connections()


def _make_parent_directory(database_url: str) -> None:
    from pathlib import Path

    path = database_url.removeprefix("sqlite://")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _begin_sqlite_transactions_immediately() -> None:
    """Tortoise opens SQLite transactions with a deferred BEGIN. With several processes on one
    file, a deferred transaction that read first fails with SQLITE_BUSY when it tries to write
    after another process did; BEGIN IMMEDIATE takes the write lock up front and waits for it
    (busy_timeout) instead."""
    import sqlite3

    from tortoise.backends.sqlite.client import SqliteTransactionWrapper
    from tortoise.exceptions import TransactionManagementError

    async def begin(self: SqliteTransactionWrapper) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc

    SqliteTransactionWrapper.begin = begin  # type: ignore[method-assign]
