"""payout_batches: the PayoutBatch aggregate's rows (its items are rows of payouts)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from payout_service.domain.payout_batch import BatchMode, BatchStatus, CurrencyTotal, PayoutBatch
from payout_service.infrastructure.db.session import Row, SqlSession

_COLUMNS = (
    "id",
    "user_id",
    "mode",
    "status",
    "item_count",
    "totals",
    "succeeded",
    "failed",
    "cancelled",
    "returned",
    "created_at",
    "updated_at",
    "completed_at",
)
_CHANGING = ("status", "succeeded", "failed", "cancelled", "returned", "updated_at", "completed_at")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM payout_batches"


class SqlPayoutBatches:
    """`seen`: the batches added or updated through it, whose events the unit of work writes."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session
        self.seen: dict[str, PayoutBatch] = {}

    async def add(self, batch: PayoutBatch) -> None:
        self.seen[batch.id] = batch
        row = self._row_of(batch)
        await self._s.execute(
            f"INSERT INTO payout_batches ({', '.join(_COLUMNS)})"
            f" VALUES ({', '.join(['%s'] * len(_COLUMNS))})",
            *(row[c] for c in _COLUMNS),
        )

    async def update(self, batch: PayoutBatch) -> None:
        self.seen[batch.id] = batch
        row = self._row_of(batch)
        await self._s.execute(
            f"UPDATE payout_batches SET {', '.join(f'{c} = %s' for c in _CHANGING)} WHERE id = %s",
            *(row[c] for c in _CHANGING),
            batch.id,
        )

    async def get(self, batch_id: str) -> PayoutBatch | None:
        rows = await self._s.rows(f"{_SELECT} WHERE id = %s", batch_id)
        return self._to_batch(rows[0]) if rows else None

    async def get_for_update(self, batch_id: str) -> PayoutBatch | None:
        rows = await self._s.rows(f"{_SELECT} WHERE id = %s{self._s.dialect.for_update}", batch_id)
        return self._to_batch(rows[0]) if rows else None

    async def list_for_user(
        self, user_id: int, limit: int, after: tuple[datetime, str] | None
    ) -> Sequence[PayoutBatch]:
        where = "user_id = %s"
        values: list[Any] = [user_id]
        if after is not None:
            moment = self._s.dialect.to_db(after[0])
            where += " AND (created_at < %s OR (created_at = %s AND id < %s))"
            values += [moment, moment, after[1]]
        rows = await self._s.rows(
            f"{_SELECT} WHERE {where} ORDER BY created_at DESC, id DESC LIMIT %s", *values, limit
        )
        return [self._to_batch(r) for r in rows]

    def _row_of(self, batch: PayoutBatch) -> dict[str, Any]:
        d = self._s.dialect
        totals = [[t.currency, t.count, t.amount_minor] for t in batch.totals]
        return {
            "id": batch.id,
            "user_id": batch.user_id,
            "mode": str(batch.mode),
            "status": str(batch.status),
            "item_count": batch.item_count,
            "totals": json.dumps(totals, separators=(",", ":")),
            "succeeded": batch.succeeded,
            "failed": batch.failed,
            "cancelled": batch.cancelled,
            "returned": batch.returned,
            "created_at": d.to_db(batch.created_at),
            "updated_at": d.to_db(batch.updated_at),
            "completed_at": d.to_db(batch.completed_at),
        }

    def _to_batch(self, row: Row) -> PayoutBatch:
        d = self._s.dialect
        created_at = d.from_db(row["created_at"])
        updated_at = d.from_db(row["updated_at"])
        assert created_at is not None and updated_at is not None
        return PayoutBatch(
            id=row["id"],
            user_id=int(row["user_id"]),
            mode=BatchMode(row["mode"]),
            item_count=int(row["item_count"]),
            totals=tuple(CurrencyTotal(c, int(n), int(m)) for c, n, m in json.loads(row["totals"])),
            created_at=created_at,
            updated_at=updated_at,
            status=BatchStatus(row["status"]),
            succeeded=int(row["succeeded"]),
            failed=int(row["failed"]),
            cancelled=int(row["cancelled"]),
            returned=int(row["returned"]),
            completed_at=d.from_db(row["completed_at"]),
        )
