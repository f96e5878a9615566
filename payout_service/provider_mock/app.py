"""The mock provider's HTTP API, the contract the service's provider client speaks:

    POST /provider/payouts                  Idempotency-Key: 1-255 chars (400 without)
      {reference, amount, currency, wallet, metadata?}
      reference: the service's payout id, 1-64 chars; amount: a decimal string ("150.00");
      metadata: an optional object of short strings, e.g. {"external_reference": "..."}
      202 {provider_payout_id, reference, status: "accepted"}   taken, or the replay for a
                                                                known key with the same body
      400 payout_rejected          refused for good (permanent_error mode, a new payout)
      409 reference_in_use         another key's payout holds the reference; never paid twice
      409 conflict                 conflict_on_retry mode, a retry under a key already held
      422 validation_failed        a bad body (unknown fields included)
      422 idempotency_key_reused   the key was first used with another body
      429 rate_limited + Retry-After, 503 unavailable   outages: nothing taken
      500, or 200 without provider_payout_id            taken, then a broken answer
    GET /provider/payouts/{provider_payout_id}      200 the record, or 404 not_found
    GET /provider/payouts?reference=<reference>     200 the record of the payout holding the
                                                    reference, 404 not_found (never taken),
                                                    400 reference_required without it

A record: {provider_payout_id, reference, amount, currency, wallet, metadata, status,
failure_code, created_at, updated_at}, times in ISO-8601 UTC, status
accepted|processing|success|failed|returned (returned: paid, then sent back by the bank; final),
failure_code one of the service's PROVIDER_CODES for a failed or returned payout, else null.
Errors are {error, message}. A known key replays its payout whatever the mode short of an
outage: a refusal concerns new payouts only. Modes (modes.py) apply to POSTs; `X-Mock-Mode:
<mode>` overrides the mode for one request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from payout_service.provider_mock.config import MockConfig
from payout_service.provider_mock.modes import MockMode
from payout_service.provider_mock.payouts import ACCEPTED, MockPayout
from payout_service.provider_mock.provider import MockProvider
from payout_service.provider_mock.validation import parse_payout_request
from payout_service.provider_mock.webhooks import WebhookSender

PROVIDER = web.AppKey("provider", MockProvider)
MODE_HEADER = "X-Mock-Mode"
MAX_KEY_LENGTH = 255
_MODES = frozenset(str(mode) for mode in MockMode)
log = logging.getLogger("payout_service.provider_mock")


def create_mock_app(provider: MockProvider) -> web.Application:
    app = web.Application()
    app[PROVIDER] = provider
    app.router.add_post("/provider/payouts", create_payout)
    app.router.add_get("/provider/payouts", find_payout)
    app.router.add_get("/provider/payouts/{provider_payout_id}", get_payout)
    app.cleanup_ctx.append(_lifetime)
    return app


async def _lifetime(app: web.Application) -> AsyncIterator[None]:
    provider = app[PROVIDER]
    sender = WebhookSender(provider)
    provider.on_status.append(sender.status_changed)
    provider.start()
    yield
    await provider.stop()
    await sender.stop()


async def create_payout(request: web.Request) -> web.Response:
    provider = request.app[PROVIDER]
    key = request.headers.get("Idempotency-Key", "").strip()
    override = request.headers.get(MODE_HEADER)
    if override is not None and override not in _MODES:
        return _error(400, "unknown_mode", f"{MODE_HEADER} must be one of {', '.join(_MODES)}")
    mode = provider.mode_for(override, key or None)
    if not key or len(key) > MAX_KEY_LENGTH:
        return _error(400, "idempotency_key_required", "send an Idempotency-Key (1-255 chars)")
    body, problems = parse_payout_request(await request.read())
    if problems:
        return _error(422, "validation_failed", "; ".join(problems))
    if mode is MockMode.RATE_LIMIT:
        headers = {"Retry-After": str(provider.config.retry_after)}
        return _error(429, "rate_limited", "too many requests", headers)
    if mode is MockMode.SERVER_ERROR:
        return _error(503, "unavailable", "the provider is having a bad day")
    payout = provider.payout_for_key(key)
    if payout is not None and payout.request != body:
        return _error(422, "idempotency_key_reused", "this key was used with another body")
    if payout is not None and mode is MockMode.CONFLICT_ON_RETRY:
        return _error(409, "conflict", "another request with this key is in progress")
    if payout is None and provider.payout_for_reference(body["reference"]) is not None:
        return _error(409, "reference_in_use", "a payout under another key holds this reference")
    if payout is None and mode is MockMode.PERMANENT_ERROR:
        return _error(400, "payout_rejected", "the wallet cannot receive payouts")
    if payout is None:
        payout = provider.accept(key, body)
        log.info("payout %s accepted (%s)", payout.provider_payout_id, mode)
    return await _answer_taken(provider, payout, mode)


async def _answer_taken(provider: MockProvider, payout: MockPayout, mode: MockMode) -> web.Response:
    """The answer about a payout the provider holds, as truthful as the mode lets it be."""
    if mode is MockMode.SERVER_ERROR_AFTER_COMMIT:
        return _error(500, "internal_error", "something went wrong")
    if mode is MockMode.MALFORMED_SUCCESS:
        return web.json_response({"status": "pending"}, status=200)
    if mode is MockMode.TIMEOUT_AFTER_COMMIT:
        await asyncio.sleep(provider.config.stall)
    answer = {
        "provider_payout_id": payout.provider_payout_id,
        "reference": payout.reference,
        "status": ACCEPTED,
    }
    return web.json_response(answer, status=202)


async def get_payout(request: web.Request) -> web.Response:
    payout = request.app[PROVIDER].payouts.get(request.match_info["provider_payout_id"])
    if payout is None:
        return _error(404, "not_found", "no such payout")
    return web.json_response(payout.view())


async def find_payout(request: web.Request) -> web.Response:
    reference = request.query.get("reference", "")
    if not reference:
        return _error(400, "reference_required", "send ?reference=<the payout's reference>")
    payout = request.app[PROVIDER].payout_for_reference(reference)
    if payout is None:
        return _error(404, "not_found", "no payout holds this reference")
    return web.json_response(payout.view())


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status, headers=headers)


def run_mock(config: MockConfig, host: str, port: int) -> None:
    app = create_mock_app(MockProvider(config))
    web.run_app(app, host=host, port=port, access_log=None, print=None)
