"""/api/payouts: create (idempotent), read, list (by status, batch, external reference or creation
time), cancel."""

from __future__ import annotations

import json

from aiohttp import web

from payout_service.application.create_payout import CreatePayoutCommand
from payout_service.application.idempotency import request_fingerprint
from payout_service.application.representation import payout_representation
from payout_service.bootstrap import Services
from payout_service.web.cursors import encode_cursor
from payout_service.web.middleware import request_id_of
from payout_service.web.payout_list_query import payout_list_query
from payout_service.web.problems import Problem
from payout_service.web.queries import uuid_text
from payout_service.web.requests import create_payout_fields, idempotency_key, json_object

SERVICES = web.AppKey("services", Services)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/payouts", create_payout)
    app.router.add_get("/api/payouts", list_payouts)
    app.router.add_get("/api/payouts/{payout_id}", get_payout)
    app.router.add_post("/api/payouts/{payout_id}/cancel", cancel_payout)


async def create_payout(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    key = idempotency_key(request)
    body = create_payout_fields(await json_object(request, services.settings.max_body_bytes))
    result = await services.create_payout(
        CreatePayoutCommand(
            caller_user_id=request["user_id"],
            idempotency_key=key,
            fingerprint=request_fingerprint("POST", "/api/payouts", body),
            user_id=body["user_id"],
            amount=body["amount"],
            currency=body["currency"],
            wallet=body["wallet"],
            external_reference=body["external_reference"],
            headers={"request_id": request_id_of(request)},
            metadata=body.get("metadata", {}),
        )
    )
    return stored_response(result.status_code, result.body, result.replayed)


def stored_response(status_code: int, body: str, replayed: bool) -> web.Response:
    """A created resource's answer as stored under its Idempotency-Key; a replay says so."""
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return web.Response(
        status=status_code, text=body, content_type="application/json", headers=headers
    )


async def get_payout(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    payout = await services.read_payouts.get(request["user_id"], _payout_id(request))
    return web.json_response(payout_representation(payout))


async def cancel_payout(request: web.Request) -> web.Response:
    """200 with the cancelled payout (again, for one already cancelled); 409 problem once the
    provider accepted it or it is final."""
    services = request.app[SERVICES]
    payout = await services.cancel_payout(
        request["user_id"],
        _payout_id(request),
        headers={"request_id": request_id_of(request)},
    )
    return web.json_response(payout_representation(payout))


async def list_payouts(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    query = payout_list_query(request)
    page = await services.read_payouts.list(
        request["user_id"], query.filters, query.limit, query.cursor
    )
    return web.json_response(
        {
            "data": [payout_representation(p) for p in page.payouts],
            "next_cursor": encode_cursor(page.next_cursor) if page.next_cursor else None,
            "has_more": page.has_more,
        },
        dumps=json.dumps,
    )


def _payout_id(request: web.Request) -> str:
    """The path's payout id; a 404 for one that cannot name a payout (ids are UUIDs)."""
    payout_id = uuid_text(request.match_info["payout_id"])
    if payout_id is None:
        raise Problem(404, "not_found", "Not found", "no such payout")
    return payout_id
