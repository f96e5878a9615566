"""A throwaway, migrated database on the real MySQL/MariaDB server, seeded with rich accounts.

Each scenario gets a database of its own (created with the service's own migrations, dropped
afterwards), so one scenario's rows never slow another's.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

import asyncmy

from payout_service.infrastructure.db.database import close_database, open_database
from payout_service.infrastructure.db.dialect import MYSQL
from payout_service.infrastructure.db.migrations import apply_migrations
from payout_service.infrastructure.db.seed import add_api_key, open_account
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings

CURRENCY = "USD"
# Far more than any run can hold at 1.00 per payout: insufficient funds never shapes a figure.
BALANCE_MINOR = 10**15


def bench_api_key(user_id: int) -> str:
    """The API key seeded for a bench user; the wrk script builds the same string."""
    return f"psk_bench_{user_id}"


@dataclass(frozen=True, slots=True)
class ConnectionParams:
    host: str
    port: int
    user: str
    password: str
    database: str

    @classmethod
    def from_url(cls, url: str) -> ConnectionParams:
        parts = urlsplit(url)
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 3306,
            user=unquote(parts.username or "root"),
            password=unquote(parts.password or ""),
            database=parts.path.lstrip("/"),
        )

    async def connect(
        self, with_database: bool = True, autocommit: bool = True
    ) -> asyncmy.Connection:
        """Connected as the service's pools connect: utf8mb4, strict mode, as many statements
        kept prepared (DATABASE_STATEMENT_CACHE's default), and autocommit on, as for reads, or
        off, as the unit of work's transactions run (db.transaction_pools)."""
        return await asyncmy.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            db=self.database if with_database else None,
            autocommit=autocommit,
            charset="utf8mb4",
            sql_mode="STRICT_TRANS_TABLES",
            stmt_cache_size=Settings().database_statement_cache,
        )


@asynccontextmanager
async def bench_database(server_url: str, users: int) -> AsyncIterator[str]:
    """Yields the URL of a fresh database with users 1..`users`, one USD account each."""
    base, _, _ = server_url.rpartition("/")
    url = f"{base}/payouts_bench_{uuid.uuid4().hex[:8]}"
    try:
        await apply_migrations(Settings(database_url=url))
        await close_database()
        await _seed(url, users)
        yield url
    finally:
        await _drop(ConnectionParams.from_url(url))


async def _seed(url: str, users: int) -> None:
    """Through the service's own repositories, so the rows follow the schema as it changes."""
    now = datetime.now(UTC)
    await open_database(Settings(database_url=url))
    try:
        async with SqlUnitOfWorkFactory(MYSQL)() as tx:
            s = tx.session
            for user_id in range(1, users + 1):
                await s.execute(
                    "INSERT INTO users (id, name, created_at) VALUES (%s, %s, %s)",
                    user_id,
                    f"bench user {user_id}",
                    s.dialect.to_db(now),
                )
                await add_api_key(s, user_id, bench_api_key(user_id), "bench", now)
                account = await open_account(s, user_id, CURRENCY, now)
                entry = account.deposit(BALANCE_MINOR)
                await tx.accounts.save_balances(account, now)
                await tx.accounts.append_entry(entry, now)
            await tx.commit()
    finally:
        await close_database()


async def pending_outbox_rows(url: str, reference_prefix: str) -> int:
    """Unpublished outbox rows of the payouts whose external_reference starts with the prefix."""
    connection = await ConnectionParams.from_url(url).connect()
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(
                "SELECT COUNT(*) FROM outbox_messages WHERE status = 'pending' AND payload LIKE %s",
                [f'%"external_reference":"{reference_prefix}%'],
            )
            ((count,),) = await cursor.fetchall()
            return int(count)
    finally:
        connection.close()


async def _drop(params: ConnectionParams) -> None:
    connection = await params.connect(with_database=False)
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(f"DROP DATABASE IF EXISTS `{params.database}`")
    finally:
        connection.close()
