"""Reading request bodies, headers and query strings into plain values, or a 4xx problem."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from aiohttp import web

from payout_service.application.payout_fields import metadata_problem, text_problem
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
    """The body's bytes; a 413 problem when it is larger than `max_bytes`.

    Each route has its own limit, and the app's client_max_size is only the largest of them
    (a batch's): so the body is read here, stopping as soon as it passes this route's limit,
    whether or not a Content-Length announced it.
    """
    too_large = Problem(
        413, "payload_too_large", "Payload too large", f"the body exceeds {max_bytes} bytes"
    )
    if request.content_length is not None and request.content_length > max_bytes:
        raise too_large
    body = bytearray()
    async for chunk in request.content.iter_any():
        body += chunk
        if len(body) > max_bytes:
            raise too_large
    return bytes(body)


def json_object_of(raw: bytes) -> dict[str, Any]:
    """A body's bytes as a JSON object, read as UTF-8; a 400 problem for anything else.

    A \\u escape may name half of a surrogate pair alone: that is no text, cannot be stored or
    hashed, and is refused here like invalid UTF-8 (only an escape can carry one in).
    """
    try:
        text = raw.decode("utf-8")
        body = json.loads(text)
        if "\\u" in text:
            json.dumps(body, ensure_ascii=False).encode("utf-8")
    except (UnicodeError, json.JSONDecodeError, RecursionError) as exc:
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
OPTIONAL_CREATE_FIELDS = {"metadata"}


def create_payout_fields(body: dict[str, Any]) -> dict[str, Any]:
    """Checks presence, types, lengths and unknown fields; amount rules stay with Money."""
    known = CREATE_FIELDS.keys() | OPTIONAL_CREATE_FIELDS
    errors = [field_error(name, "unknown field") for name in body if name not in known]
    for name, kind in CREATE_FIELDS.items():
        value = body.get(name)
        if value is None:
            errors.append(field_error(name, "is required"))
        elif kind is int and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
            errors.append(field_error(name, "must be a positive integer"))
        elif kind is str and (problem := text_problem(name, value)) is not None:
            errors.append(field_error(name, problem))
    if "metadata" in body and (problem := metadata_problem(body["metadata"])) is not None:
        errors.append(field_error("metadata", problem))
    if errors:
        raise validation_problem(errors)
    return body


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


@dataclass(frozen=True, slots=True)
class PayoutListQuery:
    status: PayoutStatus | None
    limit: int
    cursor: PageCursor | None
    batch_id: str | None  # only the payouts of this batch


def page_query(request: web.Request) -> PayoutListQuery:
    """`?status=&batch_id=&limit=&cursor=` of GET /api/payouts; anything else is a 422."""
    errors: list[dict[str, str]] = []
    batch_id = request.query.get("batch_id")
    if batch_id is not None:
        batch_id = uuid_text(batch_id)
        if batch_id is None:
            errors.append(field_error("batch_id", "must be a batch id (a UUID)"))
    status, limit, cursor = status_page_query(
        request, PayoutStatus, decode_cursor, also=("batch_id",), errors=errors
    )
    return PayoutListQuery(status, limit, cursor, batch_id)


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
    found = [*errors, *unknown_parameters(query, {"status", "limit", "cursor", *also})]
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
    errors = unknown_parameters(query, {"limit", "cursor"})
    limit = page_limit(query, errors)
    cursor = page_cursor(query, read_cursor, errors)
    if errors:
        raise validation_problem(errors)
    return limit, cursor


def unknown_parameters(query: Mapping[str, str], known: Collection[str]) -> list[dict[str, str]]:
    return [field_error(name, "unknown query parameter") for name in query if name not in known]


def page_cursor(
    query: Mapping[str, str], read_cursor: Callable[[str], C | None], errors: list[dict[str, str]]
) -> C | None:
    """The `cursor` query parameter read by `read_cursor`, or None; a bad one adds to `errors`."""
    if "cursor" not in query:
        return None
    cursor = read_cursor(query["cursor"])
    if cursor is None:
        errors.append(field_error("cursor", "is not a cursor this API returned"))
    return cursor


def encode_cursor(cursor: PageCursor) -> str:
    return encode_moment_cursor(cursor.created_at, cursor.payout_id)


def decode_cursor(text: str) -> PageCursor | None:
    moment_and_id = decode_moment_cursor(text)
    return PageCursor(*moment_and_id) if moment_and_id is not None else None


def encode_moment_cursor(created_at: datetime, row_id: str) -> str:
    """The cursor of a newest-first list that stopped at the row (created_at, id)."""
    text = f"{created_at.isoformat()}|{row_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_moment_cursor(text: str) -> tuple[datetime, str] | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        moment, row_id = raw.split("|", 1)
        created_at = datetime.fromisoformat(moment)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if created_at.tzinfo is None or not row_id:
        return None
    return created_at, row_id


def uuid_text(text: str) -> str | None:
    """A row id in its stored form (a lower-case UUID), or None when `text` cannot be one."""
    try:
        return str(uuid.UUID(text)) if len(text) == 36 else None
    except ValueError:
        return None
