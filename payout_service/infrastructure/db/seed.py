"""Demo data for a first run: user 123 with USD and EUR money, and a documented API key."""

from __future__ import annotations

from datetime import datetime

from payout_service.application.authenticate import hash_api_key
from payout_service.application.ports import User
from payout_service.domain.accounts import Account
from payout_service.infrastructure.db.accounts import SqlAccountRepository
from payout_service.infrastructure.db.session import SqlSession
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory

DEMO_USER_ID = 123
# Documented in the README so the curl examples work as written. Local demo data only.
DEMO_API_KEY = "psk_demo_user123_local_only"
DEMO_BALANCES_MINOR = {"USD": 1_000_000, "EUR": 1_000_000}


async def seed_demo(uow: SqlUnitOfWorkFactory, now: datetime) -> bool:
    """Idempotent: returns False when the demo user already exists."""
    async with uow() as tx:
        if await tx.accounts.find_user(DEMO_USER_ID) is not None:
            return False
        await tx.accounts.add_user(User(DEMO_USER_ID, "Demo User", now))
        await add_api_key(tx.session, DEMO_USER_ID, DEMO_API_KEY, "demo", now)
        for code, minor in DEMO_BALANCES_MINOR.items():
            account = await tx.accounts.open(DEMO_USER_ID, code, now)
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
    """A new account at zero, for the tests' and benches' own users (as `accounts open`)."""
    return await SqlAccountRepository(s).open(user_id, code, now)
