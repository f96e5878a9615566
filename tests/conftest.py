"""Shared fixtures: real databases (SQLite file, MariaDB from TEST_MYSQL_URL), a real Redis.

A real service that is not configured skips its tests locally but fails them in CI (CI=true),
so CI can never pass by skipping.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from tortoise import Tortoise

from payout_service.bootstrap import Services, build_services
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.database import close_database, open_database
from payout_service.infrastructure.db.dialect import dialect_for_url
from payout_service.infrastructure.db.migrations import apply_migrations
from payout_service.infrastructure.db.seed import DEMO_API_KEY, seed_demo
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings

TABLES = (
    "webhook_delivery_attempts",
    "webhook_deliveries",
    "webhook_endpoints",
    "client_events",
    "user_event_sequences",
    "provider_webhook_conflicts",
    "provider_webhook_events",
    "processed_messages",
    "audit_logs",
    "outbox_messages",
    "idempotency_keys",
    "account_credits",
    "account_ledger_entries",
    "payout_send_attempts",
    "payouts",
    "payout_batches",
    "user_accounts",
    "api_keys",
    "users",
)


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not set: CI must run against the real service")
        pytest.skip(f"{name} not set (run `make test`, which starts the real service)")
    return value


@pytest.fixture(scope="session")
def mysql_server_url() -> str:
    return _required("TEST_MYSQL_URL")


@pytest.fixture(scope="session")
def redis_url() -> str:
    return _required("TEST_REDIS_URL")


@pytest.fixture(scope="session")
def mysql_url(mysql_server_url: str) -> Iterator[str]:
    """A migrated database of this test session's own, on the real server."""
    base, _, _ = mysql_server_url.rpartition("/")
    url = f"{base}/payouts_test_{uuid.uuid4().hex[:8]}"
    settings = Settings(database_url=url)

    async def migrate() -> None:
        await apply_migrations(settings)
        await close_database()

    _run_outside_test_loop(migrate())
    yield url
    _run_outside_test_loop(drop_database(url))


def _run_outside_test_loop(work: Coroutine[Any, Any, None]) -> None:
    """Session setup on a loop of its own; asyncio.run would unset the tests' current loop."""
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(work)
    finally:
        loop.close()


async def drop_database(url: str) -> None:
    from urllib.parse import unquote, urlsplit

    import asyncmy

    parts = urlsplit(url)
    connection = await asyncmy.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(f"DROP DATABASE IF EXISTS `{parts.path.lstrip('/')}`")
    finally:
        connection.close()


@pytest.fixture(params=["sqlite", "mysql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Runs the test once on the embedded SQLite default and once on real MariaDB."""
    if request.param == "sqlite":
        return f"sqlite://{tmp_path}/payouts.sqlite3"
    return str(request.getfixturevalue("mysql_url"))


@pytest.fixture
async def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=os.environ.get("TEST_REDIS_URL", ""),
        # the tests' webhook receivers listen on http://127.0.0.1
        outgoing_webhooks_allow_http_loopback="on",
    )


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database with the schema, made once: a test's new SQLite database starts
    as a copy of it (a copy takes a millisecond, creating the schema some 50 ms)."""
    path = tmp_path_factory.mktemp("sqlite-schema") / "payouts.sqlite3"

    async def create() -> None:
        await apply_migrations(Settings(database_url=f"sqlite://{path}"))
        await close_database()

    _run_outside_test_loop(create())
    return path


def _copied_schema(settings: Settings, schema: Path) -> bool:
    """Copies the schema to the settings' SQLite file when there is none yet; whether it did."""
    target = Path(settings.database_url.removeprefix("sqlite://"))
    if target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(schema, target)
    return True


@pytest.fixture
async def db(settings: Settings, sqlite_schema: Path) -> AsyncIterator[SqlUnitOfWorkFactory]:
    """An open, empty, migrated database with the demo data seeded.

    Closed even when the set-up fails: Tortoise's global context would otherwise outlive the test
    and make every later Tortoise.init fail.
    """
    try:
        if settings.is_sqlite:
            new = _copied_schema(settings, sqlite_schema)
            if new:
                await open_database(settings)  # the copy has every table
            else:
                await apply_migrations(settings)  # the tables the file lacks, if any
        else:
            new = False
            await open_database(settings)
        if not new:
            await _empty_tables(settings)
        uow = SqlUnitOfWorkFactory(dialect_for_url(settings.database_url))
        await seed_demo(uow, SystemClock().now())
        yield uow
    finally:
        await close_database()


async def _empty_tables(settings: Settings) -> None:
    connection = Tortoise.get_connection("default")
    for table in TABLES:
        await connection.execute_script(f"DELETE FROM {table}")


@pytest.fixture
def services(settings: Settings, db: SqlUnitOfWorkFactory) -> Services:
    return build_services(settings)


@pytest.fixture
async def api(services: Services, aiohttp_client):  # type: ignore[no-untyped-def]
    """An HTTP client on the real app, with the demo user's key unless a test sends another.

    `services` (and so the database) comes first: fixtures are torn down in reverse, so the app
    and its background tasks stop before the database closes under them.
    """
    from payout_service.web.app import create_app

    return await aiohttp_client(create_app(services))


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {DEMO_API_KEY}"}
