"""What the outgoing webhook tests share: a client's receiving server on 127.0.0.1 that keeps
what arrives and answers as the test scripts it, endpoints added through the repository (the
API's registration is tested with the API), payouts moved through the unit of work, and the
notify consumer run in this process on the committed outbox rows.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from payout_service.application.deliver_client_events import DeliverClientEvents
from payout_service.application.delivery_chains import DeliveryChains
from payout_service.application.delivery_schedule import DeliverySchedule
from payout_service.application.event_routes import NOTIFY, consumers_of
from payout_service.application.messages import Envelope
from payout_service.domain.client_events import (
    DELIVERIES_REQUESTED,
    ENDPOINT_AGGREGATE,
    WebhookEndpoint,
)
from payout_service.domain.events import DomainEvent
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.outbox import OUTBOX_COLUMNS, OutboxRow
from payout_service.infrastructure.db.seed import DEMO_USER_ID
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.metrics import PrometheusMetrics
from payout_service.infrastructure.outbox.publisher import message_body
from payout_service.infrastructure.outgoing_webhooks.sender import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    AiohttpWebhookSender,
)
from payout_service.infrastructure.settings import Settings
from payout_service.infrastructure.webhook_signature import (
    InvalidSignature,
    WebhookSignatureVerifier,
)
from tests.integration.helpers import rows

CLIENT_SECRET = "whsec_client_current_0123456789"
LEASE = timedelta(seconds=5)


@dataclass
class Arrival:
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    def verifies_with(self, *secrets: str) -> bool:
        try:
            WebhookSignatureVerifier(secrets).verify(self.headers.get(SIGNATURE_HEADER), self.body)
        except InvalidSignature:
            return False
        return True


@dataclass
class ClientReceiver:
    """A client's endpoint on 127.0.0.1. `answer` decides each request's status (200 unless
    set); `hold`, when set, keeps each request waiting until it is set (a hanging client).
    `arrivals` in arrival order; until() awaits a condition on them."""

    url: str = ""
    arrivals: list[Arrival] = field(default_factory=list)
    answer: Callable[[dict[str, Any]], int] = lambda event: 200
    hold: asyncio.Event | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        arrival = Arrival(dict(request.headers), body, 0)
        async with self._changed:
            self.arrivals.append(arrival)
            self._changed.notify_all()
        if self.hold is not None:
            await self.hold.wait()
        arrival.status = self.answer(arrival.event)
        async with self._changed:
            self._changed.notify_all()
        return web.Response(status=arrival.status)

    def delivered(self) -> list[dict[str, Any]]:
        """The events answered with a 2xx, in arrival order."""
        return [a.event for a in self.arrivals if 200 <= a.status < 300]

    async def until(
        self, condition: Callable[[ClientReceiver], bool], timeout: float = 30.0
    ) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: condition(self)), timeout)


async def client_receiver(aiohttp_server: Any) -> ClientReceiver:
    receiver = ClientReceiver()
    app = web.Application()
    app.router.add_post("/hooks", receiver.receive)
    server = await aiohttp_server(app, host="127.0.0.1")
    receiver.url = str(server.make_url("/hooks"))
    return receiver


async def add_endpoint(
    db: SqlUnitOfWorkFactory,
    url: str,
    event_types: tuple[str, ...] = ("*",),
    secret: str = CLIENT_SECRET,
    user_id: int = DEMO_USER_ID,
) -> WebhookEndpoint:
    """Stored as the API registers one: receiving the events after the user's last one."""
    now = SystemClock().now()
    async with db() as tx:
        endpoint = WebhookEndpoint(
            id=f"we_{uuid.uuid4().hex[:16]}",
            user_id=user_id,
            url=url,
            event_types=event_types,
            description="a test client",
            secret=secret,
            created_at=now,
            updated_at=now,
            after_sequence=await tx.client_events.last_sequence(user_id),
        )
        await tx.webhook_endpoints.add(endpoint)
        await tx.commit()
    return endpoint


async def start_processing(db: SqlUnitOfWorkFactory, payout_id: str) -> None:
    """As the provider-send consumer does first: the payout's version 2, payout.processing."""
    async with db() as tx:
        payout = await tx.payouts.get_for_update(payout_id)
        assert payout is not None
        payout.start_processing(SystemClock().now())
        await tx.payouts.update(payout)
        await tx.commit()


async def request_deliveries(db: SqlUnitOfWorkFactory, endpoint_id: str) -> None:
    """What the API writes after a replay or a retry: DELIVERIES_REQUESTED, to the outbox."""
    request = DomainEvent(
        DELIVERIES_REQUESTED, ENDPOINT_AGGREGATE, endpoint_id, {"endpoint_id": endpoint_id}
    )
    async with db() as tx:
        await tx.outbox.add(request, {}, SystemClock().now())
        await tx.commit()


async def deliveries(db: SqlUnitOfWorkFactory, endpoint_id: str) -> list[dict[str, Any]]:
    return await rows(
        db,
        "SELECT d.id, d.event_id, d.chain, d.chain_position, d.status, d.attempts,"
        " d.last_status_code, d.last_error FROM webhook_deliveries d WHERE d.endpoint_id = %s"
        " ORDER BY d.sequence",
        endpoint_id,
    )


class MovableClock:
    def __init__(self) -> None:
        self.moment = SystemClock().now()

    def now(self) -> datetime:
        return self.moment


class RecordedWakeUps:
    def __init__(self) -> None:
        self.asked: list[tuple[str, datetime]] = []

    async def wake_at(self, endpoint_id: str, at: datetime) -> None:
        self.asked.append((endpoint_id, at))


class InProcessNotify:
    """The notify consumer with the service's real parts (SQL, the aiohttp sender and its
    policy from `settings`), on this test's loop: `dispatch` hands it the committed outbox rows
    routed to it; its clock is the test's to move, and its wake-ups the test's to fire
    (`fire_wake_ups`), where production sends delayed messages through Redis."""

    def __init__(self, db: SqlUnitOfWorkFactory, settings: Settings) -> None:
        self._db = db
        self.clock = MovableClock()
        self.wake_ups = RecordedWakeUps()
        self.sender = AiohttpWebhookSender.from_settings(settings)
        self.metrics = PrometheusMetrics()
        schedule = DeliverySchedule(
            retry_for=timedelta(hours=settings.outgoing_webhook_retry_hours)
        )
        chains = DeliveryChains(
            db,
            self.clock,
            self.sender,
            self.wake_ups,
            schedule,
            timedelta(hours=settings.outgoing_webhook_disable_after_hours),
            LEASE,
            self.metrics,
        )
        self.consume = DeliverClientEvents(
            db, self.clock, chains, self.sender, budget=timedelta(seconds=30)
        )
        self._last_id = 0

    async def dispatch(self, newest_first: bool = False) -> list[str]:
        """Consumes the outbox rows committed since the last dispatch, in one message as the
        relay publishes a batch (oldest first unless told otherwise); returns their events."""
        found = await rows(
            self._db,
            f"SELECT {OUTBOX_COLUMNS} FROM outbox_messages WHERE id > %s ORDER BY id",
            self._last_id,
        )
        async with self._db() as tx:
            dialect = tx.session.dialect
        batch = [OutboxRow.from_db(r, dialect) for r in found]
        if batch:
            self._last_id = batch[-1].id
        mine = [r for r in batch if NOTIFY in consumers_of(r.event_name, r.headers)]
        ordered = reversed(mine) if newest_first else mine
        await self.consume([Envelope.from_dict(message_body(row)) for row in ordered])
        return [r.event_name for r in mine]

    async def fire_wake_ups(self) -> int:
        """Moves the clock to each wake-up asked for, earliest first, and delivers it (new
        ones included) until none is left; how many were fired."""
        fired = 0
        while self.wake_ups.asked:
            self.wake_ups.asked.sort(key=lambda asked: asked[1])
            endpoint_id, at = self.wake_ups.asked.pop(0)
            self.clock.moment = max(self.clock.moment, at)
            await self.consume([_wake_up(endpoint_id, at)])
            fired += 1
        return fired

    def counted(self, result: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "outgoing_webhook_deliveries_total", {"result": result}
        )
        return value or 0.0

    async def close(self) -> None:
        await self.sender.close()


def _wake_up(endpoint_id: str, at: datetime) -> Envelope:
    return Envelope(
        message_id=str(uuid.uuid4()),
        event=DELIVERIES_REQUESTED,
        aggregate_type=ENDPOINT_AGGREGATE,
        aggregate_id=endpoint_id,
        payload={"endpoint_id": endpoint_id},
        headers={},
        occurred_at=at,
    )


def event_ids(arrivals: Sequence[Arrival]) -> list[str]:
    return [a.headers[EVENT_ID_HEADER] for a in arrivals]
