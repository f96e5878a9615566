"""The notify consumer: the client's events to its webhook endpoints, signed, in order per payout.

It is a batched consumer (event_routes.NOTIFY): one message brings the client events and requests
of a published batch. Events of users without endpoints are mostly never published to it (their
transaction found none: event_routes.UNHEARD); for those that are (an endpoint disabled or deleted
since, rows of earlier versions), one query finds which users still have an endpoint not
disabled, and the events of the others are skipped there. The rest go side by side, one chain at
a time: a payout's events (or an endpoint's requests) in the batch's order, each handled as
below.

On a batch's event (payout_batch.created, .completed) its client event, named in the message,
goes to each endpoint receiving it as a chain of its own.

On a client-visible payout event (version V of payout P), each endpoint of the user receiving
that type (not disabled) gets a pending delivery of each of P's events up to V that it
subscribes to, that is after its `after_sequence`, and that it has none of yet; in the same
transaction the next delivery of each chain (endpoint, P) is claimed, then sent, the endpoints
side by side (application.delivery_chains). Consumed before V's own message, the message of V+1
creates V's delivery too, in its place in the chain: the order holds whichever message comes
first.

On DELIVERIES_REQUESTED (the API after a replay, a retry or a re-enabling; a retry's wake-up;
reconciliation's sweep of overdue deliveries) every due chain of the endpoint is drained. On
PING_REQUESTED a signed `ping` goes to the endpoint once, best effort: no delivery row, no retry,
whatever the endpoint's state (the client asked for this test).

A redelivered message changes nothing: a delivery is unique per endpoint and event, and draining
works from the delivery rows. So, but for pings, no processed-message row is kept, and a worker
killed anywhere leaves rows that a redelivery, a wake-up or the sweep carries on from. That is
also why an envelope that fails fails its whole message once every other one is done: the retry
does again only what is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from payout_service.application.delivery_chains import Claim, DeliveryChains
from payout_service.application.event_routes import NOTIFY
from payout_service.application.messages import Envelope
from payout_service.application.ports import (
    Clock,
    UniqueViolation,
    UnitOfWorkFactory,
    WebhookSender,
)
from payout_service.application.representation import iso
from payout_service.domain.client_events import (
    DELIVERIES_REQUESTED,
    PING,
    PING_REQUESTED,
    delivery_chain,
    new_event_id,
)
from payout_service.domain.events import BATCH_CLIENT_VISIBLE, CLIENT_VISIBLE

log = logging.getLogger("payout_service.notify")

# Tries at creating a message's deliveries when concurrent messages of the same payout race to
# create the same ones (each try sees what the others committed).
CREATE_TRIES = 3


class DeliverClientEvents:
    """budget: how long one message, the whole batch, may keep taking deliveries to send (well
    within the actor's time limit, which is the message's); what is left then is asked for in a
    wake-up."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        chains: DeliveryChains,
        sender: WebhookSender,
        budget: timedelta,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._chains = chains
        self._sender = sender
        self._budget = budget

    async def __call__(self, envelopes: Sequence[Envelope]) -> int:
        """How many of the envelopes had work: not of a user without endpoints, not a ping
        already sent."""
        deadline = self._clock.now() + self._budget
        by_chain: dict[tuple[str, str], list[Envelope]] = {}
        for envelope in await self._with_endpoints(envelopes):
            key = (envelope.aggregate_type, envelope.aggregate_id)
            by_chain.setdefault(key, []).append(envelope)
        outcomes = await asyncio.gather(
            *(self._handle_in_order(chain, deadline) for chain in by_chain.values()),
            return_exceptions=True,
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return sum(outcome for outcome in outcomes if isinstance(outcome, int))

    async def _with_endpoints(self, envelopes: Sequence[Envelope]) -> list[Envelope]:
        """The envelopes but the client events of users with no endpoint that is not
        disabled, found in one query.

        Skipping those loses nothing. They were committed before they were published, so
        before this query. An endpoint registered after it starts after the user's last
        sequence read under the lock that every new event of the user takes
        (ClientEventLog.last_sequence): that read came after these events' commit, so the
        endpoint would receive none of them anyway. A disabled endpoint is given no new
        deliveries either way (`receiving`)."""
        users = {user for user in map(_user_of, envelopes) if user is not None}
        if not users:
            return list(envelopes)
        async with self._uow.reading() as uow:
            receiving = await uow.webhook_endpoints.users_with_endpoints(users)
        return [e for e in envelopes if _user_of(e) in receiving or _user_of(e) is None]

    async def _handle_in_order(self, envelopes: Sequence[Envelope], deadline: datetime) -> int:
        """One chain's envelopes one after the other: side by side they would find the chain
        claimed by each other and wait for the lease to end."""
        return sum([await self._handle(envelope, deadline) for envelope in envelopes])

    async def _handle(self, envelope: Envelope, deadline: datetime) -> bool:
        """False for a ping already sent (a redelivery); True otherwise."""
        if envelope.event == PING_REQUESTED:
            return await self._ping(envelope)
        if envelope.event == DELIVERIES_REQUESTED:
            await self._chains.drain_endpoint(envelope.aggregate_id, deadline)
        elif envelope.event in CLIENT_VISIBLE and "version" in envelope.payload:
            claims = await self._add_deliveries(envelope, self._add_missing)
            sends = (self._chains.send(claim, deadline, after_adding=True) for claim in claims)
            await asyncio.gather(*sends)
        elif envelope.event in BATCH_CLIENT_VISIBLE:
            claims = await self._add_deliveries(envelope, self._add_of_no_payout)
            sends = (self._chains.send(claim, deadline, after_adding=True) for claim in claims)
            await asyncio.gather(*sends)
        return True

    async def _add_deliveries(
        self, envelope: Envelope, add: Callable[[Envelope], Awaitable[list[Claim]]]
    ) -> list[Claim]:
        """The claim of the event's chain at each endpoint receiving it."""
        for _ in range(CREATE_TRIES - 1):
            with contextlib.suppress(UniqueViolation):
                return await add(envelope)
        return await add(envelope)

    async def _add_of_no_payout(self, envelope: Envelope) -> list[Claim]:
        """A batch's event: its client event (the outbox row names it) is a chain of its own."""
        claims = []
        async with self._uow(envelope.headers) as uow:
            event = await uow.client_events.get(str(envelope.payload["event_id"]))
            if event is None:
                return []  # purged (EVENT_RETENTION_DAYS) before this message came
            now = self._clock.now()
            for endpoint in await uow.webhook_endpoints.receiving(event.user_id, event.type):
                if event.sequence > endpoint.after_sequence:
                    await uow.webhook_deliveries.add_missing(endpoint.id, [event], now)
                    chain = delivery_chain(event)[0]
                    claims.append(
                        await self._chains.claim(uow, endpoint.id, chain, now, endpoint, [event])
                    )
            await uow.commit()
        return claims

    async def _add_missing(self, envelope: Envelope) -> list[Claim]:
        user_id = int(envelope.payload["user_id"])
        version = int(envelope.payload["version"])
        payout_id = envelope.aggregate_id
        claims = []
        async with self._uow(envelope.headers) as uow:
            endpoints = await uow.webhook_endpoints.receiving(user_id, envelope.event)
            if not endpoints:
                return []
            events = await uow.client_events.of_payout(payout_id, version)
            now = self._clock.now()
            for endpoint in endpoints:
                wanted = [
                    e
                    for e in events
                    if endpoint.subscribes_to(e.type) and e.sequence > endpoint.after_sequence
                ]
                if wanted:
                    await uow.webhook_deliveries.add_missing(endpoint.id, wanted, now)
                    claim = self._chains.claim(uow, endpoint.id, payout_id, now, endpoint, events)
                    claims.append(await claim)
            await uow.commit()
        return claims

    async def _ping(self, envelope: Envelope) -> bool:
        """At most once: the message is remembered before the POST."""
        now = self._clock.now()
        async with self._uow(envelope.headers) as uow:
            if await uow.processed_messages.already_processed(NOTIFY.name, envelope.message_id):
                return False
            endpoint = await uow.webhook_endpoints.get(envelope.aggregate_id)
            await uow.processed_messages.remember(NOTIFY.name, envelope.message_id, now)
            await uow.commit()
        if endpoint is None:
            return True
        event_id = new_event_id()
        body = {
            "id": event_id,
            "type": PING,
            "created_at": iso(now),
            "data": {"endpoint_id": endpoint.id},
        }
        answer = await self._sender.post(
            endpoint.url, body, event_id, None, endpoint.signing_secrets(now)
        )
        log.info(
            "ping %s",
            "delivered" if answer.delivered else f"not delivered: {answer.error}",
            extra={"endpoint_id": endpoint.id, "status_code": answer.status_code},
        )
        return True


def _user_of(envelope: Envelope) -> int | None:
    """The user whose client event the envelope brings; None for a request naming an endpoint
    (DELIVERIES_REQUESTED, PING_REQUESTED), which goes whoever the user."""
    if envelope.event in CLIENT_VISIBLE or envelope.event in BATCH_CLIENT_VISIBLE:
        return int(envelope.payload["user_id"])
    return None
