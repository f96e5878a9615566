"""/api/accounts: the caller's balances, and each account's ledger lines, newest first."""

from __future__ import annotations

from aiohttp import web

from payout_service.application.ports import AccountLine
from payout_service.application.representation import iso
from payout_service.domain.accounts import Account
from payout_service.domain.money import CURRENCIES, format_minor
from payout_service.web.payout_routes import SERVICES
from payout_service.web.problems import Problem, field_error, validation_problem
from payout_service.web.requests import page_limit, whole_number


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/accounts", list_accounts)
    app.router.add_get("/api/accounts/{currency}/ledger", account_ledger)


async def list_accounts(request: web.Request) -> web.Response:
    accounts = await request.app[SERVICES].read_accounts.accounts(request["user_id"])
    return web.json_response({"data": [_account(a) for a in accounts]})


async def account_ledger(request: web.Request) -> web.Response:
    code = request.match_info["currency"]
    if code not in CURRENCIES:
        raise Problem(404, "not_found", "Not found", f"no {code} account")
    limit, before_id = _page(request)
    page = await request.app[SERVICES].read_accounts.ledger(
        request["user_id"], code, limit, before_id
    )
    exponent = CURRENCIES[code].exponent
    return web.json_response(
        {
            "account": _account(page.account),
            "data": [_line(line, code, exponent) for line in page.lines],
            "next_cursor": str(page.next_before_id) if page.next_before_id else None,
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


def _page(request: web.Request) -> tuple[int, int | None]:
    query = request.query
    errors = [
        field_error(name, "unknown query parameter")
        for name in query
        if name not in {"limit", "cursor"}
    ]
    limit = page_limit(query, errors)
    before_id = None
    if "cursor" in query:
        before_id = whole_number(query["cursor"])
        if before_id is None:
            errors.append(field_error("cursor", "is not a cursor this API returned"))
    if errors:
        raise validation_problem(errors)
    return limit, before_id
