"""The mock provider's HTTP API, the contract the service's provider client speaks:

    POST /provider/payouts        Idempotency-Key required (400 without)
      {external_reference, amount, currency, wallet}   -> 202 {provider_payout_id, status}
    GET  /provider/payouts/{id}   -> 200 the payout with its current status, or 404

A bad body is 422. The same key with the same body replays the first answer (no second payout),
whatever the mode short of an outage (rate_limit, server_error): a refusal concerns new payouts
only. The same key with a different body is 422. `X-Mock-Mode: <mode>` overrides the mode for
one request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from aiohttp import web

from payout_service.provider_mock.provider import MockConfig, MockMode, MockProvider
from payout_service.provider_mock.webhooks import WebhookSender

PROVIDER = web.AppKey("provider", MockProvider)
MODE_HEADER = "X-Mock-Mode"
_MODES = frozenset(str(mode) for mode in MockMode)
log = logging.getLogger("payout_service.provider_mock")
_AMOUNT = re.compile(r"[0-9]{1,18}(\.[0-9]{1,18})?")
_CURRENCY = re.compile(r"[A-Z]{3,8}")
_TEXT_LIMITS = {"external_reference": 128, "wallet": 255}


def create_mock_app(provider: MockProvider) -> web.Application:
    app = web.Application()
    app[PROVIDER] = provider
    app.router.add_post("/provider/payouts", create_payout)
    app.router.add_get("/provider/payouts/{provider_payout_id}", get_payout)
    app.cleanup_ctx.append(_lifetime)
    return app


async def _lifetime(app: web.Application) -> AsyncIterator[None]:
    provider = app[PROVIDER]
    sender = WebhookSender(provider)
    provider.on_status.append(sender.status_changed)
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
    if not key or len(key) > 255:
        return _error(400, "idempotency_key_required", "send an Idempotency-Key (1-255 chars)")
    body, problems = _payout_request(await request.read())
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
    if payout is None and mode is MockMode.PERMANENT_ERROR:
        return _error(400, "payout_rejected", "the wallet cannot receive payouts")
    if payout is None:
        payout = provider.accept(key, body)
        log.info("payout %s accepted (%s)", payout.provider_payout_id, mode)
    if mode is MockMode.TIMEOUT:
        await asyncio.sleep(provider.config.stall)
    return web.json_response(
        {"provider_payout_id": payout.provider_payout_id, "status": "accepted"}, status=202
    )


async def get_payout(request: web.Request) -> web.Response:
    payout = request.app[PROVIDER].payouts.get(request.match_info["provider_payout_id"])
    if payout is None:
        return _error(404, "not_found", "no such payout")
    return web.json_response(payout.view())


def _payout_request(raw: bytes) -> tuple[dict[str, Any], list[str]]:
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}, ["the body is not JSON"]
    if not isinstance(body, dict):
        return {}, ["the body is not a JSON object"]
    problems = []
    for name, limit in _TEXT_LIMITS.items():
        value = body.get(name)
        if not isinstance(value, str) or not 0 < len(value) <= limit:
            problems.append(f"{name} must be a string of 1-{limit} characters")
    amount = body.get("amount")
    if not isinstance(amount, str) or not _AMOUNT.fullmatch(amount) or Decimal(amount) <= 0:
        problems.append('amount must be a positive decimal string such as "150.00"')
    if not isinstance(body.get("currency"), str) or not _CURRENCY.fullmatch(body["currency"]):
        problems.append("currency must be an upper-case code such as USD")
    fields = ("external_reference", "amount", "currency", "wallet")
    return {name: body.get(name) for name in fields}, problems


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status, headers=headers)


def run_mock(config: MockConfig, host: str, port: int) -> None:
    app = create_mock_app(MockProvider(config))
    web.run_app(app, host=host, port=port, access_log=None, print=None)
