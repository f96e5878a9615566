"""/api/webhook-endpoints: the caller's endpoints, their signing secrets and delivery logs.

The secret is in two answers only: the endpoint's creation and a rotation.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from payout_service.application.manage_webhook_endpoints import EndpointView
from payout_service.application.representation import iso
from payout_service.domain.client_events import Delivery, DeliveryAttempt, DeliveryStatus
from payout_service.web.middleware import request_id_of
from payout_service.web.payout_routes import SERVICES
from payout_service.web.problems import Problem
from payout_service.web.queries import status_page_query, whole_number
from payout_service.web.requests import json_object
from payout_service.web.webhook_endpoint_requests import (
    endpoint_changes,
    new_endpoint,
    replay_after,
)

ENDPOINTS = "/api/webhook-endpoints"
ENDPOINT = ENDPOINTS + "/{endpoint_id}"
MAX_ENDPOINT_ID = 40  # the column's width: a longer id names no endpoint


def add_routes(app: web.Application) -> None:
    app.router.add_post(ENDPOINTS, register_endpoint)
    app.router.add_get(ENDPOINTS, list_endpoints)
    app.router.add_get(ENDPOINT, get_endpoint)
    app.router.add_patch(ENDPOINT, change_endpoint)
    app.router.add_delete(ENDPOINT, delete_endpoint)
    app.router.add_post(ENDPOINT + "/rotate-secret", rotate_secret)
    app.router.add_post(ENDPOINT + "/test", send_test_ping)
    app.router.add_get(ENDPOINT + "/deliveries", list_deliveries)
    app.router.add_post(ENDPOINT + "/deliveries/{delivery_id}/retry", retry_delivery)
    app.router.add_post(ENDPOINT + "/replay", replay_events)


async def register_endpoint(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    url, event_types, description = new_endpoint(await _body(request))
    view = await services.webhook_endpoints.register(
        request["user_id"], url, event_types, description
    )
    return web.json_response(_with_secret(view), status=201)


async def list_endpoints(request: web.Request) -> web.Response:
    """All in one page (a user has at most MAX_ENDPOINTS_PER_USER): has_more is always false."""
    views = await request.app[SERVICES].webhook_endpoints.list(request["user_id"])
    return web.json_response({"data": [_endpoint(v) for v in views], "has_more": False})


async def get_endpoint(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    view = await services.webhook_endpoints.get(request["user_id"], _endpoint_id(request))
    return web.json_response(_endpoint(view))


async def change_endpoint(request: web.Request) -> web.Response:
    """Re-enabling (`"disabled": false`) sends the deliveries that waited."""
    services = request.app[SERVICES]
    endpoint_id = _endpoint_id(request)
    changes = endpoint_changes(await _body(request))
    view = await services.webhook_endpoints.change(
        request["user_id"], endpoint_id, changes, _headers(request)
    )
    return web.json_response(_endpoint(view))


async def delete_endpoint(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    await services.webhook_endpoints.delete(request["user_id"], _endpoint_id(request))
    return web.Response(status=204)


async def rotate_secret(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    view = await services.webhook_endpoints.rotate_secret(
        request["user_id"], _endpoint_id(request), _headers(request)
    )
    return web.json_response(_with_secret(view))


async def send_test_ping(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    endpoint_id = _endpoint_id(request)
    await services.webhook_endpoints.request_ping(
        request["user_id"], endpoint_id, _headers(request)
    )
    return web.json_response({"endpoint_id": endpoint_id, "ping": "requested"}, status=202)


async def list_deliveries(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    endpoint_id = _endpoint_id(request)
    status, limit, before_id = _delivery_query(request)
    page = await services.delivery_log.page(
        request["user_id"], endpoint_id, status, limit, before_id
    )
    cursor = page.next_before_id
    return web.json_response(
        {
            "data": [_delivery(d) for d in page.deliveries],
            "has_more": cursor is not None,
            "next_cursor": str(cursor) if cursor is not None else None,
        }
    )


async def retry_delivery(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    endpoint_id = _endpoint_id(request)
    delivery_id = whole_number(request.match_info["delivery_id"])
    if delivery_id is None:
        raise _not_found("no such delivery")
    delivery = await services.delivery_log.retry(
        request["user_id"], endpoint_id, delivery_id, _headers(request)
    )
    return web.json_response(_delivery(delivery), status=202)


async def replay_events(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    endpoint_id = _endpoint_id(request)
    after = replay_after(await _body(request))
    count = await services.delivery_log.replay(
        request["user_id"], endpoint_id, after, _headers(request)
    )
    return web.json_response({"after_sequence": after, "replayed": count}, status=202)


async def _body(request: web.Request) -> dict[str, Any]:
    return await json_object(request, request.app[SERVICES].settings.max_body_bytes)


def _endpoint_id(request: web.Request) -> str:
    """The path's endpoint id; NotFound for one that cannot name an endpoint."""
    endpoint_id = request.match_info["endpoint_id"]
    if len(endpoint_id) > MAX_ENDPOINT_ID or not (
        endpoint_id.isascii() and endpoint_id.isprintable()
    ):
        raise _not_found("no such webhook endpoint")
    return endpoint_id


def _not_found(detail: str) -> Problem:
    return Problem(404, "not_found", "Not found", detail)


def _headers(request: web.Request) -> dict[str, str]:
    return {"request_id": request_id_of(request)}


def _delivery_query(request: web.Request) -> tuple[DeliveryStatus | None, int, int | None]:
    return status_page_query(request, DeliveryStatus, whole_number)


def _endpoint(view: EndpointView) -> dict[str, Any]:
    e = view.endpoint
    return {
        "id": e.id,
        "url": e.url,
        "event_types": list(e.event_types),
        "description": e.description,
        "state": str(e.state),
        "failing_since": iso(e.failing_since),
        "previous_secret_signs_until": iso(view.previous_secret_until),
        "after_sequence": e.after_sequence,
        "created_at": iso(e.created_at),
        "updated_at": iso(e.updated_at),
    }


def _with_secret(view: EndpointView) -> dict[str, Any]:
    return {**_endpoint(view), "secret": view.endpoint.secret}


def _delivery(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "event_id": d.event_id,
        "sequence": d.sequence,
        "status": str(d.status),
        "attempts": d.attempts,
        "next_attempt_at": iso(d.next_attempt_at) if d.status is DeliveryStatus.PENDING else None,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "created_at": iso(d.created_at),
        "finished_at": iso(d.finished_at),
        "attempt_log": [_attempt(a) for a in d.attempt_log],
    }


def _attempt(a: DeliveryAttempt) -> dict[str, Any]:
    return {
        "attempted_at": iso(a.attempted_at),
        "status_code": a.status_code,
        "latency_ms": a.latency_ms,
        "error": a.error,
    }
