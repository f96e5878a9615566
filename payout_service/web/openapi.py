"""The OpenAPI 3.1 document of the HTTP API, served open at GET /openapi.json.

Kept true by tests: tests/integration/test_openapi.py checks that every route of the app is in
it and every operation in it is a route, and tests/integration/test_api_fuzz.py runs schemathesis
against the live service on MariaDB, checking that every response conforms to it.
The payout batches' part is web.openapi_payout_batches, the event log's and the webhook
endpoints' web.openapi_client_events; the pieces they all build with are in web.openapi_parts,
their examples in web.openapi_examples. web.openapi_conventions then gives every operation its
tag and the X-Request-ID header both ways.
"""

from __future__ import annotations

from aiohttp import web

from payout_service.application.payout_fields import MAX_TEXT_LENGTHS
from payout_service.domain.accounts import Direction, EntryKind
from payout_service.domain.failure_codes import FailureCode
from payout_service.domain.money import CURRENCIES
from payout_service.domain.payout import PayoutStatus
from payout_service.domain.provider_report import ProviderStatus
from payout_service.infrastructure.webhook_signature import SIGNATURE_HEADER
from payout_service.web import openapi_client_events, openapi_examples, openapi_payout_batches
from payout_service.web.moments import RFC3339_TIME
from payout_service.web.openapi_conventions import (
    REQUEST_ID_HEADER,
    REQUEST_ID_PARAMETER,
    tag_list,
    with_conventions,
)
from payout_service.web.openapi_examples import example
from payout_service.web.openapi_parts import (
    ALL_IN_ONE_PAGE,
    AMOUNT,
    CURSOR,
    HAS_MORE,
    IDEMPOTENCY_KEY,
    LIMIT,
    METADATA,
    NULLABLE_STRING,
    NULLABLE_TIME,
    REPLAYED,
    TIME,
    Schema,
    all_required,
    json_answer,
    json_body,
    problems,
    ref,
    text,
)
from payout_service.web.problems import MAX_LISTED_ERRORS
from payout_service.web.queries import MAX_ROW_NUMBER
from payout_service.web.webhook_requests import MAX_FAILURE_CODE, MAX_ID

OPENAPI_PATH = "/openapi.json"


def add_routes(app: web.Application) -> None:
    document = openapi_document()

    async def serve(_: web.Request) -> web.Response:
        return web.json_response(document)

    app.router.add_get(OPENAPI_PATH, serve)


def _schemas() -> Schema:
    return {
        "Problem": {
            "type": "object",
            "required": ["type", "title", "status", "detail", "code", "instance"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "detail": {"type": "string"},
                "code": {"type": "string"},
                "instance": {"type": "string"},
                "errors_not_listed": {
                    "type": "integer",
                    "minimum": 1,
                    "description": f"a validation problem lists {MAX_LISTED_ERRORS} errors at"
                    " most: how many more there are (absent when none)",
                },
                "errors": {
                    "type": "array",
                    "description": "what is wrong, one object each: a field's, or (in a"
                    " batch_rejected problem, which lists every bad item) a batch item's, named"
                    " by its index",
                    "items": {
                        "type": "object",
                        "required": ["field", "message"],
                        "properties": {
                            "field": {
                                "type": ["string", "null"],
                                "description": "null: the whole batch item (not an object)",
                            },
                            "message": {"type": "string"},
                            "index": {
                                "type": "integer",
                                "minimum": 0,
                                "description": "the batch item's position, from 0",
                            },
                            "code": {"type": "string", "description": "a batch item's problem"},
                        },
                    },
                },
            },
        },
        "NewPayout": {
            "type": "object",
            "additionalProperties": False,
            "required": ["user_id", "amount", "currency", "wallet", "external_reference"],
            "properties": {
                "user_id": {"type": "integer", "minimum": 1, "maximum": MAX_ROW_NUMBER},
                "amount": {**AMOUNT, "minLength": 1, "maxLength": MAX_TEXT_LENGTHS["amount"]},
                "currency": {"type": "string", "enum": list(CURRENCIES)},
                "wallet": text(MAX_TEXT_LENGTHS["wallet"]),
                "external_reference": text(MAX_TEXT_LENGTHS["external_reference"]),
                "metadata": METADATA,
            },
        },
        "Payout": all_required(
            {
                "id": {"type": "string", "format": "uuid"},
                "user_id": {"type": "integer"},
                "amount": AMOUNT,
                "amount_minor": {"type": "integer", "minimum": 0},
                "currency": {"type": "string"},
                "wallet": {"type": "string"},
                "external_reference": {"type": "string"},
                "status": {"type": "string", "enum": [str(s) for s in PayoutStatus]},
                "provider_payout_id": NULLABLE_STRING,
                "provider_status": NULLABLE_STRING,
                "send_attempts": {"type": "integer", "minimum": 0},
                "last_error": NULLABLE_STRING,
                "needs_review": {
                    "type": "boolean",
                    "description": "Sending stopped without knowing whether the provider holds"
                    " the payout: it stays processing, its funds held, until an operator has"
                    " checked with the provider or the provider reports an outcome.",
                },
                "failure_code": {
                    "type": ["string", "null"],
                    "enum": [*(str(c) for c in FailureCode), None],
                    "description": "Why it did not pay, or paid and came back: set on failed,"
                    " cancelled (cancelled_by_client) and returned payouts, null otherwise."
                    " A client may act on it; failure_message is the same for people.",
                },
                "failure_message": {
                    **NULLABLE_STRING,
                    "description": "failure_code for people (a client may show it to its user);"
                    " last_error keeps the technical detail.",
                },
                "next_retry_at": NULLABLE_TIME,
                "completed_at": NULLABLE_TIME,
                "returned_at": {
                    **NULLABLE_TIME,
                    "description": "When the provider reported the money came back (status"
                    " returned); completed_at stays the moment it succeeded.",
                },
                "created_at": {"type": "string", "format": "date-time"},
                "updated_at": {"type": "string", "format": "date-time"},
                "version": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "+1 per change a client is told about: the payout_version"
                    " of its events",
                },
                "batch_id": {
                    **NULLABLE_STRING,
                    "description": "the payout batch it came in, if any",
                },
                "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
            }
        ),
        "PayoutPage": all_required(
            {
                "data": {"type": "array", "items": ref("Payout")},
                "next_cursor": NULLABLE_STRING,
                "has_more": HAS_MORE,
            }
        ),
        "Account": {
            "type": "object",
            "required": ["currency", "balance", "held", "available"],
            "properties": {
                "currency": {"type": "string"},
                "balance": AMOUNT,
                "held": AMOUNT,
                "available": AMOUNT,
            },
        },
        "LedgerLine": all_required(
            {
                "id": {"type": "integer"},
                "amount": AMOUNT,
                "currency": {"type": "string"},
                "direction": {"type": "string", "enum": [str(d) for d in Direction]},
                "reason": {
                    "type": "string",
                    "enum": [str(k) for k in EntryKind],
                    "description": "the entry's kind: return is a paid payout's money credited"
                    " back when the bank sent it back (its debit line stays)",
                },
                "payout_id": NULLABLE_STRING,
                "created_at": {"type": "string", "format": "date-time"},
            }
        ),
        "ProviderWebhook": {
            "type": "object",
            "description": "fields beyond these are accepted and ignored; a report names its"
            " payout by provider_payout_id, or by reference (our payout id), at least one",
            "required": ["event_id", "status", "occurred_at"],
            "properties": {
                "event_id": _ID,
                "provider_payout_id": _ID,
                "reference": _ID,
                "status": {"type": "string", "enum": [str(s) for s in ProviderStatus]},
                "occurred_at": {**TIME, "description": RFC3339_TIME},
                "failure_code": {
                    "type": ["string", "null"],
                    "minLength": 1,
                    "maxLength": MAX_FAILURE_CODE,
                    "description": "the provider's code for a failed or returned payout; one"
                    " we do not know is kept in the payout's failure_message",
                },
            },
        },
    }


_ID = text(MAX_ID)
_LEDGER_CURSOR = f"^[0-9]{{1,{len(str(MAX_ROW_NUMBER))}}}$"
_PAYOUT_ID = {"name": "payout_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _paths() -> Schema:
    return {
        "/up": {
            "get": _open("liveness", {"200": json_answer(_status_body(), "the process is up")})
        },
        "/ready": {
            "get": _open(
                "readiness: the database and Redis answer",
                {
                    "200": json_answer(_readiness(), "ready"),
                    "503": json_answer(_readiness(), "not ready; checks says why"),
                },
            )
        },
        "/metrics": {
            "get": _open(
                "Prometheus metrics (text exposition format)",
                {
                    "200": {
                        "description": "metrics",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            )
        },
        OPENAPI_PATH: {
            "get": _open("this document", {"200": json_answer({"type": "object"}, "OpenAPI 3.1")})
        },
        "/api/payouts": {
            "post": {
                "summary": "create a payout and hold its amount (idempotent)",
                "operationId": "createPayout",
                "parameters": [IDEMPOTENCY_KEY],
                "requestBody": json_body(
                    ref("NewPayout"),
                    {"usd": example("150.00 USD", openapi_examples.NEW_PAYOUT)},
                ),
                "responses": {
                    "201": json_answer(
                        ref("Payout"),
                        "created (or its replay)",
                        REPLAYED,
                        {"pending": example("created: funds held", openapi_examples.payout())},
                    ),
                    **problems(
                        400,
                        401,
                        403,
                        409,
                        413,
                        415,
                        422,
                        examples={
                            422: {
                                "invalid": example(
                                    "every bad field named",
                                    openapi_examples.invalid_payout_problem(),
                                )
                            }
                        },
                    ),
                },
            },
            "get": {
                "summary": "the caller's payouts, newest first; every filter given applies",
                "operationId": "listPayouts",
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": [str(s) for s in PayoutStatus]},
                    },
                    {
                        "name": "batch_id",
                        "in": "query",
                        "required": False,
                        "description": "only the items of this payout batch",
                        "schema": {"type": "string", "format": "uuid"},
                    },
                    {
                        "name": "external_reference",
                        "in": "query",
                        "required": False,
                        "description": "only the payout created with exactly this reference"
                        " (a reference is unique among the caller's payouts)",
                        "schema": text(MAX_TEXT_LENGTHS["external_reference"]),
                    },
                    _created("created_gte", "created at or after this time"),
                    _created("created_lt", "created before this time"),
                    LIMIT,
                    CURSOR,
                ],
                "responses": {
                    "200": json_answer(
                        ref("PayoutPage"),
                        "a page",
                        examples={"one": example("one payout", openapi_examples.payout_page())},
                    ),
                    **problems(401, 422),
                },
            },
        },
        "/api/payouts/{payout_id}": {
            "get": {
                "summary": "one of the caller's payouts",
                "operationId": "getPayout",
                "parameters": [_PAYOUT_ID],
                "responses": {
                    "200": json_answer(
                        ref("Payout"),
                        "the payout",
                        examples={"pending": example("pending", openapi_examples.payout())},
                    ),
                    **problems(401, 404),
                },
            }
        },
        "/api/payouts/{payout_id}/cancel": {
            "post": {
                "summary": "cancel a payout the provider has not accepted (idempotent)",
                "operationId": "cancelPayout",
                "parameters": [_PAYOUT_ID],
                "responses": {
                    "200": json_answer(
                        ref("Payout"),
                        "cancelled",
                        examples={
                            "cancelled": example(
                                "cancelled: funds released",
                                openapi_examples.payout(cancelled=True),
                            )
                        },
                    ),
                    **problems(401, 404, 409),
                },
            }
        },
        "/api/accounts": {
            "get": {
                "summary": "the caller's balances per currency",
                "operationId": "listAccounts",
                "responses": {
                    "200": json_answer(
                        all_required(
                            {
                                "data": {"type": "array", "items": ref("Account")},
                                "has_more": ALL_IN_ONE_PAGE,
                            }
                        ),
                        "accounts",
                        examples={
                            "usd": example(
                                "one account, 150.00 held",
                                {"data": [openapi_examples.ACCOUNT], "has_more": False},
                            )
                        },
                    ),
                    **problems(401),
                },
            }
        },
        "/api/accounts/{currency}/ledger": {
            "get": {
                "summary": "an account's ledger lines, newest first",
                "operationId": "accountLedger",
                "parameters": [
                    {
                        "name": "currency",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    LIMIT,
                    {**CURSOR, "schema": {"type": "string", "pattern": _LEDGER_CURSOR}},
                ],
                "responses": {
                    "200": json_answer(
                        all_required(
                            {
                                "account": ref("Account"),
                                "data": {"type": "array", "items": ref("LedgerLine")},
                                "next_cursor": NULLABLE_STRING,
                                "has_more": HAS_MORE,
                            }
                        ),
                        "a page",
                    ),
                    **problems(401, 404, 422),
                },
            }
        },
        "/api/webhooks/provider": {
            "post": {
                "summary": "a provider's signed status report; stored, applied later once",
                "operationId": "receiveProviderWebhook",
                "security": [],
                "parameters": [
                    {
                        "name": SIGNATURE_HEADER,
                        "in": "header",
                        "required": True,
                        "description": 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">',
                        "schema": {"type": "string"},
                    }
                ],
                "requestBody": json_body(
                    ref("ProviderWebhook"),
                    {
                        "success": example(
                            "the provider paid the payout", openapi_examples.PROVIDER_WEBHOOK
                        )
                    },
                ),
                "responses": {
                    "202": json_answer(
                        {
                            "type": "object",
                            "required": ["inbox_event_id", "duplicate", "result"],
                            "properties": {
                                "inbox_event_id": {"type": "integer"},
                                "duplicate": {"type": "boolean"},
                                "result": {"type": "string"},
                            },
                        },
                        "stored (or a duplicate of a stored event)",
                        examples={
                            "stored": example(
                                "stored, to be applied", openapi_examples.WEBHOOK_RECEIPT
                            )
                        },
                    ),
                    **problems(400, 401, 413, 415, 422),
                },
            }
        },
    }


def _created(name: str, description: str) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": f"{description}: {RFC3339_TIME}",
        "schema": TIME,
    }


def _open(summary: str, responses: Schema) -> Schema:
    return {"summary": summary, "security": [], "responses": responses}


def _status_body() -> Schema:
    return {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}}


def _readiness() -> Schema:
    return {
        "type": "object",
        "required": ["status", "checks"],
        "properties": {
            "status": {"type": "string", "enum": ["ready", "not_ready"]},
            "checks": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }


def openapi_document() -> Schema:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "payout-service",
            "version": "0.1.0",
            "description": "Payouts with idempotent creation, funds holds and signed webhooks. "
            "Every error is an RFC 9457 application/problem+json document.",
        },
        "servers": [{"url": "/", "description": "this service, where it serves the document"}],
        "security": [{"apiKey": []}],
        "tags": tag_list(),
        "paths": with_conventions(
            {
                **_paths(),
                **openapi_payout_batches.paths(),
                **openapi_client_events.paths(),
            }
        ),
        "components": {
            "parameters": {"RequestId": REQUEST_ID_PARAMETER},
            "headers": {"RequestId": REQUEST_ID_HEADER},
            "schemas": {
                **_schemas(),
                **openapi_payout_batches.schemas(),
                **openapi_client_events.schemas(),
            },
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Authorization: Bearer <API key>",
                }
            },
        },
    }
