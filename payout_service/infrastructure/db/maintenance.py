"""Operator chores on the database: purging what has outlived its retention."""

from __future__ import annotations

from datetime import datetime

from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory


async def purge_expired_idempotency_keys(uow: SqlUnitOfWorkFactory, now: datetime) -> int:
    async with uow() as tx:
        count = await tx.session.execute(
            "DELETE FROM idempotency_keys WHERE expires_at <= %s", tx.session.dialect.to_db(now)
        )
        await tx.commit()
    return count
