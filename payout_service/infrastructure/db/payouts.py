"""payouts: the Payout aggregate's rows, read and written by the columns of statements.py."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from payout_service.application.ports import PageCursor, PayoutFilter
from payout_service.application.saved_payouts import SavedPayouts
from payout_service.domain.failure_codes import FailureCode
from payout_service.domain.money import Money, currency
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.infrastructure.db import statements as sql
from payout_service.infrastructure.db.dialect import Dialect
from payout_service.infrastructure.db.session import Row, SqlSession

_SELECT = f"SELECT {', '.join(sql.PAYOUT_COLUMNS)} FROM payouts"
_UPDATE = (
    f"UPDATE payouts SET {', '.join(f'{c} = %s' for c in sql.PAYOUT_CHANGING_COLUMNS)}"
    " WHERE id = %s"
)
# Rows per multi-row INSERT: within SQLite's 32 766 bound values and far within MySQL's packet.
ROWS_PER_INSERT = 500


class SqlPayoutRepository:
    """`seen`: the payouts added or updated through it, by id, whose events the unit of work
    writes on commit.

    A group's step (several payouts in one transaction) locks them with lock_all and updates them
    within writing_together: two statements however many payouts, instead of two per payout.
    The rows lock_all read stay what this transaction last read or wrote (they are locked), so
    get_for_update answers them without a statement; an update held back by writing_together is
    written before any other statement of this repository reads payouts."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session
        self.seen = SavedPayouts()
        self._locked: dict[str, Row] = {}
        self._unwritten: dict[str, Payout] | None = None

    async def add(self, payout: Payout) -> None:
        self.seen.remember(payout)
        row = _row_of(payout, self._s.dialect)
        await self._s.execute(sql.INSERT_PAYOUT, *(row[c] for c in sql.PAYOUT_COLUMNS))

    async def add_all(self, payouts: Sequence[Payout]) -> None:
        """Many new payouts in multi-row INSERTs (a batch's items)."""
        for payout in payouts:
            self.seen.remember(payout)
        width = len(sql.PAYOUT_COLUMNS)
        for start in range(0, len(payouts), ROWS_PER_INSERT):
            chunk = payouts[start : start + ROWS_PER_INSERT]
            values: list[Any] = []
            for payout in chunk:
                row = _row_of(payout, self._s.dialect)
                values += [row[c] for c in sql.PAYOUT_COLUMNS]
            rows = ", ".join([f"({', '.join(['%s'] * width)})"] * len(chunk))
            await self._s.execute(
                f"INSERT INTO payouts ({', '.join(sql.PAYOUT_COLUMNS)}) VALUES {rows}", *values
            )

    async def update(self, payout: Payout) -> None:
        self.seen.remember(payout)
        self._locked.pop(payout.id, None)
        if self._unwritten is not None:
            self._unwritten[payout.id] = _without_events(payout)
            return
        await self._write(payout)

    async def _write(self, payout: Payout) -> None:
        row = _row_of(payout, self._s.dialect)
        await self._s.execute(_UPDATE, *(row[c] for c in sql.PAYOUT_CHANGING_COLUMNS), payout.id)

    async def lock_all(self, payout_ids: Collection[str]) -> None:
        ordered = sorted(set(payout_ids))
        if not ordered:
            return
        rows = await self._rows(
            f"{_SELECT} WHERE id IN ({', '.join(['%s'] * len(ordered))})"
            f" ORDER BY id{self._s.dialect.for_update}",
            *ordered,
        )
        self._locked.update((str(r["id"]), r) for r in rows)

    @asynccontextmanager
    async def writing_together(self) -> AsyncIterator[None]:
        if self._unwritten is not None:
            yield  # already inside one: the outer block writes
            return
        self._unwritten = {}
        try:
            yield
            await self._write_unwritten()
        finally:
            self._unwritten = None

    async def get(self, payout_id: str) -> Payout | None:
        if (known := self._known(payout_id)) is not None:
            return known
        rows = await self._rows(f"{_SELECT} WHERE id = %s", payout_id)
        return self._to_payout(rows[0]) if rows else None

    async def get_for_update(self, payout_id: str) -> Payout | None:
        if (known := self._known(payout_id)) is not None:
            return known
        rows = await self._rows(f"{_SELECT} WHERE id = %s{self._s.dialect.for_update}", payout_id)
        return self._to_payout(rows[0]) if rows else None

    def _known(self, payout_id: str) -> Payout | None:
        """The payout as this transaction holds it locked: updated and not yet written, or as
        lock_all read it."""
        if self._unwritten is not None and payout_id in self._unwritten:
            return copy.deepcopy(self._unwritten[payout_id])
        row = self._locked.get(payout_id)
        return None if row is None else self._to_payout(row)

    async def _rows(self, query: str, *values: Any) -> list[Row]:
        """A read of payouts, after the updates writing_together holds back."""
        await self._write_unwritten()
        return list(await self._s.rows(query, *values))

    async def _write_unwritten(self) -> None:
        if not self._unwritten:
            return
        payouts = sorted(self._unwritten.values(), key=lambda p: p.id)
        self._unwritten.clear()
        if len(payouts) == 1:
            await self._write(payouts[0])
            return
        rows = [_row_of(p, self._s.dialect) for p in payouts]
        cases = " ".join(["WHEN %s THEN %s"] * len(payouts))
        await self._s.execute(
            "UPDATE payouts SET "
            + ", ".join(f"{c} = CASE id {cases} END" for c in sql.PAYOUT_CHANGING_COLUMNS)
            + f" WHERE id IN ({', '.join(['%s'] * len(payouts))})",
            *(v for c in sql.PAYOUT_CHANGING_COLUMNS for r in rows for v in (r["id"], r[c])),
            *(p.id for p in payouts),
        )

    async def id_for_provider_payout_id(self, provider_payout_id: str) -> str | None:
        rows = await self._rows(
            "SELECT id FROM payouts WHERE provider_payout_id = %s", provider_payout_id
        )
        return str(rows[0]["id"]) if rows else None

    async def awaiting_provider_outcome(
        self, updated_before: datetime, limit: int
    ) -> Sequence[Payout]:
        rows = await self._rows(
            f"{_SELECT} WHERE status = %s"
            " AND provider_payout_id IS NOT NULL AND updated_at < %s ORDER BY updated_at LIMIT %s",
            str(PayoutStatus.PROCESSING),
            self._s.dialect.to_db(updated_before),
            limit,
        )
        return [self._to_payout(r) for r in rows]

    async def stalled_sends(self, updated_before: datetime, limit: int) -> Sequence[Payout]:
        rows = await self._rows(
            f"{_SELECT} WHERE status IN (%s, %s) AND provider_payout_id IS NULL"
            " AND needs_review = %s AND updated_at < %s ORDER BY updated_at LIMIT %s",
            str(PayoutStatus.PENDING),
            str(PayoutStatus.PROCESSING),
            False,
            self._s.dialect.to_db(updated_before),
            limit,
        )
        return [self._to_payout(r) for r in rows]

    async def needing_review(self, limit: int) -> Sequence[Payout]:
        rows = await self._rows(
            f"{_SELECT} WHERE needs_review = %s ORDER BY review_since, id LIMIT %s", True, limit
        )
        return [self._to_payout(r) for r in rows]

    async def unsent_needing_review(self, limit: int) -> Sequence[Payout]:
        rows = await self._rows(
            f"{_SELECT} WHERE needs_review = %s AND provider_payout_id IS NULL"
            " AND status IN (%s, %s) ORDER BY review_since, id LIMIT %s",
            True,
            str(PayoutStatus.PENDING),
            str(PayoutStatus.PROCESSING),
            limit,
        )
        return [self._to_payout(r) for r in rows]

    async def created_since(
        self, since: datetime, after: PageCursor | None, limit: int
    ) -> Sequence[Payout]:
        moment = self._s.dialect.to_db(since)
        where, values = "created_at >= %s", [moment]
        if after is not None:
            last = self._s.dialect.to_db(after.created_at)
            where += " AND (created_at > %s OR (created_at = %s AND id > %s))"
            values += [last, last, after.payout_id]
        rows = await self._rows(
            f"{_SELECT} WHERE {where} ORDER BY created_at, id LIMIT %s", *values, limit
        )
        return [self._to_payout(r) for r in rows]

    async def succeeded_since(
        self, since: datetime, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[Payout]:
        # Served by the (status, completed_at, id) index: a range of one status, in its order.
        d = self._s.dialect
        where = "status = %s AND completed_at >= %s AND provider_payout_id IS NOT NULL"
        values: list[Any] = [str(PayoutStatus.SUCCESS), d.to_db(since)]
        if after is not None:
            last = d.to_db(after[0])
            where += " AND (completed_at > %s OR (completed_at = %s AND id > %s))"
            values += [last, last, after[1]]
        rows = await self._rows(
            f"{_SELECT} WHERE {where} ORDER BY completed_at, id LIMIT %s", *values, limit
        )
        return [self._to_payout(r) for r in rows]

    async def reference_exists(self, user_id: int, external_reference: str) -> bool:
        rows = await self._rows(
            "SELECT 1 AS found FROM payouts WHERE user_id = %s AND external_reference = %s",
            user_id,
            external_reference,
        )
        return bool(rows)

    async def references_taken(self, user_id: int, references: Sequence[str]) -> set[str]:
        taken: set[str] = set()
        for start in range(0, len(references), ROWS_PER_INSERT):
            chunk = references[start : start + ROWS_PER_INSERT]
            rows = await self._rows(
                "SELECT external_reference FROM payouts WHERE user_id = %s"
                f" AND external_reference IN ({', '.join(['%s'] * len(chunk))})",
                user_id,
                *chunk,
            )
            taken |= {str(r["external_reference"]) for r in rows}
        return taken

    async def count_in_batch(self, batch_id: str) -> dict[PayoutStatus, int]:
        rows = await self._rows(
            "SELECT status, COUNT(*) AS items FROM payouts WHERE batch_id = %s GROUP BY status",
            batch_id,
        )
        return {PayoutStatus(r["status"]): int(r["items"]) for r in rows}

    async def ids_in_batch(
        self, batch_id: str, statuses: Sequence[PayoutStatus], after_id: str, limit: int
    ) -> Sequence[str]:
        marks = ", ".join(["%s"] * len(statuses))
        rows = await self._rows(
            f"SELECT id FROM payouts WHERE batch_id = %s AND status IN ({marks}) AND id > %s"
            " ORDER BY id LIMIT %s",
            batch_id,
            *(str(s) for s in statuses),
            after_id,
            limit,
        )
        return [str(r["id"]) for r in rows]

    async def list_for_user(
        self, user_id: int, filters: PayoutFilter, limit: int, after: PageCursor | None
    ) -> Sequence[Payout]:
        """Served by the (user_id, created_at, id) index, or the unique (user_id,
        external_reference) one when a reference is asked for."""
        d = self._s.dialect
        where = ["user_id = %s"]
        values: list[Any] = [user_id]
        conditions = (
            ("batch_id = %s", filters.batch_id),
            ("status = %s", str(filters.status) if filters.status is not None else None),
            ("external_reference = %s", filters.external_reference),
            ("created_at >= %s", d.to_db(filters.created_gte)),
            ("created_at < %s", d.to_db(filters.created_lt)),
        )
        for condition, value in conditions:
            if value is not None:
                where.append(condition)
                values.append(value)
        if after is not None:
            where.append("(created_at < %s OR (created_at = %s AND id < %s))")
            moment = d.to_db(after.created_at)
            values += [moment, moment, after.payout_id]
        rows = await self._rows(
            f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY created_at DESC, id DESC LIMIT %s",
            *values,
            limit,
        )
        return [self._to_payout(r) for r in rows]

    def _to_payout(self, row: Row) -> Payout:
        d = self._s.dialect
        created_at = d.from_db(row["created_at"])
        updated_at = d.from_db(row["updated_at"])
        assert created_at is not None and updated_at is not None
        return Payout(
            id=row["id"],
            user_id=int(row["user_id"]),
            amount=Money(int(row["amount_minor"]), currency(row["currency"])),
            wallet=row["wallet"],
            external_reference=row["external_reference"],
            status=PayoutStatus(row["status"]),
            provider_payout_id=row["provider_payout_id"],
            provider_status=row["provider_status"],
            send_attempts=int(row["send_attempts"]),
            last_error=row["last_error"],
            next_retry_at=d.from_db(row["next_retry_at"]),
            completed_at=d.from_db(row["completed_at"]),
            created_at=created_at,
            updated_at=updated_at,
            provider_status_at=d.from_db(row["provider_status_at"]),
            needs_review=bool(row["needs_review"]),
            review_reason=row["review_reason"],
            review_since=d.from_db(row["review_since"]),
            failure_code=FailureCode(row["failure_code"]) if row["failure_code"] else None,
            failure_message=row["failure_message"],
            returned_at=d.from_db(row["returned_at"]),
            version=int(row["version"]),
            batch_id=row["batch_id"],
            metadata=json.loads(row["metadata"]) if row["metadata"] else {},
        )


_MOMENTS = frozenset(
    {
        "next_retry_at",
        "completed_at",
        "created_at",
        "updated_at",
        "provider_status_at",
        "review_since",
        "returned_at",
    }
)


def _without_events(payout: Payout) -> Payout:
    """A copy of the payout as its row holds it: its events are the unit of work's (seen)."""
    events, payout.events = payout.events, []
    try:
        return copy.deepcopy(payout)
    finally:
        payout.events = events


def _row_of(payout: Payout, d: Dialect) -> dict[str, Any]:
    """The payout as its row's values, by column: a column is the attribute of its name, but for
    the amount's two and the moments, stored as the dialect stores them."""
    row = {c: getattr(payout, c) for c in sql.PAYOUT_COLUMNS if hasattr(payout, c)}
    row |= {c: d.to_db(row[c]) for c in _MOMENTS}
    row |= {
        "amount_minor": payout.amount.minor,
        "currency": payout.amount.currency.code,
        "status": str(payout.status),
        "failure_code": str(payout.failure_code) if payout.failure_code else None,
        "metadata": json.dumps(payout.metadata, separators=(",", ":")) if payout.metadata else None,
    }
    return row
