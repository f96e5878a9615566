"""POST /api/webhooks/provider: verify the signature over the raw body, store the event, 202.

Open to the internet without an API key (the auth middleware leaves /api/webhooks/ alone): the
signature is the authentication. Nothing is parsed, let alone stored, before it verifies.
"""

from __future__ import annotations

import logging

from aiohttp import web

from payout_service.bootstrap import Services
from payout_service.infrastructure.webhook_signature import SIGNATURE_HEADER, InvalidSignature
from payout_service.web.middleware import request_id_of
from payout_service.web.payout_routes import SERVICES
from payout_service.web.problems import Problem
from payout_service.web.requests import raw_body
from payout_service.web.webhook_requests import json_body, provider_webhook

log = logging.getLogger("payout_service.webhooks")


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/webhooks/provider", receive_provider_webhook)
    app.on_startup.append(_announce_verification)


async def receive_provider_webhook(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    raw = await raw_body(request, services.settings.max_body_bytes)
    _verify(services, request, raw)
    body, text = json_body(request, raw)
    receipt = await services.receive_webhook(
        provider_webhook(body), body, text, headers={"request_id": request_id_of(request)}
    )
    return web.json_response(
        {
            "inbox_event_id": receipt.inbox_event_id,
            "duplicate": receipt.duplicate,
            "result": receipt.result,
        },
        status=202,
    )


def _verify(services: Services, request: web.Request, raw: bytes) -> None:
    verifier = services.webhook_signature
    if verifier is None:
        log.warning("webhook accepted UNVERIFIED: WEBHOOK_SIGNATURE_VERIFICATION=off")
        return
    try:
        verifier.verify(request.headers.get(SIGNATURE_HEADER), raw)
    except InvalidSignature as exc:
        services.metrics.webhook_processed("rejected")
        raise Problem(
            401,
            "invalid_signature",
            "Invalid signature",
            f"{exc}; sign the raw body as {SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC>",
        ) from None


async def _announce_verification(app: web.Application) -> None:
    services = app[SERVICES]
    if services.webhook_signature is None:
        log.warning(
            "WEBHOOK SIGNATURE VERIFICATION IS OFF: anyone can post provider webhooks and move "
            "payouts. Local development only; unset WEBHOOK_SIGNATURE_VERIFICATION in production."
        )
    elif not services.webhook_signature.secrets:
        log.error(
            "PROVIDER_WEBHOOK_SECRETS is empty: every provider webhook will be refused with 401"
        )
