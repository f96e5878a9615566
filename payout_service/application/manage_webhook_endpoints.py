"""The caller's webhook endpoints: register, read, change, delete, rotate the signing secret,
and ask for a test ping. Only ever the caller's own: another user's endpoint is not found.

A URL is checked against the SSRF rules (EndpointUrlPolicy) before the transaction, so no DNS
lookup holds a database connection; the notify consumer checks it again at every delivery.
The secret is in the endpoint as registered or rotated; the web edge shows it in those two
answers only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from payout_service.application.endpoint_access import ask_notify, callers_endpoint
from payout_service.application.errors import EndpointLimitReached, EndpointUrlRefused
from payout_service.application.ports import Clock, EndpointUrlPolicy, UnitOfWorkFactory
from payout_service.domain.client_events import (
    DELIVERIES_REQUESTED,
    PING_REQUESTED,
    WebhookEndpoint,
    new_endpoint_id,
    new_endpoint_secret,
)

MAX_ENDPOINTS_PER_USER = 16


@dataclass(frozen=True, slots=True)
class EndpointView:
    """An endpoint as its owner sees it; `previous_secret_until`: when the secret before the
    last rotation stops signing, None once it has."""

    endpoint: WebhookEndpoint
    previous_secret_until: datetime | None


@dataclass(frozen=True, slots=True)
class EndpointChanges:
    """What a client asks to change; None leaves the field as it is."""

    url: str | None = None
    event_types: tuple[str, ...] | None = None
    description: str | None = None
    disabled: bool | None = None


class ManageWebhookEndpoints:
    """`secret_overlap`: how long the previous secret still signs after a rotation."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        urls: EndpointUrlPolicy,
        secret_overlap: timedelta,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._urls = urls
        self._overlap = secret_overlap

    async def register(
        self, caller_user_id: int, url: str, event_types: Sequence[str], description: str
    ) -> EndpointView:
        """A new enabled endpoint with a new secret; it receives the caller's events after its
        last one now. EndpointUrlRefused, or EndpointLimitReached past MAX_ENDPOINTS_PER_USER."""
        await self._check(url)
        now = self._clock.now()
        async with self._uow() as uow:
            owned = await uow.webhook_endpoints.list_for_user(caller_user_id)
            if len(owned) >= MAX_ENDPOINTS_PER_USER:
                raise EndpointLimitReached(
                    f"a user may have {MAX_ENDPOINTS_PER_USER} webhook endpoints; delete one first"
                )
            endpoint = WebhookEndpoint(
                id=new_endpoint_id(),
                user_id=caller_user_id,
                url=url,
                event_types=tuple(event_types),
                description=description,
                secret=new_endpoint_secret(),
                created_at=now,
                updated_at=now,
                after_sequence=await uow.client_events.last_sequence(caller_user_id),
            )
            await uow.webhook_endpoints.add(endpoint)
            await uow.commit()
        return _view(endpoint, now)

    async def list(self, caller_user_id: int) -> Sequence[EndpointView]:
        """Oldest first."""
        async with self._uow() as uow:
            owned = await uow.webhook_endpoints.list_for_user(caller_user_id)
        now = self._clock.now()
        return [_view(e, now) for e in owned]

    async def get(self, caller_user_id: int, endpoint_id: str) -> EndpointView:
        async with self._uow() as uow:
            endpoint = await callers_endpoint(uow, caller_user_id, endpoint_id)
        return _view(endpoint, self._clock.now())

    async def change(
        self,
        caller_user_id: int,
        endpoint_id: str,
        changes: EndpointChanges,
        headers: dict[str, str],
    ) -> EndpointView:
        """Re-enabling a disabled endpoint asks, in the same transaction, for its pending
        deliveries to go."""
        if changes.url is not None:
            await self._check(changes.url)
        now = self._clock.now()
        async with self._uow(headers) as uow:
            endpoint = await callers_endpoint(uow, caller_user_id, endpoint_id, for_update=True)
            if changes.url is not None:
                endpoint.url = changes.url
            if changes.event_types is not None:
                endpoint.event_types = changes.event_types
            if changes.description is not None:
                endpoint.description = changes.description
            endpoint.updated_at = now
            if changes.disabled:
                endpoint.disable(now)
            elif changes.disabled is False and endpoint.enable(now):
                await ask_notify(uow, DELIVERIES_REQUESTED, endpoint, headers, now)
            await uow.webhook_endpoints.update(endpoint)
            await uow.commit()
        return _view(endpoint, now)

    async def delete(self, caller_user_id: int, endpoint_id: str) -> None:
        async with self._uow() as uow:
            endpoint = await callers_endpoint(uow, caller_user_id, endpoint_id, for_update=True)
            await uow.webhook_endpoints.delete(endpoint.id)
            await uow.commit()

    async def rotate_secret(
        self, caller_user_id: int, endpoint_id: str, headers: dict[str, str]
    ) -> EndpointView:
        """A new secret signs at once; the one it replaces signs too for the overlap."""
        now = self._clock.now()
        async with self._uow(headers) as uow:
            endpoint = await callers_endpoint(uow, caller_user_id, endpoint_id, for_update=True)
            endpoint.rotate_secret(new_endpoint_secret(), now, self._overlap)
            await uow.webhook_endpoints.update(endpoint)
            await uow.commit()
        return _view(endpoint, now)

    async def request_ping(
        self, caller_user_id: int, endpoint_id: str, headers: dict[str, str]
    ) -> None:
        """The notify consumer sends the endpoint a signed `ping` event."""
        now = self._clock.now()
        async with self._uow(headers) as uow:
            endpoint = await callers_endpoint(uow, caller_user_id, endpoint_id)
            await ask_notify(uow, PING_REQUESTED, endpoint, headers, now)
            await uow.commit()

    async def _check(self, url: str) -> None:
        try:
            await self._urls.check_resolved(url)
        except ValueError as refused:
            raise EndpointUrlRefused(str(refused)) from None


def _view(endpoint: WebhookEndpoint, now: datetime) -> EndpointView:
    still_signing = len(endpoint.signing_secrets(now)) > 1
    return EndpointView(endpoint, endpoint.previous_secret_expires_at if still_signing else None)
