"""An endpoint's delivery log, for its owner: the deliveries with their attempts, newest first;
one delivery sent again; or every event after a sequence sent again, in order.

A retry or a replay marks the deliveries pending and, in the same transaction, asks the notify
consumer through the outbox to send the endpoint's due deliveries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from payout_service.application.endpoint_access import ask_notify, callers_endpoint
from payout_service.application.errors import NotFound
from payout_service.application.ports import Clock, UnitOfWorkFactory
from payout_service.domain.client_events import DELIVERIES_REQUESTED, Delivery, DeliveryStatus


@dataclass(frozen=True, slots=True)
class DeliveryPage:
    deliveries: Sequence[Delivery]
    next_before_id: int | None  # pass back to get the next (older) page; None: no more


class WebhookDeliveryLog:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def page(
        self,
        caller_user_id: int,
        endpoint_id: str,
        status: DeliveryStatus | None,
        limit: int,
        before_id: int | None,
    ) -> DeliveryPage:
        async with self._uow() as uow:
            endpoint = await callers_endpoint(uow, caller_user_id, endpoint_id)
            found = await uow.webhook_deliveries.list_for_endpoint(
                endpoint.id, status, limit + 1, before_id
            )
        page = found[:limit]
        return DeliveryPage(page, page[-1].id if len(found) > limit and page else None)

    async def retry(
        self, caller_user_id: int, endpoint_id: str, delivery_id: int, headers: dict[str, str]
    ) -> Delivery:
        """The delivery pending again, due now, whatever its status (its attempts are kept);
        NotFound unless it is one of this endpoint's."""
        now = self._clock.now()
        async with self._uow(headers) as uow:
            endpoint = await callers_endpoint(uow, caller_user_id, endpoint_id, for_update=True)
            delivery = await uow.webhook_deliveries.get(delivery_id)
            if delivery is None or delivery.endpoint_id != endpoint.id:
                raise NotFound(
                    f"delivery {delivery_id} of webhook endpoint {endpoint_id} not found"
                )
            await uow.webhook_deliveries.retry(delivery.id, now)
            await ask_notify(uow, DELIVERIES_REQUESTED, endpoint, headers, now)
            retried = await uow.webhook_deliveries.get(delivery.id)
            await uow.commit()
        assert retried is not None
        return retried

    async def replay(
        self, caller_user_id: int, endpoint_id: str, after_sequence: int, headers: dict[str, str]
    ) -> int:
        """Every event of the caller after `after_sequence` that the endpoint subscribes to is
        sent again, in order; how many."""
        now = self._clock.now()
        async with self._uow(headers) as uow:
            endpoint = await callers_endpoint(uow, caller_user_id, endpoint_id, for_update=True)
            count = await uow.webhook_deliveries.replay(endpoint.id, after_sequence, now)
            if count:
                await ask_notify(uow, DELIVERIES_REQUESTED, endpoint, headers, now)
            await uow.commit()
        return count
