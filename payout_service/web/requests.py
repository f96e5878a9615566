"""Reading request bodies and headers into plain values, or a 4xx problem (query strings and
path ids: web.queries)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from payout_service.application.payout_fields import metadata_problem, text_problem
from payout_service.web.problems import Problem, field_error, validation_problem
from payout_service.web.queries import MAX_ROW_NUMBER

log = logging.getLogger("payout_service.web")

MAX_IDEMPOTENCY_KEY = 255
# The longest number literal a JSON body may hold: every number this API reads fits in 20
# characters (a BIGINT and its sign); Python's int() refuses over 4 300 digits with a ValueError.
MAX_JSON_NUMBER_LENGTH = 40


class UnreadableJson(ValueError):
    """Valid JSON syntax this API does not read: NaN and Infinity (not JSON, though Python's
    parser takes them), or a number longer than MAX_JSON_NUMBER_LENGTH."""


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

    A client that leaves before its body has all arrived gets a 400 problem it will never read:
    nothing was done, and its leaving is no error of the service's.
    """
    too_large = Problem(
        413, "payload_too_large", "Payload too large", f"the body exceeds {max_bytes} bytes"
    )
    if request.content_length is not None and request.content_length > max_bytes:
        raise too_large
    body = bytearray()
    try:
        async for chunk in request.content.iter_any():
            body += chunk
            if len(body) > max_bytes:
                raise too_large
    except ConnectionResetError:
        log.info("client went away before its whole body arrived", extra={"read": len(body)})
        raise Problem(
            400, "incomplete_body", "Incomplete body", "the connection closed mid-body"
        ) from None
    return bytes(body)


def json_object_of(raw: bytes) -> dict[str, Any]:
    """A body's bytes as a JSON object, read as UTF-8; a 400 problem for anything else.

    A \\u escape may name half of a surrogate pair alone: that is no text, cannot be stored or
    hashed, and is refused here like invalid UTF-8 (only an escape can carry one in).
    """
    try:
        text = raw.decode("utf-8")
        body = json.loads(
            text,
            parse_int=_bounded(int),
            parse_float=_bounded(float),
            parse_constant=_refuse_constant,
        )
        if "\\u" in text:
            json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnreadableJson as exc:
        raise Problem(400, "malformed_json", "Malformed JSON", f"the body's {exc}") from None
    except (UnicodeError, ValueError, RecursionError) as exc:
        raise Problem(
            400, "malformed_json", "Malformed JSON", f"the body is not UTF-8 JSON: {exc}"
        ) from None
    if not isinstance(body, dict):
        raise Problem(400, "malformed_json", "Malformed JSON", "the body must be a JSON object")
    return body


def _bounded(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def read(literal: str) -> Any:
        if len(literal) > MAX_JSON_NUMBER_LENGTH:
            raise UnreadableJson(
                f"number {literal[:12]}... is longer than {MAX_JSON_NUMBER_LENGTH} characters"
            )
        return kind(literal)

    return read


def _refuse_constant(name: str) -> Any:
    raise UnreadableJson(f"{name} is not a JSON number")


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
        elif kind is int and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ROW_NUMBER
        ):
            errors.append(field_error(name, f"must be an integer from 1 to {MAX_ROW_NUMBER}"))
        elif kind is str and (problem := text_problem(name, value)) is not None:
            errors.append(field_error(name, problem))
    if "metadata" in body and (problem := metadata_problem(body["metadata"])) is not None:
        errors.append(field_error("metadata", problem))
    if errors:
        raise validation_problem(errors)
    return body
