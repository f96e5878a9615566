"""`payout-service users create`, `accounts open|credit` and `api-key list|revoke`: who may use
the service, the money they start with, and the keys they call it with.

Each opens the database, runs one use case and prints what an operator needs: one line, or a
table (`api-key list`, JSON with --json). Each can be run again safely: what exists already is
reported as it is and nothing changes. Exit codes: 0 done (or done before), 1 refused (an id of
another name, a reference credited with another amount, no such user, account or key), 2 a bad
argument. The reason is one line on stderr.

cli.py wires them: `users` and `accounts` are commands of their own (add_users_arguments and
users_command, add_accounts_arguments and accounts_command); `list` and `revoke` join
`api-key create` in the api-key tree (add_api_key_actions, api_key_command).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from payout_service.application.create_user import CreateUser
from payout_service.application.credit_account import CreditAccount
from payout_service.application.errors import AccountNotFound, ApplicationError, NotFound
from payout_service.application.manage_api_keys import ManageApiKeys
from payout_service.application.open_account import OpenAccount
from payout_service.application.operator_input import InvalidInput
from payout_service.application.ports import ApiKeyRecord
from payout_service.domain.accounts import Account
from payout_service.domain.errors import DomainError
from payout_service.domain.money import CURRENCIES, currency, format_minor
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.settings import Settings

if TYPE_CHECKING:
    from payout_service.operator_commands import WithDatabase

REFUSED = 1
BAD_ARGUMENT = 2
_RAW = argparse.RawDescriptionHelpFormatter
_CURRENCIES = ", ".join(CURRENCIES)


def whole_number(text: str) -> int:
    """An argparse type: ASCII digits only (int() would take "١٢٣" and "1_000"), bounded."""
    if not (text.isascii() and text.isdigit() and len(text) <= 19):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number such as 123")
    return int(text)


def add_users_arguments(users: argparse.ArgumentParser) -> None:
    users.epilog = "example:\n  payout-service users create --id 7 --name 'Acme Ltd'"
    users.formatter_class = _RAW
    actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = _action(
        actions,
        "create",
        "register a user (the same id and name again changes nothing)",
        "payout-service users create --id 7 --name 'Acme Ltd'\n"
        "  user 7 created: Acme Ltd\n"
        "exit codes: 0 created or there already, 1 the id has another name, 2 a bad argument",
    )
    create.add_argument("--id", type=whole_number, required=True, help="the user's id")
    create.add_argument("--name", required=True, help="what the user is called (printable)")


def add_accounts_arguments(accounts: argparse.ArgumentParser) -> None:
    accounts.epilog = (
        "examples:\n  payout-service accounts open --user 7 --currency USD\n"
        "  payout-service accounts credit --user 7 --currency USD --amount 150.00"
        " --reference wire-0042"
    )
    accounts.formatter_class = _RAW
    actions = accounts.add_subparsers(dest="action", required=True, metavar="ACTION")
    opening = _action(
        actions,
        "open",
        "open a user's account in a currency, at zero (one there already is left as it is)",
        "payout-service accounts open --user 7 --currency USD\n"
        "  USD account of user 7 opened: balance 0.00\n"
        "exit codes: 0 opened or there already, 1 no such user, 2 a bad argument",
    )
    _user_and_currency(opening)
    credit = _action(
        actions,
        "credit",
        "money arrives on a user's account: a deposit, once per reference",
        "payout-service accounts credit --user 7 --currency USD --amount 150.00"
        " --reference wire-0042\n"
        "  credited 150.00 USD to user 7 (reference 'wire-0042'): balance 150.00, available"
        " 150.00\n"
        "The same reference and amount again credits nothing and says so; the same reference\n"
        "with another amount is refused. The other side of the posting is the currency's\n"
        "clearing account, so `payout-service ledger verify` stays clean.\n"
        "exit codes: 0 credited or credited before, 1 refused (no such account, the reference\n"
        "credited with another amount), 2 a bad argument",
    )
    _user_and_currency(credit)
    credit.add_argument(
        "--amount", required=True, help="a decimal string in the currency's places: 150.00"
    )
    credit.add_argument(
        "--reference",
        required=True,
        help="names this transfer, e.g. the bank's: crediting it again changes nothing",
    )


def add_api_key_actions(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`list` and `revoke`, beside `create` in the api-key tree cli.py builds."""
    listing = _action(
        actions,
        "list",
        "a user's API keys: prefix, label, created, last used, revoked",
        "payout-service api-key list --user 123\n  payout-service api-key list --user 123 --json",
    )
    listing.set_defaults(api_key_action="list")
    listing.add_argument(
        "--user", type=whole_number, required=True, metavar="ID", help="the user's id"
    )
    listing.add_argument("--json", action="store_true", help="the keys as a JSON object")
    revoke = _action(
        actions,
        "revoke",
        "revoke an API key by its prefix (as `api-key list` shows it)",
        "payout-service api-key revoke psk_Xk3v9QpL\n"
        "A web process remembers a key's answer for API_KEY_CACHE_SECONDS: the key is refused\n"
        "everywhere within that time. Revoking a revoked key changes nothing.\n"
        "exit codes: 0 revoked or revoked before, 1 no such key or several in use with the\n"
        "prefix (name the user with --user), 2 a bad argument",
    )
    revoke.set_defaults(api_key_action="revoke")
    revoke.add_argument("prefix", metavar="PREFIX", help="the key's first characters")
    revoke.add_argument(
        "--user", type=whole_number, metavar="ID", help="only this user's key with the prefix"
    )


def users_command(settings: Settings, args: argparse.Namespace, with_database: WithDatabase) -> int:
    try:
        done = with_database(
            settings, lambda uow: CreateUser(uow, SystemClock())(args.id, args.name)
        )
    except (DomainError, ApplicationError) as refusal:
        return _refused(refusal)
    user = done.user
    print(
        f"user {user.id} created: {user.name}"
        if done.created
        else f"user {user.id} exists already: {user.name} (nothing changed)"
    )
    return 0


def accounts_command(
    settings: Settings, args: argparse.Namespace, with_database: WithDatabase
) -> int:
    if args.action == "open":
        return _open(settings, args, with_database)
    return _credit(settings, args, with_database)


def api_key_command(
    settings: Settings, args: argparse.Namespace, with_database: WithDatabase
) -> int:
    if args.api_key_action == "list":
        return _list_keys(settings, args, with_database)
    return _revoke_key(settings, args, with_database)


def _open(settings: Settings, args: argparse.Namespace, with_database: WithDatabase) -> int:
    try:
        done = with_database(
            settings, lambda uow: OpenAccount(uow, SystemClock())(args.user, args.currency)
        )
    except NotFound as missing:
        return _refused(missing, f"payout-service users create --id {args.user} --name NAME")
    except (DomainError, ApplicationError) as refusal:
        return _refused(refusal)
    a = done.account
    if done.opened:
        print(
            f"{a.currency} account of user {a.user_id} opened: balance {_money(a.balance_minor, a)}"
        )
    else:
        print(
            f"user {a.user_id} has a {a.currency} account already: {_balances(a)} (nothing changed)"
        )
    return 0


def _credit(settings: Settings, args: argparse.Namespace, with_database: WithDatabase) -> int:
    try:
        done = with_database(
            settings,
            lambda uow: CreditAccount(uow, SystemClock())(
                args.user, args.currency, args.amount, args.reference
            ),
        )
    except AccountNotFound as missing:
        hint = f"payout-service accounts open --user {args.user} --currency {args.currency}"
        return _refused(missing, hint)
    except (DomainError, ApplicationError) as refusal:
        return _refused(refusal)
    amount = f"{done.amount.format()} {done.amount.currency.code}"
    if done.credited:
        print(
            f"credited {amount} to user {args.user} (reference {done.reference!r}):"
            f" {_balances(done.account)}"
        )
    else:
        print(
            f"reference {done.reference!r} was credited before ({amount} to user {args.user}):"
            f" nothing changed; {_balances(done.account)}"
        )
    return 0


def _list_keys(settings: Settings, args: argparse.Namespace, with_database: WithDatabase) -> int:
    try:
        keys = with_database(
            settings, lambda uow: ManageApiKeys(uow, SystemClock()).list_for_user(args.user)
        )
    except (DomainError, ApplicationError) as refusal:
        return _refused(refusal)
    if args.json:
        print(json.dumps({"user_id": args.user, "api_keys": [_key_json(k) for k in keys]}))
        return 0
    print("\n".join(_key_table(keys)))
    in_use = sum(1 for k in keys if k.revoked_at is None)
    print(f"API keys of user {args.user}: {len(keys)}, {in_use} in use")
    return 0


def _revoke_key(settings: Settings, args: argparse.Namespace, with_database: WithDatabase) -> int:
    try:
        done = with_database(
            settings,
            lambda uow: ManageApiKeys(uow, SystemClock()).revoke(args.prefix, args.user),
        )
    except (DomainError, ApplicationError) as refusal:
        return _refused(refusal)
    key = done.key
    label = f" ({_shown(key.label)})" if key.label else ""
    named = f"API key {key.prefix} of user {key.user_id}{label}"
    if done.revoked:
        seconds = settings.api_key_cache_seconds
        print(
            f"{named} revoked; web processes refuse it within {seconds:g} s"
            " (API_KEY_CACHE_SECONDS: how long they remember a key's answer)"
        )
    else:
        print(f"{named} was revoked already at {_moment(key.revoked_at)}: nothing changed")
    return 0


def _action(
    actions: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help_: str,
    example: str,
) -> argparse.ArgumentParser:
    return actions.add_parser(
        name, help=help_, description=help_, epilog=f"example:\n  {example}", formatter_class=_RAW
    )


def _user_and_currency(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user", type=whole_number, required=True, metavar="ID", help="the user's id"
    )
    parser.add_argument("--currency", required=True, metavar="CUR", help=f"one of {_CURRENCIES}")


def _refused(refusal: Exception, hint: str | None = None) -> int:
    """One line on stderr; the exit code says whether the argument was bad or was refused."""
    print(f"error: {refusal}" + (f" ({hint})" if hint else ""), file=sys.stderr)
    return BAD_ARGUMENT if isinstance(refusal, DomainError | InvalidInput) else REFUSED


def _money(minor: int, account: Account) -> str:
    return format_minor(minor, currency(account.currency).exponent)


def _balances(account: Account) -> str:
    return (
        f"balance {_money(account.balance_minor, account)},"
        f" available {_money(account.available_minor, account)}"
    )


def _shown(label: str) -> str:
    """A label as given to `api-key create`, which takes any text: quoted unless printable."""
    return label if label.isprintable() else repr(label)


def _moment(moment: datetime | None, none: str = "-") -> str:
    return moment.isoformat(timespec="seconds") if moment else none


def _key_json(key: ApiKeyRecord) -> dict[str, Any]:
    return {
        "prefix": key.prefix,
        "label": key.label,
        "created_at": key.created_at.isoformat(),
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


def _key_table(keys: Sequence[ApiKeyRecord]) -> list[str]:
    rows = [("PREFIX", "LABEL", "CREATED", "LAST USED", "REVOKED")]
    rows += [
        (
            k.prefix,
            _shown(k.label) or "-",
            _moment(k.created_at),
            _moment(k.last_used_at, "never"),
            _moment(k.revoked_at),
        )
        for k in keys
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
