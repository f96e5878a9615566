"""Operator chores on the database: purging what has outlived its retention."""

from __future__ import annotations

from datetime import datetime

from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory


async def delete_before(uow: SqlUnitOfWorkFactory, statement: str, moment: datetime) -> int:
    """Runs a DELETE whose one placeholder is a cut-off moment; returns the rows deleted."""
    async with uow() as tx:
        count = await tx.session.execute(statement, tx.session.dialect.to_db(moment))
        await tx.commit()
    return count


async def purge_expired_idempotency_keys(uow: SqlUnitOfWorkFactory, now: datetime) -> int:
    return await delete_before(uow, "DELETE FROM idempotency_keys WHERE expires_at <= %s", now)
