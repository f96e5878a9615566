"""The building blocks of the OpenAPI document (web.openapi): references, answers, problems and
the parameters several operations share."""

from __future__ import annotations

from typing import Any

from payout_service.domain.payout import (
    MAX_METADATA_KEY_LENGTH,
    MAX_METADATA_KEYS,
    MAX_METADATA_VALUE_LENGTH,
)
from payout_service.web.problems import PROBLEM_JSON
from payout_service.web.queries import DEFAULT_PAGE, MAX_PAGE
from payout_service.web.requests import MAX_IDEMPOTENCY_KEY

Schema = dict[str, Any]

NULLABLE_STRING: Schema = {"type": ["string", "null"]}
NULLABLE_TIME: Schema = {"type": ["string", "null"], "format": "date-time"}
TIME: Schema = {"type": "string", "format": "date-time"}
LIMIT = {
    "name": "limit",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": DEFAULT_PAGE},
}
AMOUNT: Schema = {"type": "string", "description": 'decimal string, e.g. "150.00"'}
METADATA: Schema = {
    "type": "object",
    "maxProperties": MAX_METADATA_KEYS,
    "propertyNames": {"minLength": 1, "maxLength": MAX_METADATA_KEY_LENGTH},
    "additionalProperties": {"type": "string", "maxLength": MAX_METADATA_VALUE_LENGTH},
    "description": "the client's own key-value pairs, kept and shown as given",
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_IDEMPOTENCY_KEY,
        "pattern": "^[ -~]+$",
    },
}
REPLAYED = {
    "Idempotent-Replayed": {
        "description": "true when this is the stored answer to an earlier request",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
HAS_MORE: Schema = {"type": "boolean", "description": "more follow: ask for next_cursor"}
ALL_IN_ONE_PAGE: Schema = {"type": "boolean", "const": False, "description": "all in one page"}
CURSOR = {
    "name": "cursor",
    "in": "query",
    "required": False,
    "description": "the next_cursor of the previous page",
    "schema": {"type": "string"},
}

_PROBLEM_TEXT = {
    400: "malformed JSON, an unreadable CSV, a missing or invalid Idempotency-Key",
    401: "no valid API key (or, for webhooks, no valid signature)",
    403: "the body's user_id is not the API key's user",
    404: "no such resource for this caller (another user's is reported the same way)",
    405: "method not allowed on this path",
    409: "conflict: reference used, key in flight, the payout is past cancelling, or the"
    " caller has as many webhook endpoints as one may",
    413: "the body is larger than MAX_BODY_BYTES (MAX_BATCH_BODY_BYTES for a payout batch)",
    415: "the body is not application/json (nor text/csv, where a payout batch may be)",
    422: "validation failed (a webhook endpoint URL refused among them), insufficient funds, an"
    " Idempotency-Key reused with another body, or a payout batch rejected (batch_rejected:"
    " errors names every bad item by index and field)",
    503: "transaction_conflict: the request waited too long for records other requests were"
    " changing (a deadlock, a lock wait timeout); nothing of it was kept: send it again, with"
    " the same Idempotency-Key, after Retry-After",
}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def json_answer(
    schema: Schema,
    description: str,
    headers: Schema | None = None,
    examples: Schema | None = None,
) -> Schema:
    """`examples`: named Example objects (openapi_examples.example), shown beside the schema."""
    response: Schema = {
        "description": description,
        "content": {"application/json": _media(schema, examples)},
    }
    if headers:
        response["headers"] = headers
    return response


def json_body(schema: Schema, examples: Schema | None = None) -> Schema:
    return {"required": True, "content": {"application/json": _media(schema, examples)}}


def _media(schema: Schema, examples: Schema | None) -> Schema:
    return {"schema": schema, "examples": examples} if examples else {"schema": schema}


def all_required(properties: Schema) -> Schema:
    return {"type": "object", "required": list(properties), "properties": properties}


def text(max_length: int) -> Schema:
    return {"type": "string", "minLength": 1, "maxLength": max_length}


def problems(*statuses: int, examples: dict[int, Schema] | None = None) -> Schema:
    """Error answers: every one an RFC 9457 problem; `examples`: named examples by status. Any
    route may answer 503 transaction_conflict: every one reads or writes the database."""
    shown = examples or {}
    return {
        str(status): {
            "description": _PROBLEM_TEXT[status],
            "content": {PROBLEM_JSON: _media(ref("Problem"), shown.get(status))},
        }
        for status in (*statuses, 503)
    }
