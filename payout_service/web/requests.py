"""Reading request bodies, headers and query strings into plain values, or a 4xx problem."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from aiohttp import web

from payout_service.application.ports import PageCursor
from payout_service.domain.payout import PayoutStatus
from payout_service.web.problems import Problem, field_error, validation_problem

S = TypeVar("S", bound=StrEnum)  # a list's statuses
C = TypeVar("C")  # a list's cursor

MAX_IDEMPOTENCY_KEY = 255
MAX_PAGE = 100
DEFAULT_PAGE = 20
MAX_LEDGER_CURSOR_DIGITS = 19  # a ledger line id: an unsigned BIGINT
# The largest number a query may carry to the database (a signed BIGINT, which SQLite binds):
# row ids and event sequences.
MAX_ROW_NUMBER = 2**63 - 1


async def json_object(request: web.Request, max_bytes: int) -> dict[str, Any]:
    """The body as a JSON object; 415, 413 or 400 problems for anything else."""
    if request.content_type != "application/json":
        raise Problem(
            415,
            "unsupported_media_type",
            "Unsupported media type",
            "send the body as application/json",
        )
    return json_object_of(await raw_body(request, max_bytes))


async def raw_body(request: web.Request, max_bytes: int) -> bytes:
    """The body's bytes; a 413 problem when it is larger than `max_bytes`."""
    too_large = Problem(
        413, "payload_too_large", "Payload too large", f"the body exceeds {max_bytes} bytes"
    )
    if request.content_length is not None and request.content_length > max_bytes:
        raise too_large
    try:
        return await request.read()  # the app's client_max_size bounds it
    except web.HTTPRequestEntityTooLarge:
        raise too_large from None


def json_object_of(raw: bytes) -> dict[str, Any]:
    """A body's bytes as a JSON object, read as UTF-8; a 400 problem for anything else."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise Problem(
            400, "malformed_json", "Malformed JSON", f"the body is not UTF-8 JSON: {exc}"
        ) from None
    if not isinstance(body, dict):
        raise Problem(400, "malformed_json", "Malformed JSON", "the body must be a JSON object")
    return body


def idempotency_key(request: web.Request) -> str:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        raise Problem(
            400,
            "idempotency_key_missing",
            "Idempotency-Key required",
            f"send an Idempotency-Key header (1-{MAX_IDEMPOTENCY_KEY} printable ASCII characters)",
        )
    if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY or not all(" " <= c <= "~" for c in key):
        raise Problem(
            400,
            "idempotency_key_invalid",
            "Invalid Idempotency-Key",
            f"the Idempotency-Key must be 1-{MAX_IDEMPOTENCY_KEY} printable ASCII characters",
        )
    return key


CREATE_FIELDS = {
    "user_id": int,
    "amount": str,
    "currency": str,
    "wallet": str,
    "external_reference": str,
}
MAX_TEXT_LENGTHS = {"currency": 8, "wallet": 255, "external_reference": 128, "amount": 64}


def create_payout_fields(body: dict[str, Any]) -> dict[str, Any]:
    """Checks presence, types, lengths and unknown fields; amount rules stay with Money."""
    errors = [field_error(name, "unknown field") for name in body if name not in CREATE_FIELDS]
    for name, kind in CREATE_FIELDS.items():
        value = body.get(name)
        if value is None:
            errors.append(field_error(name, "is required"))
        elif kind is int and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
            errors.append(field_error(name, "must be a positive integer"))
        elif kind is str and not isinstance(value, str):
            hint = ' (a decimal string such as "150.00")' if name == "amount" else ""
            errors.append(field_error(name, "must be a string" + hint))
        elif kind is str:
            errors += _text_errors(name, value)
    if errors:
        raise validation_problem(errors)
    return body


def _text_errors(name: str, value: str) -> list[dict[str, str]]:
    if not value.strip():
        return [field_error(name, "must not be empty")]
    if len(value) > MAX_TEXT_LENGTHS[name]:
        return [field_error(name, f"must be at most {MAX_TEXT_LENGTHS[name]} characters")]
    if not value.isprintable():
        return [field_error(name, "must contain printable characters only")]
    return []


def page_limit(query: Mapping[str, str], errors: list[dict[str, str]]) -> int:
    """The `limit` query parameter of a listing, or the default; a bad one adds to `errors`."""
    if "limit" not in query:
        return DEFAULT_PAGE
    limit = whole_number(query["limit"], MAX_PAGE)
    if limit is None or limit < 1:
        errors.append(field_error("limit", f"must be an integer from 1 to {MAX_PAGE}"))
        return DEFAULT_PAGE
    return limit


def whole_number(text: str, maximum: int = MAX_ROW_NUMBER) -> int | None:
    """`text` as an integer from 0 to `maximum` in ASCII digits; None for anything else
    (str.isdigit alone lets "²" through, which int() then refuses)."""
    if not text.isascii() or not text.isdigit() or len(text) > len(str(maximum)):
        return None
    number = int(text)
    return number if number <= maximum else None


def page_query(request: web.Request) -> tuple[PayoutStatus | None, int, PageCursor | None]:
    return status_page_query(request, PayoutStatus, decode_cursor)


def status_page_query(
    request: web.Request, statuses: type[S], read_cursor: Callable[[str], C | None]
) -> tuple[S | None, int, C | None]:
    """`?status=&limit=&cursor=` of a list filtered by one of `statuses`, its cursor read by
    `read_cursor` (None: not a cursor this API returned); anything else is a 422."""
    query = request.query
    errors = [
        field_error(name, "unknown query parameter")
        for name in query
        if name not in {"status", "limit", "cursor"}
    ]
    status = None
    if "status" in query:
        try:
            status = statuses(query["status"])
        except ValueError:
            errors.append(field_error("status", f"must be one of {', '.join(statuses)}"))
    limit = page_limit(query, errors)
    cursor = None
    if "cursor" in query:
        cursor = read_cursor(query["cursor"])
        if cursor is None:
            errors.append(field_error("cursor", "is not a cursor this API returned"))
    if errors:
        raise validation_problem(errors)
    return status, limit, cursor


def encode_cursor(cursor: PageCursor) -> str:
    text = f"{cursor.created_at.isoformat()}|{cursor.payout_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> PageCursor | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        moment, payout_id = raw.split("|", 1)
        created_at = datetime.fromisoformat(moment)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if created_at.tzinfo is None or not payout_id:
        return None
    return PageCursor(created_at, payout_id)
