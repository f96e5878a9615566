"""SqlSession: how the repositories' statements reach the database.

On MySQL/MariaDB a statement goes straight to an asyncmy connection: the transaction's, or a
pooled one for a unit of work that only reads. Tortoise's execute_query would wrap every
statement in an asyncio lock, a translating decorator, a debug-log call and a dict built per row:
on the create-payout path that cost a large share of the web process's CPU
(bench/create_payout.py measures it). A statement with values goes as a prepared statement's
execution when the connection keeps them (DATABASE_STATEMENT_CACHE), which halved the driver's
CPU per statement. SQLite keeps Tortoise's path: it needs the dialect's `?` placeholders and
aiosqlite's own connection handling.

Errors keep the types Tortoise gives them, so callers see the same exceptions either way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import asyncmy
from asyncmy import errors as driver
from asyncmy.cursors import Cursor, DictCursor
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.mysql.client import MySQLClient
from tortoise.exceptions import IntegrityError, OperationalError

from payout_service.application.ports import TransactionConflict, UniqueViolation
from payout_service.infrastructure.db.dialect import Dialect

Row = Mapping[str, Any]

# The asyncmy errors Tortoise's MySQL client turns into its OperationalError.
_OPERATIONAL = (
    driver.OperationalError,
    driver.ProgrammingError,
    driver.DataError,
    driver.InternalError,
    driver.NotSupportedError,
)
# Lock wait timeout, deadlock: the unit of work rolls the whole transaction back on the way out.
_GAVE_UP_ON_LOCKS = {1205, 1213}


class SqlSession:
    """One transaction's connection (or, for a unit of work that only reads, the pool) and its
    dialect; turns unique violations and transactions the database gave up on
    (TransactionConflict) into the port's errors.

    One use case awaits its statements one after another; a session is never shared by
    concurrent tasks (the direct path has no lock, unlike Tortoise's), so a transaction's
    statements share two cursors: a cursor per statement cost a fifth of a statement's CPU.
    """

    def __init__(
        self, connection: BaseDBAsyncClient | asyncmy.Connection, dialect: Dialect
    ) -> None:
        """`connection`: on MySQL, a transaction's driver connection (db.transaction_pools), or
        Tortoise's client for a unit of work that only reads; on SQLite, a Tortoise
        transaction."""
        self.dialect = dialect
        self._driver = connection if isinstance(connection, asyncmy.Connection) else None
        self._client = None if isinstance(connection, asyncmy.Connection) else connection
        # MySQL outside a transaction: each statement on a pooled connection of its own, by
        # the direct path too. Tortoise's reads a prepared statement's rows wrongly (it looks
        # for them where only a text statement leaves them).
        self._pool = connection if isinstance(connection, MySQLClient) else None
        self._cursors: dict[type[Cursor], Cursor] = {}

    async def commit(self) -> None:
        try:
            if self._driver is not None:
                await self._driver.commit()
            else:
                await self._client.commit()  # type: ignore[union-attr]
        except _OPERATIONAL as exc:
            raise _operational(exc) from exc

    async def rollback(self) -> None:
        if self._driver is not None:
            await self._driver.rollback()
        else:
            await self._client.rollback()  # type: ignore[union-attr]

    async def rows(self, statement: str, *values: Any) -> list[Row]:
        try:
            if self._driver is not None:
                return await _rows(self._cursor(DictCursor), statement, values)
            if self._pool is not None:
                async with self._pooled(DictCursor) as cursor:
                    return await _rows(cursor, statement, values)
        except driver.IntegrityError as exc:
            raise IntegrityError(exc) from exc
        except _OPERATIONAL as exc:
            raise _operational(exc) from exc
        assert self._client is not None
        _, rows = await self._client.execute_query(self.dialect.sql(statement), list(values))
        return rows  # type: ignore[return-value]

    async def insert(self, statement: str, *values: Any) -> int:
        """Runs an INSERT of one row; returns the row's new auto-increment id."""
        try:
            if self._driver is not None:
                cursor = self._cursor(Cursor)
                await cursor.execute(statement, values)
                return int(cursor.lastrowid)
            if self._pool is not None:
                async with self._pooled(Cursor) as cursor:
                    await cursor.execute(statement, values)
                    return int(cursor.lastrowid)
            assert self._client is not None
            return int(await self._client.execute_insert(self.dialect.sql(statement), list(values)))
        except (IntegrityError, driver.IntegrityError) as exc:
            raise UniqueViolation(str(exc)) from exc
        except _OPERATIONAL as exc:
            raise _operational(exc) from exc

    async def execute(self, statement: str, *values: Any) -> int:
        """Returns the number of rows the statement changed."""
        try:
            if self._driver is not None:
                return int(await self._cursor(Cursor).execute(statement, values))  # rows changed
            if self._pool is not None:
                async with self._pooled(Cursor) as cursor:
                    return int(await cursor.execute(statement, values))
            assert self._client is not None
            count, _ = await self._client.execute_query(self.dialect.sql(statement), list(values))
            return count
        except (IntegrityError, driver.IntegrityError) as exc:
            raise UniqueViolation(str(exc)) from exc
        except _OPERATIONAL as exc:
            raise _operational(exc) from exc

    def _cursor(self, kind: type[Cursor]) -> Cursor:
        """The transaction's cursor of this kind, opened on first use."""
        cursor = self._cursors.get(kind)
        if cursor is None:
            assert self._driver is not None
            cursor = self._cursors[kind] = self._driver.cursor(kind)
        return cursor

    @asynccontextmanager
    async def _pooled(self, kind: type[Cursor]) -> AsyncIterator[Cursor]:
        """A cursor of this kind on a pooled connection, for one statement."""
        assert self._pool is not None
        async with self._pool.acquire_connection() as pooled, pooled.cursor(kind) as cursor:
            yield cursor


async def _rows(cursor: Cursor, statement: str, values: tuple[Any, ...]) -> list[Row]:
    await cursor.execute(statement, values)
    return list(await cursor.fetchall())


def _operational(exc: Exception) -> Exception:
    if exc.args and exc.args[0] in _GAVE_UP_ON_LOCKS:
        return TransactionConflict(str(exc))
    return OperationalError(exc)
