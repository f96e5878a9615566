"""Sending an endpoint's delivery chains: the deliveries of one payout (or of one event of no
payout) to one endpoint go out one at a time, in chain_position order.

Only a chain's lowest pending delivery may go. It is claimed with a lease, so two workers never
send one chain at once, and a killed worker's claim expires; the POST is made outside any
transaction and its attempt recorded after it, in the transaction that claims the chain's next
delivery. A 2xx delivers it and the next in the chain goes. Anything else schedules the next try
(application.delivery_schedule) with a wake-up and leaves the chain waiting, blocking no other
chain; once the schedule gives up, the delivery is `failed`, the endpoint `failing`, and the next
in the chain goes ("delivered or finally failed").

Every failed attempt counts against the endpoint: failing for `disable_after` without a 2xx
disables it, and its user is told with an ENDPOINT_DISABLED event in their log, delivered to
their other endpoints. A disabled endpoint is sent nothing; its pending deliveries wait for it
to be enabled again.

Past its `deadline` (the actor's time limit is near) a pass claims nothing more and asks for a
wake-up at once for the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from payout_service.application.delivery_schedule import DeliverySchedule
from payout_service.application.metrics import NO_METRICS
from payout_service.application.ports import (
    Clock,
    DeliveryWakeUps,
    Metrics,
    NewClientEvent,
    UnitOfWork,
    UnitOfWorkFactory,
    WebhookAnswer,
    WebhookSender,
)
from payout_service.application.representation import client_event_representation, iso
from payout_service.domain.client_events import (
    ENDPOINT_DISABLED,
    ClientEvent,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    EndpointState,
    WebhookEndpoint,
    delivery_chain,
)

log = logging.getLogger("payout_service.notify")

# Chains sent per look at an endpoint's due deliveries; a full batch looks again.
CHAINS_PER_PASS = 100
PURGED = "the event is no longer kept (EVENT_RETENTION_DAYS): nothing to send"


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery leased to this worker, with what sending it needs."""

    endpoint: WebhookEndpoint
    delivery: Delivery
    event: ClientEvent | None  # None: purged from the log since the delivery was created


@dataclass(frozen=True, slots=True)
class Busy:
    """The chain's next delivery is another worker's until `until`: that worker sends the rest
    of the chain; a wake-up then finds the lease expired if it died."""

    endpoint_id: str
    chain: str
    until: datetime


class Stop(Enum):
    CHAIN = "chain"  # nothing of the chain to send now: none pending, or not due yet
    ENDPOINT = "endpoint"  # the endpoint takes nothing now: disabled, or deleted
    TIME = "time"  # past the deadline: a wake-up for the rest was asked for


Claim = Claimed | Busy | Stop


class DeliveryChains:
    """lease: how long a claim holds a delivery; longer than a POST may take (the sender's
    timeout), short enough that a killed worker's claim frees the chain soon."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        sender: WebhookSender,
        wake_ups: DeliveryWakeUps,
        schedule: DeliverySchedule,
        disable_after: timedelta,
        lease: timedelta,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._sender = sender
        self._wake_ups = wake_ups
        self._schedule = schedule
        self._disable_after = disable_after
        self._lease = lease
        self._metrics = metrics

    async def drain_endpoint(self, endpoint_id: str, deadline: datetime) -> None:
        """Every chain of the endpoint whose next delivery is due."""
        while True:
            async with self._uow() as uow:
                chains = await uow.webhook_deliveries.due_chains(
                    endpoint_id, self._clock.now(), CHAINS_PER_PASS
                )
            for chain in chains:
                if not await self.drain(endpoint_id, chain, deadline):
                    return
            if len(chains) < CHAINS_PER_PASS:
                return

    async def drain(self, endpoint_id: str, chain: str, deadline: datetime) -> bool:
        """Sends the chain's deliveries while they are due; False when the endpoint takes
        nothing more now (disabled, deleted, or out of time)."""
        now = self._clock.now()
        async with self._uow() as uow:
            claim = await self._claim_next(uow, endpoint_id, chain, now, deadline)
            await uow.commit()
        if claim is Stop.TIME:
            await self._wake_ups.wake_at(endpoint_id, now)
        return await self.send(claim, deadline)

    async def claim(
        self,
        uow: UnitOfWork,
        endpoint_id: str,
        chain: str,
        now: datetime,
        endpoint: WebhookEndpoint | None = None,
        known: Sequence[ClientEvent] = (),
    ) -> Claim:
        """Leases the chain's next delivery if it is due, in the caller's transaction (commit
        it before sending). `endpoint` and `known` (events): already read, not read again; the
        endpoint is read only once there is something to send it."""
        found = await uow.webhook_deliveries.claim_next(endpoint_id, chain, now, now + self._lease)
        if found.delivery is None:
            if found.leased_until is None:
                return Stop.CHAIN
            return Busy(endpoint_id, chain, found.leased_until)
        endpoint = endpoint or await uow.webhook_endpoints.get(endpoint_id)
        if endpoint is None or endpoint.state is EndpointState.DISABLED:
            await uow.webhook_deliveries.release(found.delivery.id)
            return Stop.ENDPOINT
        event_id = found.delivery.event_id
        event = next((e for e in known if e.id == event_id), None)
        if event is None:
            event = await uow.client_events.get(event_id)
        return Claimed(endpoint, found.delivery, event)

    async def send(self, claim: Claim, deadline: datetime, after_adding: bool = False) -> bool:
        """Sends a claimed delivery and the rest of its chain as they come; False when the
        endpoint takes nothing more now. `after_adding`: the claim's transaction added
        deliveries to the chain, so a chain found busy is looked at once more: its holder may
        have finished it without seeing them (it looks for the next before this commit)."""
        while isinstance(claim, Claimed):
            if claim.event is None:
                answer = WebhookAnswer(None, 0.0, PURGED)
            else:
                answer = await self._sender.post(
                    claim.endpoint.url,
                    client_event_representation(claim.event),
                    claim.event.id,
                    claim.event.sequence,
                    claim.endpoint.signing_secrets(self._clock.now()),
                )
            claim = await self._record(claim, answer, deadline)
        if isinstance(claim, Busy):
            if after_adding:
                return await self.drain(claim.endpoint_id, claim.chain, deadline)
            await self._wake_ups.wake_at(claim.endpoint_id, claim.until)
        return claim is Stop.CHAIN or isinstance(claim, Busy)

    async def _record(self, claimed: Claimed, answer: WebhookAnswer, deadline: datetime) -> Claim:
        """Records the attempt and, when the chain may go on, claims its next delivery."""
        now = self._clock.now()
        delivery, purged = claimed.delivery, claimed.event is None
        status, next_attempt_at = self._outcome(delivery, answer, purged, now)
        attempt = DeliveryAttempt(
            now, answer.status_code, round(answer.seconds * 1000), answer.error
        )
        told: list[tuple[str, str]] = []
        async with self._uow() as uow:
            await uow.webhook_deliveries.record_attempt(
                delivery.id, attempt, status, next_attempt_at or now
            )
            endpoint, disabled = claimed.endpoint, False
            if not purged:
                endpoint, disabled = await self._count_against(uow, endpoint, answer, status, now)
            if disabled:
                told = await self._tell_disabled(uow, endpoint, now)
            following: Claim = Stop.ENDPOINT if disabled else Stop.CHAIN
            if status is not DeliveryStatus.PENDING and not disabled:
                following = await self._claim_next(uow, endpoint.id, delivery.chain, now, deadline)
            await uow.commit()
        if not purged:
            self._count(answer, status)
        for other_id, chain in told:
            await self.drain(other_id, chain, deadline)
        if disabled:
            log.warning(
                "webhook endpoint disabled: failing since %s",
                iso(endpoint.failing_since),
                extra={"endpoint_id": endpoint.id},
            )
        elif next_attempt_at is not None and status is DeliveryStatus.PENDING:
            await self._wake_ups.wake_at(endpoint.id, next_attempt_at)
        elif following is Stop.TIME:
            await self._wake_ups.wake_at(endpoint.id, now)
        return following

    async def _claim_next(
        self, uow: UnitOfWork, endpoint_id: str, chain: str, now: datetime, deadline: datetime
    ) -> Claim:
        """The chain's next delivery, unless out of time; its endpoint read afresh (the client
        may have disabled it, changed its URL or rotated its secret meanwhile)."""
        if now >= deadline:
            return Stop.TIME
        return await self.claim(uow, endpoint_id, chain, now)

    def _outcome(
        self, delivery: Delivery, answer: WebhookAnswer, purged: bool, now: datetime
    ) -> tuple[DeliveryStatus, datetime | None]:
        """The delivery's status after this attempt, and when it is tried next if pending."""
        if answer.delivered:
            return DeliveryStatus.DELIVERED, None
        if purged:
            return DeliveryStatus.FAILED, None
        next_attempt_at = self._schedule.next_attempt(
            delivery.created_at, delivery.attempts + 1, now
        )
        if next_attempt_at is None:
            return DeliveryStatus.FAILED, None
        return DeliveryStatus.PENDING, next_attempt_at

    async def _count_against(
        self,
        uow: UnitOfWork,
        seen: WebhookEndpoint,
        answer: WebhookAnswer,
        status: DeliveryStatus,
        now: datetime,
    ) -> tuple[WebhookEndpoint, bool]:
        """Applies the attempt to the endpoint: the endpoint as it now is, and whether this
        disabled it. A 2xx to an endpoint seen healthy changes nothing: no lock, no write."""
        if answer.delivered and seen.state is EndpointState.ENABLED and not seen.failing_since:
            return seen, False
        if not answer.delivered:
            # A failure may disable the endpoint, which appends the user's event under their
            # event counter: take the counter before the endpoint, as every transaction writing
            # the user's events does before it reads their endpoints under lock (saved_events),
            # or the two would wait for each other.
            await uow.client_events.last_sequence(seen.user_id)
        endpoint = await uow.webhook_endpoints.get_for_update(seen.id)
        if endpoint is None:
            return seen, False
        disabled = False
        if answer.delivered:
            endpoint.record_delivered(now)
        else:
            disabled = endpoint.record_failed_attempt(now, self._disable_after)
            if status is DeliveryStatus.FAILED:
                endpoint.record_delivery_given_up(now)
        await uow.webhook_endpoints.update(endpoint)
        return endpoint, disabled

    async def _tell_disabled(
        self, uow: UnitOfWork, endpoint: WebhookEndpoint, now: datetime
    ) -> list[tuple[str, str]]:
        """The user's ENDPOINT_DISABLED event, and its deliveries to their other endpoints:
        their (endpoint id, chain)."""
        data = {
            "endpoint_id": endpoint.id,
            "url": endpoint.url,
            "failing_since": iso(endpoint.failing_since),
            "disabled_at": iso(now),
        }
        notice = NewClientEvent(ENDPOINT_DISABLED, endpoint.user_id, None, None, data)
        (event,) = await uow.client_events.append([notice], now)
        others = await uow.webhook_endpoints.receiving(endpoint.user_id, ENDPOINT_DISABLED)
        told = []
        for other in others:
            if event.sequence > other.after_sequence:
                await uow.webhook_deliveries.add_missing(other.id, [event], now)
                told.append((other.id, delivery_chain(event)[0]))
        return told

    def _count(self, answer: WebhookAnswer, status: DeliveryStatus) -> None:
        if answer.refused_address:
            self._metrics.outgoing_webhook_delivery("refused_address", None)
            return
        result = {
            DeliveryStatus.DELIVERED: "delivered",
            DeliveryStatus.PENDING: "retry",
            DeliveryStatus.FAILED: "failed",
        }[status]
        self._metrics.outgoing_webhook_delivery(result, answer.seconds)
