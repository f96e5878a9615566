"""`users create`, `accounts open|credit` and `api-key list|revoke` on the real databases: money
credited is a clean ledger entry, once per reference; a revoked key authenticates no one.

The commands run as cli.py will run them (account_commands' parsers and handlers), with the
test's open database standing in for cli._with_database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest

from payout_service.account_commands import (
    accounts_command,
    add_accounts_arguments,
    add_api_key_actions,
    add_users_arguments,
    api_key_command,
    users_command,
)
from payout_service.application.authenticate import Authenticate
from payout_service.application.credit_account import CreditAccount
from payout_service.application.ports import UniqueViolation
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.ledger_verification import verify_ledger
from payout_service.infrastructure.db.seed import DEMO_API_KEY, DEMO_USER_ID
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from tests.integration.helpers import rows

Cli = Callable[..., Awaitable[tuple[int, str, str]]]
DEMO_PREFIX = DEMO_API_KEY[:12]


def parser() -> argparse.ArgumentParser:
    """The three commands as cli.py wires them (`api-key create` is cli.py's own)."""
    root = argparse.ArgumentParser(prog="payout-service")
    commands = root.add_subparsers(required=True)
    users = commands.add_parser("users")
    add_users_arguments(users)
    users.set_defaults(handler=users_command)
    accounts = commands.add_parser("accounts")
    add_accounts_arguments(accounts)
    accounts.set_defaults(handler=accounts_command)
    api_key = commands.add_parser("api-key")
    add_api_key_actions(api_key.add_subparsers(dest="action", required=True))
    api_key.set_defaults(handler=api_key_command)
    return root


@pytest.fixture
async def cli(settings: Settings, db: SqlUnitOfWorkFactory, capsys: pytest.CaptureFixture) -> Cli:
    """`payout-service <args>`: exit code, stdout, stderr. The handler runs in a thread, as it
    would in its own process; its database work runs on the test's loop and database."""
    loop = asyncio.get_running_loop()

    def with_database(_: Settings, work: Callable[[SqlUnitOfWorkFactory], Awaitable[Any]]) -> Any:
        return asyncio.run_coroutine_threadsafe(work(db), loop).result()

    async def run(*argv: str) -> tuple[int, str, str]:
        args = parser().parse_args(argv)
        code = await asyncio.to_thread(args.handler, settings, args, with_database)
        out, err = capsys.readouterr()
        return code, out, err

    return run


async def balance(db: SqlUnitOfWorkFactory, user_id: int, currency: str) -> int:
    (row,) = await rows(
        db,
        "SELECT balance_minor FROM user_accounts WHERE user_id = %s AND currency = %s",
        user_id,
        currency,
    )
    return int(row["balance_minor"])


async def test_a_new_user_funded_by_a_credit_leaves_the_ledger_clean(cli, db):
    # Given a user registered and given a USD account by an operator
    assert (await cli("users", "create", "--id", "7", "--name", "Acme Ltd"))[0] == 0
    assert (await cli("accounts", "open", "--user", "7", "--currency", "USD"))[0] == 0
    # When money arrives for it
    code, out, _ = await cli(
        "accounts", "credit", "--user", "7", "--currency", "USD",
        "--amount", "150.00", "--reference", "wire-1",
    )  # fmt: skip
    # Then the balance is right and the ledger clean, its debits equal to its credits
    assert code == 0
    assert "credited 150.00 USD to user 7" in out and "balance 150.00" in out
    assert await balance(db, 7, "USD") == 15_000
    report = await verify_ledger(db)
    assert report.clean, report.violations
    assert report.total_debits_minor == report.total_credits_minor


async def test_a_credit_run_twice_is_one_posting(cli, db):
    credit = (
        "accounts", "credit", "--user", str(DEMO_USER_ID), "--currency", "EUR",
        "--amount", "25.50", "--reference", "wire-2",
    )  # fmt: skip
    before = await balance(db, DEMO_USER_ID, "EUR")
    first = await cli(*credit)
    again = await cli(*credit)
    assert (first[0], again[0]) == (0, 0)
    assert "was credited before" in again[1] and "nothing changed" in again[1]
    assert await balance(db, DEMO_USER_ID, "EUR") == before + 2_550
    kept = await rows(db, "SELECT posting_id, amount_minor FROM account_credits")
    assert [int(r["amount_minor"]) for r in kept] == [2_550]
    lines = await rows(
        db, "SELECT kind FROM account_ledger_entries WHERE posting_id = %s", kept[0]["posting_id"]
    )
    assert [r["kind"] for r in lines] == ["deposit", "deposit"]
    assert (await verify_ledger(db)).clean


async def test_the_same_reference_with_another_amount_is_refused_in_one_line(cli, db):
    credit = ("accounts", "credit", "--user", str(DEMO_USER_ID), "--currency", "USD")
    await cli(*credit, "--amount", "1.00", "--reference", "wire-3")
    code, out, err = await cli(*credit, "--amount", "2.00", "--reference", "wire-3")
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and "already credited 1.00 USD" in err


async def test_one_credit_run_many_times_at_once_pays_once(db):
    # Given ten runs of one credit at once: on MariaDB they queue on the account's row lock
    credit = CreditAccount(db, SystemClock())
    runs = [credit(DEMO_USER_ID, "USD", "3.00", "wire-5") for _ in range(10)]
    before = await balance(db, DEMO_USER_ID, "USD")
    # When they have all ended
    done = await asyncio.gather(*runs)
    # Then one credited and the others found its reference
    assert sorted(d.credited for d in done) == [False] * 9 + [True]
    assert await balance(db, DEMO_USER_ID, "USD") == before + 300
    assert (await verify_ledger(db)).clean


async def test_the_database_keeps_one_credit_per_account_and_reference(db):
    # The unique key is what stops two credits that both looked before either wrote.
    async with db() as tx:
        account = await tx.accounts.get_for_update(DEMO_USER_ID, "USD")
        assert account is not None
        await tx.accounts.append_credit(account.deposit(100), "wire-4", SystemClock().now())
        with pytest.raises(UniqueViolation):
            await tx.accounts.append_credit(account.deposit(100), "wire-4", SystemClock().now())


async def test_users_and_accounts_can_be_created_again_and_a_name_clash_is_refused(cli, db):
    create = ("users", "create", "--id", "7", "--name", "Acme Ltd")
    assert (await cli(*create))[:2] == (0, "user 7 created: Acme Ltd\n")
    assert (await cli(*create))[:2] == (0, "user 7 exists already: Acme Ltd (nothing changed)\n")
    code, out, err = await cli("users", "create", "--id", "7", "--name", "Other")
    assert (code, out, err) == (1, "", "error: user 7 exists with another name: 'Acme Ltd'\n")
    opening = ("accounts", "open", "--user", "7", "--currency", "JPY")
    assert (await cli(*opening))[:2] == (0, "JPY account of user 7 opened: balance 0\n")
    assert "already" in (await cli(*opening))[1]
    assert len(await rows(db, "SELECT id FROM user_accounts WHERE user_id = 7")) == 1
    missing = await cli("accounts", "open", "--user", "8", "--currency", "USD")
    assert missing[0] == 1 and "no user 8" in missing[2]
    bad = await cli("accounts", "open", "--user", "7", "--currency", "XYZ")
    assert bad[0] == 2 and "unknown currency 'XYZ'" in bad[2]


async def test_a_revoked_key_is_listed_as_revoked_and_authenticates_no_one(cli, db, settings):
    authenticate = Authenticate(db, cache_seconds=0, clock=SystemClock())
    assert await authenticate(DEMO_API_KEY) == DEMO_USER_ID
    code, out, _ = await cli("api-key", "revoke", DEMO_PREFIX)
    assert code == 0 and f"refuse it within {settings.api_key_cache_seconds:g} s" in out
    assert await authenticate(DEMO_API_KEY) is None
    again = await cli("api-key", "revoke", DEMO_PREFIX)
    assert again[0] == 0 and "revoked already" in again[1]
    code, out, _ = await cli("api-key", "list", "--user", str(DEMO_USER_ID), "--json")
    (key,) = json.loads(out)["api_keys"]
    assert (key["prefix"], key["label"]) == (DEMO_PREFIX, "demo")
    assert key["last_used_at"] is not None and key["revoked_at"] is not None


async def test_a_keys_last_use_is_listed(cli, db):
    before = SystemClock().now().replace(microsecond=0)
    assert await Authenticate(db, cache_seconds=0, clock=SystemClock())(DEMO_API_KEY)
    code, out, _ = await cli("api-key", "list", "--user", str(DEMO_USER_ID))
    assert code == 0
    header, line, total = out.splitlines()
    assert header.split() == ["PREFIX", "LABEL", "CREATED", "LAST", "USED", "REVOKED"]
    prefix, label, _, used, revoked = line.split()
    assert (prefix, label, revoked) == (DEMO_PREFIX, "demo", "-")
    assert datetime.fromisoformat(used) >= before
    assert total == f"API keys of user {DEMO_USER_ID}: 1, 1 in use"
