"""SqlSession: how the repositories' statements reach the database inside one transaction.

On MySQL/MariaDB a statement goes straight to the transaction's asyncmy connection. Tortoise's
execute_query would wrap every statement in an asyncio lock, a translating decorator, a debug-log
call and a dict built per row: on the create-payout path (seven statements per request) that cost
a large share of the web process's CPU (bench/create_payout.py measures it). SQLite keeps
Tortoise's path: it needs the dialect's `?` placeholders and aiosqlite's own connection handling.

Errors keep the types Tortoise gives them, so callers see the same exceptions either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncmy
from asyncmy import errors as driver
from asyncmy.cursors import DictCursor
from tortoise.backends.base.client import BaseDBAsyncClient
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
    """One transaction's connection and its dialect; turns unique violations and transactions
    the database gave up on (TransactionConflict) into the port's errors.

    One use case awaits its statements one after another; a session is never shared by
    concurrent tasks (the direct path has no lock, unlike Tortoise's).
    """

    def __init__(self, connection: BaseDBAsyncClient, dialect: Dialect) -> None:
        self.connection = connection
        self.dialect = dialect
        self._driver = _asyncmy_connection_of(connection)

    async def rows(self, statement: str, *values: Any) -> list[Row]:
        if self._driver is None:
            _, rows = await self.connection.execute_query(self.dialect.sql(statement), list(values))
            return rows  # type: ignore[return-value]
        try:
            async with self._driver.cursor(DictCursor) as cursor:
                await cursor.execute(statement, values)
                found: list[Row] = list(await cursor.fetchall())
                return found
        except driver.IntegrityError as exc:
            raise IntegrityError(exc) from exc
        except _OPERATIONAL as exc:
            raise _operational(exc) from exc

    async def insert(self, statement: str, *values: Any) -> int:
        """Runs an INSERT of one row; returns the row's new auto-increment id."""
        try:
            if self._driver is None:
                return int(
                    await self.connection.execute_insert(self.dialect.sql(statement), list(values))
                )
            async with self._driver.cursor() as cursor:
                await cursor.execute(statement, values)
                return int(cursor.lastrowid)
        except (IntegrityError, driver.IntegrityError) as exc:
            raise UniqueViolation(str(exc)) from exc
        except _OPERATIONAL as exc:
            raise _operational(exc) from exc

    async def execute(self, statement: str, *values: Any) -> int:
        """Returns the number of rows the statement changed."""
        try:
            if self._driver is None:
                count, _ = await self.connection.execute_query(
                    self.dialect.sql(statement), list(values)
                )
                return count
            async with self._driver.cursor() as cursor:
                return await cursor.execute(statement, values)  # the affected rows
        except (IntegrityError, driver.IntegrityError) as exc:
            raise UniqueViolation(str(exc)) from exc
        except _OPERATIONAL as exc:
            raise _operational(exc) from exc


def _operational(exc: Exception) -> Exception:
    if exc.args and exc.args[0] in _GAVE_UP_ON_LOCKS:
        return TransactionConflict(str(exc))
    return OperationalError(exc)


def _asyncmy_connection_of(connection: BaseDBAsyncClient) -> asyncmy.Connection | None:
    """The driver connection a Tortoise MySQL transaction holds; None for anything else."""
    held = getattr(connection, "_connection", None)
    return held if isinstance(held, asyncmy.Connection) else None
