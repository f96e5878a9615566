"""What an operator asks of the webhook inbox: results so far, the backlog, payload conflicts.

payload_conflicts only grows (conflict rows are never deleted), so it serves as the counter of
event_ids a provider reused with another payload.
"""

from __future__ import annotations

from dataclasses import dataclass

from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory


@dataclass(frozen=True)
class InboxStatus:
    by_result: dict[str, int]
    unprocessed: int
    payload_conflicts: int


async def inbox_status(uow: SqlUnitOfWorkFactory) -> InboxStatus:
    async with uow() as tx:
        s = tx.session
        results = await s.rows(
            "SELECT result, COUNT(*) AS n FROM provider_webhook_events GROUP BY result"
        )
        (unprocessed,) = await s.rows(
            "SELECT COUNT(*) AS n FROM provider_webhook_events WHERE processed_at IS NULL"
        )
        (conflicts,) = await s.rows("SELECT COUNT(*) AS n FROM provider_webhook_conflicts")
    return InboxStatus(
        {r["result"]: int(r["n"]) for r in results},
        int(unprocessed["n"]),
        int(conflicts["n"]),
    )
