"""What an operator asks of the outbox: backlog, age of the oldest row, dead rows; and chores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from payout_service.infrastructure.db.maintenance import delete_before
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory


@dataclass(frozen=True)
class OutboxStatus:
    backlog: int
    oldest_unpublished_age_seconds: float
    dead: int


async def outbox_status(uow: SqlUnitOfWorkFactory, now: datetime) -> OutboxStatus:
    async with uow() as tx:
        s = tx.session
        pending = await s.rows(
            "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox_messages"
            " WHERE status = 'pending'"
        )
        dead = await s.rows("SELECT COUNT(*) AS n FROM outbox_messages WHERE status = 'dead'")
    oldest = s.dialect.from_db(pending[0]["oldest"])
    age = (now - oldest).total_seconds() if oldest else 0.0
    return OutboxStatus(int(pending[0]["n"]), max(age, 0.0), int(dead[0]["n"]))


async def retry_dead(uow: SqlUnitOfWorkFactory, now: datetime, message_id: str | None) -> int:
    """Dead rows (or the one named) go back to pending with a fresh attempt budget."""
    only = " AND message_id = %s" if message_id else ""
    async with uow() as tx:
        count = await tx.session.execute(
            "UPDATE outbox_messages SET status = 'pending', attempts = 0, available_at = %s"
            f" WHERE status = 'dead'{only}",
            tx.session.dialect.to_db(now),
            *([message_id] if message_id else []),
        )
        await tx.commit()
    return count


async def purge_published(uow: SqlUnitOfWorkFactory, older_than: datetime) -> int:
    return await delete_before(
        uow,
        "DELETE FROM outbox_messages WHERE status = 'published' AND published_at < %s",
        older_than,
    )


async def purge_processed_messages(uow: SqlUnitOfWorkFactory, older_than: datetime) -> int:
    return await delete_before(
        uow, "DELETE FROM processed_messages WHERE processed_at < %s", older_than
    )


def retention(hours: int = 0, days: int = 0) -> timedelta:
    return timedelta(hours=hours, days=days)
