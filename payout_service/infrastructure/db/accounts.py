"""user_accounts and their double-entry postings (account_ledger_entries); the users who hold
them, and the operators' credits by reference (account_credits)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from payout_service.application.ports import AccountCredit, User
from payout_service.domain.accounts import Account, LedgerEntry
from payout_service.infrastructure.db import statements as sql
from payout_service.infrastructure.db.session import Row, SqlSession

_INSERT_LINES = sql.INSERT_LEDGER_POSTING.partition(" VALUES ")[0]
POSTINGS_PER_INSERT = 500  # 1 000 lines of 8 values


def _posting_values(
    entry: LedgerEntry, now: datetime, session: SqlSession, posting_id: str | None = None
) -> list[Any]:
    """The values of the entry's two lines, under one posting id (a new one unless given)."""
    posting_id = posting_id or str(uuid.uuid4())
    moment = session.dialect.to_db(now)
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
    return values


class SqlAccountRepository:
    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def get_for_update(self, user_id: int, currency_code: str) -> Account | None:
        rows = await self._s.rows(
            sql.LOCK_ACCOUNT + self._s.dialect.for_update, user_id, currency_code
        )
        return self._to_account(rows[0]) if rows else None

    async def get_all_for_update(
        self, keys: Collection[tuple[int, str]]
    ) -> dict[tuple[int, str], Account]:
        ordered = sorted(set(keys))
        if len(ordered) == 1:  # the single-row statement a transaction of one payout makes
            account = await self.get_for_update(*ordered[0])
            return {} if account is None else {ordered[0]: account}
        # OR of the unique key's equalities: a range read of exactly these rows, in index order
        # (a row constructor's IN list may be read as a scan, locking every row it passes)
        matches = " OR ".join(["(user_id = %s AND currency = %s)"] * len(ordered))
        d = self._s.dialect
        rows = await self._s.rows(
            f"{sql.LOCK_ACCOUNT.partition(' WHERE ')[0]}{d.using_index(sql.ACCOUNT_KEY_INDEX)}"
            f" WHERE {matches} ORDER BY user_id, currency{d.for_update}",
            *(value for key in ordered for value in key),
        )
        accounts = (self._to_account(r) for r in rows)
        return {(a.user_id, a.currency): a for a in accounts}

    async def save_all_balances(self, accounts: Collection[Account], now: datetime) -> None:
        ordered = sorted(accounts, key=lambda a: a.id)
        if len(ordered) <= 1:
            for account in ordered:
                await self.save_balances(account, now)
            return
        cases = " ".join(["WHEN %s THEN %s"] * len(ordered))
        await self._s.execute(
            f"UPDATE user_accounts{self._s.dialect.using_index('PRIMARY')}"
            f" SET balance_minor = CASE id {cases} END,"
            f" held_minor = CASE id {cases} END, updated_at = %s"
            f" WHERE id IN ({', '.join(['%s'] * len(ordered))})",
            *(v for a in ordered for v in (a.id, a.balance_minor)),
            *(v for a in ordered for v in (a.id, a.held_minor)),
            self._s.dialect.to_db(now),
            *(a.id for a in ordered),
        )

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
        await self._s.execute(sql.INSERT_LEDGER_POSTING, *_posting_values(entry, now, self._s))

    async def append_entries(self, entries: Sequence[LedgerEntry], now: datetime) -> None:
        """Many postings in multi-row INSERTs (a batch's holds), each balanced on its own."""
        for start in range(0, len(entries), POSTINGS_PER_INSERT):
            chunk = entries[start : start + POSTINGS_PER_INSERT]
            values: list[Any] = []
            for entry in chunk:
                values += _posting_values(entry, now, self._s)
            rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * (2 * len(chunk)))
            await self._s.execute(f"{_INSERT_LINES} VALUES {rows}", *values)

    async def find_user(self, user_id: int) -> User | None:
        rows = await self._s.rows("SELECT id, name, created_at FROM users WHERE id = %s", user_id)
        if not rows:
            return None
        r = rows[0]
        return User(int(r["id"]), r["name"], self._moment(r["created_at"]))

    async def add_user(self, user: User) -> None:
        await self._s.execute(
            "INSERT INTO users (id, name, created_at) VALUES (%s, %s, %s)",
            user.id,
            user.name,
            self._s.dialect.to_db(user.created_at),
        )

    async def open(self, user_id: int, currency_code: str, now: datetime) -> Account:
        moment = self._s.dialect.to_db(now)
        account_id = await self._s.insert(
            "INSERT INTO user_accounts (user_id, currency, balance_minor, held_minor, created_at,"
            " updated_at) VALUES (%s, %s, 0, 0, %s, %s)",
            user_id,
            currency_code,
            moment,
            moment,
        )
        return Account(account_id, user_id, currency_code, 0, 0)

    async def find_credit(self, account_id: int, reference: str) -> AccountCredit | None:
        rows = await self._s.rows(
            "SELECT amount_minor, created_at FROM account_credits"
            " WHERE account_id = %s AND reference = %s",
            account_id,
            reference,
        )
        if not rows:
            return None
        r = rows[0]
        return AccountCredit(
            account_id, reference, int(r["amount_minor"]), self._moment(r["created_at"])
        )

    async def append_credit(self, entry: LedgerEntry, reference: str, now: datetime) -> None:
        """The reference row first: a reused reference fails before any line is written."""
        posting_id = str(uuid.uuid4())
        await self._s.execute(
            "INSERT INTO account_credits (account_id, reference, amount_minor, posting_id,"
            " created_at) VALUES (%s, %s, %s, %s, %s)",
            entry.account_id,
            reference,
            entry.amount_minor,
            posting_id,
            self._s.dialect.to_db(now),
        )
        await self._s.execute(
            sql.INSERT_LEDGER_POSTING, *_posting_values(entry, now, self._s, posting_id)
        )

    def _moment(self, value: Any) -> datetime:
        moment = self._s.dialect.from_db(value)
        assert moment is not None
        return moment

    @staticmethod
    def _to_account(r: Row) -> Account:
        return Account(
            id=int(r["id"]),
            user_id=int(r["user_id"]),
            currency=r["currency"],
            balance_minor=int(r["balance_minor"]),
            held_minor=int(r["held_minor"]),
        )
