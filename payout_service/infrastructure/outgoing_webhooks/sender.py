"""AiohttpWebhookSender: the WebhookSender port, POSTing client events to their endpoints.

One aiohttp ClientSession per process (its connection pool is the point), opened on first use in
the running event loop and closed with close(). Its connector resolves every name through
GuardedResolver, so the address connected to is one the UrlPolicy allows, whatever the name
resolves to today; an IP address written in the URL, which aiohttp connects to without resolving,
is checked here before the request. Redirects are not followed (a 3xx is not a 2xx), and a POST
has OUTGOING_WEBHOOK_TIMEOUT_MS in all.

Each request carries the body as compact JSON and the headers
    Payout-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">[,v1=...]  (one v1 per secret)
    Payout-Event-Id, Payout-Event-Sequence (for a logged event), User-Agent: payout-service/<v>
in the scheme of the provider's webhooks (infrastructure.webhook_signature): one snippet verifies
both.
"""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from payout_service.application.ports import WebhookAnswer
from payout_service.infrastructure.outgoing_webhooks.url_policy import (
    GuardedResolver,
    RefusedAddress,
    RefusedUrl,
    UrlPolicy,
)
from payout_service.infrastructure.settings import Settings
from payout_service.infrastructure.webhook_signature import signature_header

SIGNATURE_HEADER = "Payout-Signature"
EVENT_ID_HEADER = "Payout-Event-Id"
SEQUENCE_HEADER = "Payout-Event-Sequence"
# Of an answer's body: what a non-2xx's error excerpt shows, and the most read of any answer.
EXCERPT_CHARACTERS = 200
MAX_ANSWER_READ = 65_536


def user_agent() -> str:
    try:
        return f"payout-service/{version('payout-service')}"
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "payout-service/unknown"


class AiohttpWebhookSender:
    """policy: where deliveries may go (the settings' OUTGOING_WEBHOOKS_ALLOW_*).
    timeout: aiohttp's ClientTimeout for the whole request, answer included."""

    def __init__(self, policy: UrlPolicy, timeout: aiohttp.ClientTimeout) -> None:
        self._policy = policy
        self._timeout = timeout
        self._user_agent = user_agent()
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> AiohttpWebhookSender:
        policy = UrlPolicy.from_settings(settings)
        timeout = aiohttp.ClientTimeout(total=settings.outgoing_webhook_timeout_ms / 1000)
        return cls(policy, timeout)

    async def post(
        self,
        url: str,
        body: Mapping[str, Any],
        event_id: str,
        sequence: int | None,
        secrets: Sequence[str],
    ) -> WebhookAnswer:
        data = json.dumps(body, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": self._user_agent,
            SIGNATURE_HEADER: signature_header(data, secrets, int(time.time())),
            EVENT_ID_HEADER: event_id,
        }
        if sequence is not None:
            headers[SEQUENCE_HEADER] = str(sequence)
        refused = self._refusal(url)
        if refused is not None:
            return WebhookAnswer(None, 0.0, refused, refused_address=True)
        started = time.perf_counter()
        try:
            async with self._open().post(
                url, data=data, headers=headers, allow_redirects=False
            ) as response:
                answer = await response.content.read(MAX_ANSWER_READ)
                status = response.status
        except aiohttp.ClientConnectorDNSError as exc:
            seconds = time.perf_counter() - started
            if isinstance(exc.os_error, RefusedAddress):
                return WebhookAnswer(None, seconds, str(exc.os_error), refused_address=True)
            return WebhookAnswer(None, seconds, _describe(exc))
        except TimeoutError:
            seconds = time.perf_counter() - started
            return WebhookAnswer(None, seconds, "no answer within OUTGOING_WEBHOOK_TIMEOUT_MS")
        except aiohttp.ClientError as exc:
            return WebhookAnswer(None, time.perf_counter() - started, _describe(exc))
        seconds = time.perf_counter() - started
        if 200 <= status < 300:
            return WebhookAnswer(status, seconds)
        excerpt = answer.decode("utf-8", "replace")[:EXCERPT_CHARACTERS]
        return WebhookAnswer(status, seconds, f"HTTP {status}: {excerpt}".strip())

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(resolver=GuardedResolver(self._policy))
            self._session = aiohttp.ClientSession(timeout=self._timeout, connector=connector)
        return self._session

    def _refusal(self, url: str) -> str | None:
        """Why the policy forbids this URL now; names are left to the resolver."""
        try:
            host, _ = self._policy.check(url)
        except RefusedUrl as refused:
            return f"the URL {refused}"
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return None
        try:
            self._policy.refuse_unless_allowed(address, urlsplit(url).scheme == "http")
        except RefusedUrl as refused:
            return f"{host} {refused}"
        return None


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:EXCERPT_CHARACTERS]
