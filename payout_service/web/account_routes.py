"""/api/accounts: the caller's balances, and each account's ledger lines, newest first."""

from __future__ import annotations

from aiohttp import web

from payout_service.application.ports import AccountLine
from payout_service.application.representation import iso
from payout_service.domain.accounts import Account
from payout_service.domain.money import CURRENCIES, format_minor
from payout_service.web.payout_routes import SERVICES
from payout_service.web.problems import Problem
from payout_service.web.queries import cursor_page_query, whole_number


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/accounts", list_accounts)
    app.router.add_get("/api/accounts/{currency}/ledger", account_ledger)


async def list_accounts(request: web.Request) -> web.Response:
    """One per currency, all in one page (has_more is always false)."""
    accounts = await request.app[SERVICES].read_accounts.accounts(request["user_id"])
    return web.json_response({"data": [_account(a) for a in accounts], "has_more": False})


async def account_ledger(request: web.Request) -> web.Response:
    code = request.match_info["currency"]
    if code not in CURRENCIES:
        raise Problem(404, "not_found", "Not found", "no account in such a currency")
    limit, before_id = cursor_page_query(request, whole_number)
    page = await request.app[SERVICES].read_accounts.ledger(
        request["user_id"], code, limit, before_id
    )
    exponent = CURRENCIES[code].exponent
    return web.json_response(
        {
            "account": _account(page.account),
            "data": [_line(line, code, exponent) for line in page.lines],
            "next_cursor": str(page.next_before_id) if page.next_before_id else None,
            "has_more": page.next_before_id is not None,
        }
    )


def _account(account: Account) -> dict[str, str]:
    exponent = CURRENCIES[account.currency].exponent
    return {
        "currency": account.currency,
        "balance": format_minor(account.balance_minor, exponent),
        "held": format_minor(account.held_minor, exponent),
        "available": format_minor(account.available_minor, exponent),
    }


def _line(line: AccountLine, currency: str, exponent: int) -> dict[str, object]:
    return {
        "id": line.id,
        "amount": format_minor(line.amount_minor, exponent),
        "currency": currency,
        "direction": str(line.direction),
        "reason": str(line.kind),
        "payout_id": line.payout_id,
        "created_at": iso(line.created_at),
    }
