"""Keeping the public event log to its retention (EVENT_RETENTION_DAYS): `events purge`.

Deletes the events created before the cutoff in batches, one transaction each, so a large purge
never holds one long transaction over the log the API reads. A client that has not caught up
within the retention finds its next page starting after the gap: the retention is the promise.
"""

from __future__ import annotations

from datetime import datetime

from payout_service.application.ports import UnitOfWorkFactory

BATCH = 1_000


async def purge_client_events(uow: UnitOfWorkFactory, created_before: datetime) -> int:
    """How many events were deleted."""
    purged = 0
    while True:
        async with uow() as tx:
            count = await tx.client_events.purge(created_before, BATCH)
            await tx.commit()
        purged += count
        if count < BATCH:
            return purged
