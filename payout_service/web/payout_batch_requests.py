"""Reading a payout batch request: a JSON object of items and mode, or a CSV file and `?mode=`.

Both become the same BatchRequest, and so the same fingerprint: a batch sent as JSON and
retried as the same rows in CSV under its Idempotency-Key is one request. The items stay as
sent; the use case checks them one by one (application.batch_items) and names each bad one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from payout_service.application.batch_csv import items_from_csv
from payout_service.application.batch_items import UnreadableRow
from payout_service.application.idempotency import request_fingerprint
from payout_service.domain.payout_batch import BatchMode
from payout_service.web.problems import Problem, field_error, validation_problem
from payout_service.web.queries import query_problems
from payout_service.web.requests import json_object_of, raw_body

JSON = "application/json"
CSV = "text/csv"
BATCH_FIELDS = ("items", "mode")
DEFAULT_MODE = BatchMode.ALL_OR_NOTHING


@dataclass(frozen=True, slots=True)
class BatchRequest:
    mode: BatchMode
    items: list[Any]  # JSON values, or a CSV's rows as objects of strings (or UnreadableRow)

    def fingerprint(self, path: str) -> str:
        # A CSV row of the wrong width has no JSON form: it counts as its reason, a string,
        # which a JSON body's item could be too, and then that item is refused all the same.
        items = [i.reason if isinstance(i, UnreadableRow) else i for i in self.items]
        return request_fingerprint("POST", path, {"mode": str(self.mode), "items": items})


async def batch_request(request: web.Request, max_bytes: int) -> BatchRequest:
    """The batch in the body (at most `max_bytes`); 415, 413, 400 or 422 problems otherwise."""
    if request.content_type == CSV:
        mode = _csv_mode(request.query)
        return BatchRequest(mode, items_from_csv(await raw_body(request, max_bytes)))
    if request.content_type == JSON:
        _no_query(request.query)
        return _json_batch(json_object_of(await raw_body(request, max_bytes)))
    raise Problem(
        415,
        "unsupported_media_type",
        "Unsupported media type",
        f"send the batch as {JSON} (items and mode) or {CSV} (with ?mode=)",
    )


def _csv_mode(query: MultiMapping[str]) -> BatchMode:
    errors = query_problems(query, {"mode"})
    mode = _mode(query.get("mode", DEFAULT_MODE), errors)
    if errors:
        raise validation_problem(errors)
    return mode


def _no_query(query: MultiMapping[str]) -> None:
    """A JSON batch says it all in its body, `mode` too: nothing is read from two places."""
    in_body = "is read from the JSON body"
    errors = [
        field_error(name, in_body if name in BATCH_FIELDS else "unknown query parameter")
        for name in dict.fromkeys(query)
    ]
    if errors:
        raise validation_problem(errors)


def _json_batch(body: dict[str, Any]) -> BatchRequest:
    errors = [field_error(name, "unknown field") for name in body if name not in BATCH_FIELDS]
    items = body.get("items")
    if items is None:
        errors.append(field_error("items", "is required"))
    elif not isinstance(items, list):
        errors.append(field_error("items", "must be an array of payouts"))
    mode = _mode(body.get("mode", DEFAULT_MODE), errors)
    if errors:
        raise validation_problem(errors)
    assert isinstance(items, list)
    return BatchRequest(mode, items)


def _mode(value: Any, errors: list[dict[str, str]]) -> BatchMode:
    """`value` as a mode; a bad one adds to `errors` and stands as the default."""
    if isinstance(value, str) and value in set(BatchMode):
        return BatchMode(value)
    errors.append(field_error("mode", f"must be one of {', '.join(BatchMode)}"))
    return DEFAULT_MODE
