"""/api/payout-batches: create a batch (JSON or CSV, idempotent), read, list and cancel one.

A batch's items are ordinary payouts: GET /api/payouts?batch_id= lists them.
"""

from __future__ import annotations

from aiohttp import web

from payout_service.application.create_payout_batch import CreateBatchCommand
from payout_service.application.representation import (
    batch_counts_as_recorded,
    batch_representation,
)
from payout_service.web.cursors import decode_moment_cursor, encode_moment_cursor
from payout_service.web.middleware import request_id_of
from payout_service.web.payout_batch_requests import batch_request
from payout_service.web.payout_routes import SERVICES, stored_response
from payout_service.web.problems import Problem
from payout_service.web.queries import cursor_page_query, uuid_text
from payout_service.web.requests import idempotency_key

BATCHES = "/api/payout-batches"
BATCH = BATCHES + "/{batch_id}"


def add_routes(app: web.Application) -> None:
    app.router.add_post(BATCHES, create_batch)
    app.router.add_get(BATCHES, list_batches)
    app.router.add_get(BATCH, get_batch)
    app.router.add_post(BATCH + "/cancel", cancel_batch)


async def create_batch(request: web.Request) -> web.Response:
    """201 with the batch, its counts and the items refused (per_item); a 422 problem naming
    every bad item when nothing was created."""
    services = request.app[SERVICES]
    key = idempotency_key(request)
    batch = await batch_request(request, services.settings.max_batch_body_bytes)
    result = await services.create_payout_batch(
        CreateBatchCommand(
            caller_user_id=request["user_id"],
            idempotency_key=key,
            fingerprint=batch.fingerprint(BATCHES),
            mode=batch.mode,
            items=batch.items,
            headers={"request_id": request_id_of(request)},
        )
    )
    return stored_response(result.status_code, result.body, result.replayed)


async def get_batch(request: web.Request) -> web.Response:
    """The batch with its items counted by status now."""
    services = request.app[SERVICES]
    counted = await services.read_payout_batches.get(request["user_id"], _batch_id(request))
    return web.json_response(batch_representation(counted.batch, counted.counts))


async def list_batches(request: web.Request) -> web.Response:
    """Newest first. Counts come from each batch's own counters (no count of items per row):
    an item not yet ended is counted as pending, whether it is pending or processing."""
    services = request.app[SERVICES]
    limit, cursor = cursor_page_query(request, decode_moment_cursor)
    page = await services.read_payout_batches.list(request["user_id"], limit, cursor)
    following = page.next_cursor
    return web.json_response(
        {
            "data": [batch_representation(b, batch_counts_as_recorded(b)) for b in page.batches],
            "next_cursor": encode_moment_cursor(*following) if following else None,
            "has_more": following is not None,
        }
    )


async def cancel_batch(request: web.Request) -> web.Response:
    """200 with how many items this request cancelled and how many it could not (the provider
    has them); items already final are in neither count."""
    services = request.app[SERVICES]
    outcome = await services.cancel_payout_batch(
        request["user_id"], _batch_id(request), {"request_id": request_id_of(request)}
    )
    return web.json_response(
        {
            "batch_id": outcome.batch_id,
            "cancelled": outcome.cancelled,
            "not_cancellable": outcome.not_cancellable,
        }
    )


def _batch_id(request: web.Request) -> str:
    """The path's batch id; a 404 for one that cannot name a batch (ids are UUIDs)."""
    batch_id = uuid_text(request.match_info["batch_id"])
    if batch_id is None:
        raise Problem(404, "not_found", "Not found", "no such payout batch")
    return batch_id
