"""A webhook receiver for the mock provider's tests: on 127.0.0.1, checking signatures as the
service does, keeping what arrives."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from payout_service.infrastructure.webhook_signature import (
    SIGNATURE_HEADER,
    WebhookSignatureVerifier,
)

SECRET = "whsec_test"


@dataclass
class WebhookReceiver:
    """A receiver on 127.0.0.1 that checks signatures like the service; `bodies` in arrival
    order, after `fail_first` refused deliveries."""

    url: str = ""
    fail_first: int = 0
    deliveries: int = 0
    bodies: list[bytes] = field(default_factory=list)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for body in self.bodies]

    async def receive(self, request: web.Request) -> web.Response:
        self.deliveries += 1
        raw = await request.read()
        WebhookSignatureVerifier((SECRET,)).verify(request.headers.get(SIGNATURE_HEADER), raw)
        if self.deliveries <= self.fail_first:
            return web.Response(status=500)
        self.bodies.append(raw)
        return web.Response(status=202)


async def webhook_receiver(aiohttp_server: Any, fail_first: int = 0) -> WebhookReceiver:
    receiver = WebhookReceiver(fail_first=fail_first)
    app = web.Application()
    app.router.add_post("/api/webhooks/provider", receiver.receive)
    server = await aiohttp_server(app, host="127.0.0.1")
    receiver.url = str(server.make_url("/api/webhooks/provider"))
    return receiver
