"""WEBHOOK_SIGNATURE_TOLERANCE_SECONDS reaches the webhook endpoint's verifier: a tighter window
than the default refuses a signature the default would still accept."""

from __future__ import annotations

import time
from dataclasses import replace

from payout_service.bootstrap import build_services
from payout_service.infrastructure.webhook_signature import DEFAULT_TOLERANCE_SECONDS
from tests.integration.helpers import problem
from tests.integration.webhook_support import count, post_webhook, raw, signed, webhook

TOLERANCE_SECONDS = 30
STALE_SECONDS = 60  # outside the configured tolerance, inside the default one
FRESH_SECONDS = 10


async def test_the_configured_tolerance_decides_how_old_a_signature_may_be(
    webhook_settings, db, aiohttp_client
):
    from payout_service.web.app import create_app

    # Given the service configured to accept signatures up to 30 s old
    settings = replace(webhook_settings, webhook_signature_tolerance_seconds=TOLERANCE_SECONDS)
    client = await aiohttp_client(create_app(build_services(settings)))
    # When a webhook signed 60 s ago arrives (which the default 300 s would accept)
    assert TOLERANCE_SECONDS < STALE_SECONDS < DEFAULT_TOLERANCE_SECONDS
    stale = raw(webhook("evt-stale"))
    stale_at = int(time.time()) - STALE_SECONDS
    refused = await post_webhook(client, stale, signed(stale, timestamp=stale_at))
    # Then it is refused, and one signed 10 s ago is accepted
    assert (await problem(refused, 401))["code"] == "invalid_signature"
    fresh = raw(webhook("evt-fresh"))
    fresh_at = int(time.time()) - FRESH_SECONDS
    accepted = await post_webhook(client, fresh, signed(fresh, timestamp=fresh_at))
    assert accepted.status == 202, await accepted.text()
    assert await count(db, "provider_webhook_events") == 1
