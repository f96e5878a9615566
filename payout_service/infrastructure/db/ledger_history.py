"""Reads of account_ledger_entries: whether a hold was settled or a return credited, and an
account's lines."""

from __future__ import annotations

from collections.abc import Sequence

from payout_service.application.ports import AccountLine
from payout_service.domain.accounts import SETTLING_KINDS, Direction, EntryKind
from payout_service.infrastructure.db.session import Row, SqlSession

# The kinds that close a hold, as an SQL list: "'debit', 'release'".
SETTLING_KINDS_SQL = ", ".join(f"'{kind}'" for kind in sorted(SETTLING_KINDS))


class SqlLedgerHistory:
    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def has_settled(self, payout_id: str) -> bool:
        """A locking read: it sees what was committed up to now, not the transaction's first
        snapshot, so a settlement another message committed while this one waited for the
        account lock is seen (REPEATABLE READ would hide it, and the hold would be settled
        twice)."""
        rows = await self._s.rows(
            "SELECT 1 AS settled FROM account_ledger_entries WHERE payout_id = %s"
            f" AND kind IN ({SETTLING_KINDS_SQL}){self._s.dialect.for_update}",
            payout_id,
        )
        return bool(rows)

    async def has_returned(self, payout_id: str) -> bool:
        """A locking read, as has_settled is, for the same reason: a return is credited once."""
        rows = await self._s.rows(
            "SELECT 1 AS returned FROM account_ledger_entries WHERE payout_id = %s"
            f" AND kind = '{EntryKind.RETURN}'{self._s.dialect.for_update}",
            payout_id,
        )
        return bool(rows)

    async def lines_of(
        self, account_id: int, limit: int, before_id: int | None
    ) -> Sequence[AccountLine]:
        older = " AND id < %s" if before_id is not None else ""
        rows = await self._s.rows(
            "SELECT id, direction, kind, amount_minor, payout_id, created_at"
            f" FROM account_ledger_entries WHERE account_id = %s{older} ORDER BY id DESC LIMIT %s",
            account_id,
            *([before_id] if before_id is not None else []),
            limit,
        )
        return [self._to_line(r) for r in rows]

    def _to_line(self, r: Row) -> AccountLine:
        created_at = self._s.dialect.from_db(r["created_at"])
        assert created_at is not None
        return AccountLine(
            id=int(r["id"]),
            direction=Direction(r["direction"]),
            kind=EntryKind(r["kind"]),
            amount_minor=int(r["amount_minor"]),
            payout_id=r["payout_id"],
            created_at=created_at,
        )
