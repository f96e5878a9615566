"""user_accounts and their double-entry postings (account_ledger_entries)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from payout_service.domain.accounts import Account, LedgerEntry
from payout_service.infrastructure.db import statements as sql
from payout_service.infrastructure.db.session import Row, SqlSession


class SqlAccountRepository:
    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def get_for_update(self, user_id: int, currency_code: str) -> Account | None:
        rows = await self._s.rows(
            sql.LOCK_ACCOUNT + self._s.dialect.for_update, user_id, currency_code
        )
        return self._to_account(rows[0]) if rows else None

    async def save_balances(self, account: Account, now: datetime) -> None:
        await self._s.execute(
            sql.UPDATE_ACCOUNT_BALANCES,
            account.balance_minor,
            account.held_minor,
            self._s.dialect.to_db(now),
            account.id,
        )

    async def list_for_user(self, user_id: int) -> Sequence[Account]:
        rows = await self._s.rows(
            "SELECT id, user_id, currency, balance_minor, held_minor FROM user_accounts"
            " WHERE user_id = %s ORDER BY currency",
            user_id,
        )
        return [self._to_account(r) for r in rows]

    async def append_entry(self, entry: LedgerEntry, now: datetime) -> None:
        """Writes the entry's balanced posting: both lines, one statement."""
        posting_id = str(uuid.uuid4())
        moment = self._s.dialect.to_db(now)
        values: list[Any] = []
        for line in entry.lines():
            values += [
                posting_id,
                line.account_id,
                line.currency,
                str(line.direction),
                str(line.kind),
                line.amount_minor,
                line.payout_id,
                moment,
            ]
        await self._s.execute(sql.INSERT_LEDGER_POSTING, *values)

    @staticmethod
    def _to_account(r: Row) -> Account:
        return Account(
            id=int(r["id"]),
            user_id=int(r["user_id"]),
            currency=r["currency"],
            balance_minor=int(r["balance_minor"]),
            held_minor=int(r["held_minor"]),
        )
