"""Demo data for a first run: user 123 with USD and EUR money, and a documented API key."""

from __future__ import annotations

from datetime import datetime

from payout_service.application.authenticate import hash_api_key
from payout_service.domain.accounts import Account
from payout_service.infrastructure.db.session import SqlSession
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory

DEMO_USER_ID = 123
# Documented in the README so the curl examples work as written. Local demo data only.
DEMO_API_KEY = "psk_demo_user123_local_only"
DEMO_BALANCES_MINOR = {"USD": 1_000_000, "EUR": 1_000_000}


async def seed_demo(uow: SqlUnitOfWorkFactory, now: datetime) -> bool:
    """Idempotent: returns False when the demo user already exists."""
    async with uow() as tx:
        s = tx.session
        if await s.rows("SELECT id FROM users WHERE id = %s", DEMO_USER_ID):
            return False
        await s.execute(
            "INSERT INTO users (id, name, created_at) VALUES (%s, %s, %s)",
            DEMO_USER_ID,
            "Demo User",
            s.dialect.to_db(now),
        )
        await add_api_key(s, DEMO_USER_ID, DEMO_API_KEY, "demo", now)
        for code, minor in DEMO_BALANCES_MINOR.items():
            account = await open_account(s, DEMO_USER_ID, code, now)
            entry = account.deposit(minor)
            await tx.accounts.save_balances(account, now)
            await tx.accounts.append_entry(entry, now)
        await tx.commit()
    return True


async def add_api_key(s: SqlSession, user_id: int, key: str, label: str, now: datetime) -> None:
    await s.execute(
        "INSERT INTO api_keys (user_id, key_hash, prefix, label, created_at)"
        " VALUES (%s, %s, %s, %s, %s)",
        user_id,
        hash_api_key(key),
        key[:12],
        label,
        s.dialect.to_db(now),
    )


async def open_account(s: SqlSession, user_id: int, code: str, now: datetime) -> Account:
    moment = s.dialect.to_db(now)
    await s.execute(
        "INSERT INTO user_accounts (user_id, currency, balance_minor, held_minor, created_at,"
        " updated_at) VALUES (%s, %s, 0, 0, %s, %s)",
        user_id,
        code,
        moment,
        moment,
    )
    rows = await s.rows(
        "SELECT id FROM user_accounts WHERE user_id = %s AND currency = %s", user_id, code
    )
    return Account(int(rows[0]["id"]), user_id, code, 0, 0)
