"""The double-entry ledger: its invariants hold, `ledger verify` catches what breaks them, and the
caller reads their own money through /api/accounts."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from tortoise import Tortoise

from payout_service.domain.accounts import EntryKind, LedgerEntry
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.database import close_database, open_database
from payout_service.infrastructure.db.dialect import dialect_for_url
from payout_service.infrastructure.db.ledger_verification import verify_ledger
from payout_service.infrastructure.db.migrations import (
    MIGRATIONS_DIR,
    aerich_command,
    ensure_database_exists,
)
from payout_service.infrastructure.db.seed import DEMO_USER_ID
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from tests.integration.helpers import add_user, payout_body, post_payout, problem, rows
from tests.integration.webhook_support import accepted_payout, post_webhook, webhook
from tests.processes import service_environment


async def account_id(db: SqlUnitOfWorkFactory, currency: str = "USD") -> int:
    (row,) = await rows(
        db,
        "SELECT id FROM user_accounts WHERE user_id = %s AND currency = %s",
        DEMO_USER_ID,
        currency,
    )
    return int(row["id"])


async def succeeded_payout(webhook_api, auth, db, dispatch_outbox) -> str:
    payout_id = await accepted_payout(webhook_api, auth, db)
    await post_webhook(webhook_api, webhook(status="success"))
    await dispatch_outbox()
    return payout_id


async def test_a_settled_ledger_is_clean_and_balanced(webhook_api, auth, db, dispatch_outbox):
    await succeeded_payout(webhook_api, auth, db, dispatch_outbox)
    report = await verify_ledger(db)
    assert report.clean, report.violations
    # Two deposits, one hold, one debit: four postings of two lines each
    assert report.postings == 4
    assert report.total_debits_minor == report.total_credits_minor == 2 * 1_000_000 + 2 * 15_000
    lines = await rows(db, "SELECT posting_id, account_id, direction FROM account_ledger_entries")
    assert len(lines) == 8
    assert sum(1 for line in lines if line["account_id"] is None) == 4


async def test_a_stored_balance_that_disagrees_with_the_ledger_is_reported(db):
    async with db() as tx:
        await tx.session.execute(
            "UPDATE user_accounts SET balance_minor = balance_minor + 1 WHERE id = %s",
            await account_id(db),
        )
        await tx.commit()
    (violation,) = (await verify_ledger(db)).violations
    assert "stored balance 1000001" in violation and "ledger says balance 1000000" in violation


async def test_a_held_amount_without_an_open_hold_is_reported(db):
    async with db() as tx:
        await tx.session.execute(
            "UPDATE user_accounts SET held_minor = 500 WHERE id = %s", await account_id(db)
        )
        await tx.commit()
    (violation,) = (await verify_ledger(db)).violations
    assert "held 500" in violation and "held 0" in violation


async def test_a_one_sided_line_is_an_unbalanced_posting(db):
    now = SystemClock().now()
    async with db() as tx:
        await tx.session.execute(
            "INSERT INTO account_ledger_entries (posting_id, account_id, currency, direction,"
            " kind, amount_minor, payout_id, created_at) VALUES"
            " ('lonely', NULL, 'USD', 'debit', 'deposit', 700, NULL, %s)",
            tx.session.dialect.to_db(now),
        )
        await tx.commit()
    violations = (await verify_ledger(db)).violations
    assert any("debits" in v and "differ from its credits" in v for v in violations)
    assert any(v.startswith("posting lonely is unbalanced") for v in violations)


async def test_a_hold_settled_twice_is_reported(webhook_api, auth, db, dispatch_outbox):
    # Given a payout debited on success, and then a release of its hold posted as well
    payout_id = await succeeded_payout(webhook_api, auth, db, dispatch_outbox)
    async with db() as tx:
        entry = LedgerEntry(await account_id(db), "USD", EntryKind.RELEASE, 15_000, payout_id)
        await tx.accounts.append_entry(entry, SystemClock().now())
        await tx.commit()
    # Then verify says so
    violations = (await verify_ledger(db)).violations
    assert f"the hold of payout {payout_id} was settled 2 times" in violations


async def test_the_verify_command_exits_non_zero_on_a_violation(settings, db, commands):
    # (`ledger verify` runs in this process, as cli.py runs it; test_webhook_processes and
    # test_second_terminal run it as a process)
    env = service_environment(DATABASE_URL=settings.database_url)
    # Given a clean ledger, the command says so and exits 0
    code, text = await commands(env, "ledger", "verify")
    assert code == 0 and "ledger clean" in text, text
    # When a stored balance is changed behind the ledger's back
    async with db() as tx:
        await tx.session.execute("UPDATE user_accounts SET balance_minor = 1")
        await tx.commit()
    # Then the command names the violations and exits 1
    code, text = await commands(env, "ledger", "verify")
    assert code == 1 and "VIOLATION: account" in text, text


async def test_accounts_show_balance_held_and_available_as_decimal_strings(api, auth):
    await post_payout(api, auth, payout_body(amount="150.25"))
    response = await api.get("/api/accounts", headers=auth)
    assert response.status == 200
    assert (await response.json())["data"] == [
        {"currency": "EUR", "balance": "10000.00", "held": "0.00", "available": "10000.00"},
        {"currency": "USD", "balance": "10000.00", "held": "150.25", "available": "9849.75"},
    ]


async def test_the_ledger_pages_newest_first_with_a_cursor(api, auth):
    # Given three payouts after the opening deposit
    ids = []
    for n in range(3):
        created = await post_payout(api, auth, payout_body(external_reference=f"r{n}"), f"k{n}")
        ids.append((await created.json())["id"])
    # When the USD ledger is read two lines at a time
    first = await (await api.get("/api/accounts/USD/ledger?limit=2", headers=auth)).json()
    second = await (
        await api.get(
            f"/api/accounts/USD/ledger?limit=2&cursor={first['next_cursor']}", headers=auth
        )
    ).json()
    # Then the newest come first, and the second page ends with the deposit
    lines = first["data"] + second["data"]
    assert [(line["reason"], line["payout_id"]) for line in lines] == [
        ("hold", ids[2]),
        ("hold", ids[1]),
        ("hold", ids[0]),
        ("deposit", None),
    ]
    assert second["next_cursor"] is None
    assert lines[0]["amount"] == "150.00" and lines[0]["direction"] == "debit"
    assert lines[-1]["amount"] == "10000.00" and lines[-1]["direction"] == "credit"
    assert lines[0]["created_at"].endswith("Z")
    assert first["account"]["held"] == "450.00"


async def test_each_caller_sees_only_their_own_money(api, auth, db):
    # Given a second user with a USD account and a payout of the demo user's
    other = await add_user(db, 7, "psk_other_user_key_for_tests", usd_minor=5_000)
    await post_payout(api, auth, payout_body())
    # Then the second user sees only their own balance and lines
    accounts = await (await api.get("/api/accounts", headers=other)).json()
    assert accounts["data"] == [
        {"currency": "USD", "balance": "50.00", "held": "0.00", "available": "50.00"}
    ]
    ledger = await (await api.get("/api/accounts/USD/ledger", headers=other)).json()
    assert [line["reason"] for line in ledger["data"]] == ["deposit"]
    # And an account they do not have is not found
    await problem(await api.get("/api/accounts/EUR/ledger", headers=other), 404)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/accounts/XYZ/ledger", 404),
        ("/api/accounts/USD/ledger?limit=0", 422),
        ("/api/accounts/USD/ledger?limit=101", 422),
        ("/api/accounts/USD/ledger?cursor=abc", 422),
        ("/api/accounts/USD/ledger?sort=asc", 422),
    ],
)
async def test_bad_ledger_requests_are_problems(api, auth, path, status):
    await problem(await api.get(path, headers=auth), status)


@pytest.mark.parametrize("path", ["/api/accounts", "/api/accounts/USD/ledger"])
async def test_accounts_need_an_api_key(api, path):
    await problem(await api.get(path), 401)


async def test_the_migration_turns_an_old_single_sided_ledger_into_balanced_postings(
    mysql_server_url, tmp_path: Path
):
    # Given a database at the schema before double entry, holding old single-sided lines
    base = mysql_server_url.rpartition("/")[0]
    settings = Settings(database_url=f"{base}/payouts_legacy_{uuid.uuid4().hex[:8]}")
    old = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, old)
    for later in sorted((old / "models").glob("[0-9]*_*.py"))[2:]:
        later.unlink()
    await ensure_database_exists(settings)
    try:
        await open_database(settings)  # aerich works on Tortoise's open connection
        command = aerich_command(settings, location=old)
        await command.init()
        await command.upgrade(run_in_transaction=True)
        connection = Tortoise.get_connection("default")
        await connection.execute_script(
            "INSERT INTO users (id, name, created_at) VALUES (1, 'u', NOW(6));"
            "INSERT INTO user_accounts (id, user_id, currency, balance_minor, held_minor,"
            " created_at, updated_at) VALUES (1, 1, 'EUR', 9850, 0, NOW(6), NOW(6));"
            "INSERT INTO account_ledger_entries (account_id, kind, amount_minor, payout_id,"
            " created_at) VALUES (1, 'deposit', 10000, NULL, NOW(6)),"
            " (1, 'hold', 150, 'p1', NOW(6)), (1, 'debit', 150, 'p1', NOW(6)),"
            " (1, 'hold', 200, 'p2', NOW(6)), (1, 'release', 200, 'p2', NOW(6));"
        )
        # When the current migrations run
        command = aerich_command(settings)
        await command.init()
        applied = await command.upgrade(run_in_transaction=True)
        # Then every old line has a clearing counterpart and the ledger verifies
        uow = SqlUnitOfWorkFactory(dialect_for_url(settings.database_url))
        report = await verify_ledger(uow)
        assert applied and report.clean, report.violations
        assert report.postings == 5
        assert report.total_debits_minor == report.total_credits_minor == 10_700
    finally:
        await close_database()
        await open_database(settings)
        await Tortoise.get_connection("default").execute_script(
            f"DROP DATABASE IF EXISTS `{settings.database_url.rpartition('/')[2]}`"
        )
        await close_database()
