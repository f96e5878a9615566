"""Steps the webhook endpoint use cases share: finding the caller's endpoint, and asking the
notify consumer, through the outbox, to act on one."""

from __future__ import annotations

from datetime import datetime

from payout_service.application.errors import NotFound
from payout_service.application.ports import UnitOfWork
from payout_service.application.write_events import write_events
from payout_service.domain.client_events import ENDPOINT_AGGREGATE, WebhookEndpoint
from payout_service.domain.events import DomainEvent


async def callers_endpoint(
    uow: UnitOfWork, caller_user_id: int, endpoint_id: str, *, for_update: bool = False
) -> WebhookEndpoint:
    """The endpoint, locked when asked; NotFound when it is not the caller's."""
    endpoints = uow.webhook_endpoints
    found = await (endpoints.get_for_update if for_update else endpoints.get)(endpoint_id)
    if found is None or found.user_id != caller_user_id:
        raise NotFound(f"webhook endpoint {endpoint_id} not found")
    return found


async def ask_notify(
    uow: UnitOfWork,
    event_name: str,
    endpoint: WebhookEndpoint,
    headers: dict[str, str],
    now: datetime,
) -> None:
    """Writes the request (DELIVERIES_REQUESTED or PING_REQUESTED) to the outbox, in the
    transaction of the change that calls for it: it goes out only if the change commits."""
    payload = {"user_id": endpoint.user_id, "endpoint_id": endpoint.id}
    request = DomainEvent(event_name, ENDPOINT_AGGREGATE, endpoint.id, payload)
    await write_events(uow, [(request, now)], headers)
