"""Reading query strings and path ids into plain values, or a 422 problem naming each bad
parameter.

Strict by design: numbers are ASCII digits of bounded length (str.isdigit alone lets "²"
through, which int() then refuses, and int() of 5 000 digits raises), every parameter is known
and given once, and a value that can name no row is refused before any query runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from enum import StrEnum
from typing import TypeVar

from aiohttp import web
from multidict import MultiMapping

from payout_service.web.problems import field_error, validation_problem

S = TypeVar("S", bound=StrEnum)  # a list's statuses
C = TypeVar("C")  # a list's cursor

MAX_PAGE = 100
DEFAULT_PAGE = 20
# The largest number a query may carry to the database (a signed BIGINT, which SQLite binds):
# row ids, user ids and event sequences.
MAX_ROW_NUMBER = 2**63 - 1
Errors = list[dict[str, str]]


def whole_number(text: str, maximum: int = MAX_ROW_NUMBER) -> int | None:
    """`text` as an integer from 0 to `maximum` in ASCII digits; None for anything else."""
    if not text.isascii() or not text.isdigit() or len(text) > len(str(maximum)):
        return None
    number = int(text)
    return number if number <= maximum else None


def uuid_text(text: str) -> str | None:
    """A row id in its stored form (a lower-case UUID), or None when `text` cannot be one."""
    try:
        return str(uuid.UUID(text)) if len(text) == 36 and text.isascii() else None
    except ValueError:
        return None


def query_problems(query: MultiMapping[str], known: Collection[str]) -> Errors:
    """An error for each parameter this list does not take, and each given more than once
    (which of two values would count is no guess to make)."""
    errors = []
    for name in dict.fromkeys(query):
        if name not in known:
            errors.append(field_error(name, "unknown query parameter"))
        elif len(query.getall(name)) > 1:
            errors.append(field_error(name, "must be given once"))
    return errors


def page_limit(query: Mapping[str, str], errors: Errors) -> int:
    """The `limit` query parameter of a listing, or the default; a bad one adds to `errors`."""
    if "limit" not in query:
        return DEFAULT_PAGE
    limit = whole_number(query["limit"], MAX_PAGE)
    if limit is None or limit < 1:
        errors.append(field_error("limit", f"must be an integer from 1 to {MAX_PAGE}"))
        return DEFAULT_PAGE
    return limit


def page_cursor(
    query: Mapping[str, str], read_cursor: Callable[[str], C | None], errors: Errors
) -> C | None:
    """The `cursor` query parameter read by `read_cursor`, or None; a bad one adds to `errors`."""
    if "cursor" not in query:
        return None
    cursor = read_cursor(query["cursor"])
    if cursor is None:
        errors.append(field_error("cursor", "is not a cursor this API returned"))
    return cursor


def status_page_query(
    request: web.Request,
    statuses: type[S],
    read_cursor: Callable[[str], C | None],
    *,
    also: Collection[str] = (),
    errors: Sequence[dict[str, str]] = (),
) -> tuple[S | None, int, C | None]:
    """`?status=&limit=&cursor=` of a list filtered by one of `statuses`, its cursor read by
    `read_cursor` (None: not a cursor this API returned); anything else is a 422. `also`: the
    caller's own parameters, whose problems it found already (`errors`, reported with these)."""
    query = request.query
    found = [*errors, *query_problems(query, {"status", "limit", "cursor", *also})]
    status = None
    if "status" in query:
        try:
            status = statuses(query["status"])
        except ValueError:
            found.append(field_error("status", f"must be one of {', '.join(statuses)}"))
    limit = page_limit(query, found)
    cursor = page_cursor(query, read_cursor, found)
    if found:
        raise validation_problem(found)
    return status, limit, cursor


def cursor_page_query(
    request: web.Request, read_cursor: Callable[[str], C | None]
) -> tuple[int, C | None]:
    """`?limit=&cursor=` of an unfiltered list; anything else is a 422."""
    query = request.query
    errors = query_problems(query, {"limit", "cursor"})
    limit = page_limit(query, errors)
    cursor = page_cursor(query, read_cursor, errors)
    if errors:
        raise validation_problem(errors)
    return limit, cursor
