"""The database around a command's work: opened, the work run in one event loop, closed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

from payout_service.infrastructure.settings import Settings

if TYPE_CHECKING:
    from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory

T = TypeVar("T")


class WithDatabase(Protocol):
    """with_database, for the command modules that are handed it."""

    def __call__(
        self, settings: Settings, work: Callable[[SqlUnitOfWorkFactory], Awaitable[T]]
    ) -> T: ...


def with_database(settings: Settings, work: Callable[[SqlUnitOfWorkFactory], Awaitable[T]]) -> T:
    """Tortoise is imported here, not with the module: `--help` and a bad setting stay fast."""
    from payout_service.infrastructure.db.database import close_database, open_database
    from payout_service.infrastructure.db.dialect import dialect_for_url
    from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory

    async def run() -> T:
        await open_database(settings)
        try:
            return await work(SqlUnitOfWorkFactory(dialect_for_url(settings.database_url)))
        finally:
            await close_database()

    return asyncio.run(run())
