"""No one let in: the route table proves which routes need a key, users are kept apart, and a
webhook is believed only with a fresh signature over its exact bytes (once, however replayed)."""

from __future__ import annotations

import re
import time

from aiohttp import web

from payout_service.web.middleware import PUBLIC_API_PREFIXES
from tests.integration.helpers import add_user, payout_body, post_payout, problem
from tests.integration.webhook_support import count, post_webhook, raw, signed, webhook

OTHER_USER = 456
OPEN_API_ROUTES = {("POST", "/api/webhooks/provider")}
OPEN_ROUTES = {
    ("GET", "/up"),
    ("GET", "/ready"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    # the API reference page and its own assets: the public document, shown
    ("GET", "/docs"),
    ("GET", "/docs/docs.js"),
    ("GET", "/docs/docs.css"),
}
BAD_KEYS = [{}, {"Authorization": "Bearer psk_not_a_key"}, {"Authorization": "Basic eDp5"}]


def routes(app: web.Application) -> list[tuple[str, str]]:
    """(METHOD, concrete path) of every route but aiohttp's automatic HEADs."""
    found = []
    for route in app.router.routes():
        if route.method == "HEAD" or route.resource is None:
            continue
        path = re.sub(r"\{currency\}", "USD", route.resource.canonical)
        found.append((route.method, re.sub(r"\{[^}]+\}", "some-id", path)))
    return found


async def test_every_api_route_but_the_webhook_refuses_a_request_without_a_valid_key(api, db):
    # Given every route of the running app
    table = routes(api.server.app)
    api_routes = [(m, p) for m, p in table if p.startswith("/api/")]
    assert len(api_routes) >= 7
    for method, path in api_routes:
        public = path.startswith(PUBLIC_API_PREFIXES)
        assert public == ((method, path) in OPEN_API_ROUTES), (method, path)
        if public:
            continue
        for headers in BAD_KEYS:
            # When it is called without a key, with an unknown key or another scheme
            response = await api.request(
                method, path, json=payout_body(), headers={**headers, "Idempotency-Key": "k"}
            )
            # Then it is a 401 problem, before anything else is looked at
            assert (await problem(response, 401))["code"] == "unauthenticated", (method, path)


async def test_routes_outside_api_are_exactly_the_open_ones(api):
    table = routes(api.server.app)
    assert {r for r in table if not r[1].startswith("/api/")} == OPEN_ROUTES
    for method, path in OPEN_ROUTES:
        response = await api.request(method, path)
        assert response.status in (200, 503), (method, path)


async def test_one_user_cannot_read_list_or_cancel_another_users_payout(api, auth, db):
    # Given a payout of the demo user, and a second user with a key of its own
    created = await post_payout(api, auth, payout_body())
    payout = await created.json()
    other = await add_user(db, OTHER_USER, "psk_other_user_key")
    # When the second user reads, lists and cancels it
    read = await api.get(f"/api/payouts/{payout['id']}", headers=other)
    listed = await api.get("/api/payouts", headers=other)
    cancelled = await api.post(f"/api/payouts/{payout['id']}/cancel", headers=other)
    # Then it does not exist for them, and it is still the owner's, pending
    assert (await problem(read, 404))["code"] == "not_found"
    assert (await listed.json())["data"] == []
    assert (await problem(cancelled, 404))["code"] == "not_found"
    mine = await (await api.get(f"/api/payouts/{payout['id']}", headers=auth)).json()
    assert mine["status"] == "pending"


async def test_a_replayed_webhook_is_stored_once_and_refused_once_its_signature_is_stale(
    webhook_api, db
):
    data = raw(webhook(event_id="evt-replayed"))
    headers = signed(data)
    # When the same signed delivery is replayed within the tolerance
    first = await post_webhook(webhook_api, data, headers)
    again = await post_webhook(webhook_api, data, headers)
    # Then it is stored once: the replay is a duplicate that writes nothing
    assert (first.status, again.status) == (202, 202)
    assert (await first.json())["duplicate"] is False
    assert (await again.json())["duplicate"] is True
    # And replayed after the tolerance, with its original timestamp, it is refused
    stale = signed(data, timestamp=int(time.time()) - 301)
    assert (await problem(await post_webhook(webhook_api, data, stale), 401))["code"] == (
        "invalid_signature"
    )


async def test_a_webhook_body_over_the_limit_is_413_and_not_stored(webhook_api, db):
    data = raw(webhook(padding="x" * (65 * 1024)))
    response = await post_webhook(webhook_api, data, signed(data))
    assert (await problem(response, 413))["code"] == "payload_too_large"
    assert await count(db, "provider_webhook_events") == 0


async def test_a_payout_body_over_the_limit_is_413(api, auth):
    body = payout_body(wallet="x" * (65 * 1024))
    response = await api.post("/api/payouts", json=body, headers={**auth, "Idempotency-Key": "k"})
    assert (await problem(response, 413))["code"] == "payload_too_large"
