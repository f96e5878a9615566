"""The OpenAPI schemas and operations of payout batches (merged into web.openapi's document):
limits, columns and enums read from where the code reads them."""

from __future__ import annotations

from payout_service.application.batch_items import ITEM_FIELDS
from payout_service.application.payout_fields import MAX_TEXT_LENGTHS
from payout_service.domain.money import CURRENCIES
from payout_service.domain.payout import PayoutStatus
from payout_service.domain.payout_batch import BatchMode, BatchStatus
from payout_service.web import openapi_examples
from payout_service.web.openapi_examples import example
from payout_service.web.openapi_parts import (
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
    problems,
    ref,
    text,
)
from payout_service.web.payout_batch_requests import CSV, DEFAULT_MODE, JSON
from payout_service.web.payout_batch_routes import BATCH, BATCHES

_MODE: Schema = {
    "type": "string",
    "enum": [str(m) for m in BatchMode],
    "default": str(DEFAULT_MODE),
    "description": "all_or_nothing: every item valid and funded (the batch's total per"
    " currency), or nothing is created and the 422 names every bad item; per_item: the valid"
    " items are created and the others reported in the 201",
}
_BATCH_ID = {"name": "batch_id", "in": "path", "required": True, "schema": {"type": "string"}}
_COUNT: Schema = {"type": "integer", "minimum": 0}
_BATCH_PROPERTIES: Schema = {
    "id": {"type": "string", "format": "uuid"},
    "user_id": {"type": "integer"},
    "status": {
        "type": "string",
        "enum": [str(s) for s in BatchStatus],
        "description": "processing until every item has ended; then completed (all paid),"
        " failed (none paid) or partially_failed",
    },
    "mode": {"type": "string", "enum": [str(m) for m in BatchMode]},
    "counts": {
        **all_required({"total": _COUNT} | {str(s): _COUNT for s in PayoutStatus}),
        "description": "the items by status: counted now by GET /api/payout-batches/{batch_id};"
        " in a list, and in the answer to the create, from the batch's own counters, where"
        " pending stands for every item not yet ended (pending or processing)",
    },
    "totals": {
        "type": "array",
        "description": "per currency: how many items and their sum",
        "items": all_required(
            {
                "currency": {"type": "string"},
                "count": {"type": "integer", "minimum": 1},
                "amount": AMOUNT,
                "amount_minor": {"type": "integer", "minimum": 0},
            }
        ),
    },
    "created_at": TIME,
    "updated_at": TIME,
    "completed_at": NULLABLE_TIME,
}


def schemas() -> Schema:
    return {
        "NewPayoutBatchItem": {
            "type": "object",
            "additionalProperties": False,
            "required": list(ITEM_FIELDS),
            "properties": {
                "amount": {**AMOUNT, "minLength": 1, "maxLength": MAX_TEXT_LENGTHS["amount"]},
                "currency": {"type": "string", "enum": list(CURRENCIES)},
                "wallet": text(MAX_TEXT_LENGTHS["wallet"]),
                "external_reference": text(MAX_TEXT_LENGTHS["external_reference"]),
                "metadata": METADATA,
            },
        },
        "NewPayoutBatch": {
            "type": "object",
            "additionalProperties": False,
            "required": ["items"],
            "properties": {
                "items": {
                    "type": "array",
                    "minItems": 1,
                    "items": ref("NewPayoutBatchItem"),
                    "description": "at most MAX_BATCH_ITEMS (default 5 000): more is a 422 on"
                    " items; each item's external_reference is unique among the user's payouts",
                },
                "mode": _MODE,
            },
        },
        "PayoutBatch": all_required(_BATCH_PROPERTIES),
        "CreatedPayoutBatch": all_required(
            {
                **_BATCH_PROPERTIES,
                "rejected_count": {
                    **_COUNT,
                    "description": "items not created (per_item; 0 in all_or_nothing)",
                },
                "errors": {
                    "type": "array",
                    "description": "the problems of the items not created, by index",
                    "items": all_required(
                        {
                            "index": {"type": "integer", "minimum": 0},
                            "field": NULLABLE_STRING,
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                        }
                    ),
                },
            }
        ),
        "PayoutBatchPage": all_required(
            {
                "data": {"type": "array", "items": ref("PayoutBatch")},
                "next_cursor": NULLABLE_STRING,
                "has_more": HAS_MORE,
            }
        ),
        "PayoutBatchCancellation": all_required(
            {
                "batch_id": {"type": "string"},
                "cancelled": {**_COUNT, "description": "items this request cancelled"},
                "not_cancellable": {
                    **_COUNT,
                    "description": "items not ended that could not be cancelled: the"
                    " provider has them, or may have (items already ended are in neither)",
                },
            }
        ),
    }


def paths() -> Schema:
    csv_columns = ",".join(ITEM_FIELDS)
    return {
        BATCHES: {
            "post": {
                "summary": "create many payouts in one request and hold their amounts"
                " (idempotent, like a single create)",
                "operationId": "createPayoutBatch",
                "parameters": [
                    IDEMPOTENCY_KEY,
                    {
                        "name": "mode",
                        "in": "query",
                        "required": False,
                        "description": f"for a {CSV} body only (a JSON body carries its mode)",
                        "schema": _MODE,
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        JSON: {
                            "schema": ref("NewPayoutBatch"),
                            "examples": {
                                "two": example("two USD payouts", openapi_examples.new_batch())
                            },
                        },
                        CSV: {
                            "schema": {
                                "type": "string",
                                "description": f"UTF-8 (a byte-order mark is allowed), RFC"
                                f" 4180 quoting, a header row naming {csv_columns} in any"
                                " order; a row per item",
                            }
                        },
                    },
                },
                "responses": {
                    "201": json_answer(
                        ref("CreatedPayoutBatch"),
                        "created (or its replay)",
                        REPLAYED,
                        {"created": example("both created", openapi_examples.batch(created=True))},
                    ),
                    **problems(400, 401, 409, 413, 415, 422),
                },
            },
            "get": {
                "summary": "the caller's payout batches, newest first (counts from each"
                " batch's counters: GET one batch for its items counted now)",
                "operationId": "listPayoutBatches",
                "parameters": [LIMIT, CURSOR],
                "responses": {
                    "200": json_answer(
                        ref("PayoutBatchPage"),
                        "a page",
                        examples={
                            "one": example(
                                "one batch",
                                {
                                    "data": [openapi_examples.batch()],
                                    "next_cursor": None,
                                    "has_more": False,
                                },
                            )
                        },
                    ),
                    **problems(401, 422),
                },
            },
        },
        BATCH: {
            "get": {
                "summary": "one of the caller's payout batches, its items counted by status"
                " now (GET /api/payouts?batch_id= lists them)",
                "operationId": "getPayoutBatch",
                "parameters": [_BATCH_ID],
                "responses": {
                    "200": json_answer(ref("PayoutBatch"), "the batch"),
                    **problems(401, 404),
                },
            }
        },
        f"{BATCH}/cancel": {
            "post": {
                "summary": "cancel every item of the batch the provider does not have yet",
                "operationId": "cancelPayoutBatch",
                "parameters": [_BATCH_ID],
                "responses": {
                    "200": json_answer(ref("PayoutBatchCancellation"), "what was cancelled"),
                    **problems(401, 404),
                },
            }
        },
    }
