"""What the webhook and ledger tests share: signed deliveries, a payout the provider accepted,
the consumers run on committed outbox rows, and reads of the money.

`dispatch_outbox` hands each committed outbox row, once, to the real consumers the routing table
names (the books: audit log and ledger; the webhook inbox) through their real use cases:
everything but the Redis hop, which tests/integration/test_webhook_processes.py covers with the
running processes.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from payout_service.application.canonical_json import canonical_sha256
from payout_service.application.event_routes import (
    BOOKS,
    WEBHOOK_APPLY,
    consumers_of,
    is_published,
)
from payout_service.application.messages import Envelope
from payout_service.application.ports import RECEIVED
from payout_service.application.receive_webhook import ReceiveWebhook, WebhookReceipt
from payout_service.bootstrap import Services, WorkerServices, build_services, build_worker_services
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.dialect import Dialect
from payout_service.infrastructure.db.outbox import OUTBOX_COLUMNS, OutboxRow
from payout_service.infrastructure.db.seed import DEMO_USER_ID
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.outbox.publisher import message_body
from payout_service.infrastructure.settings import Settings
from payout_service.infrastructure.webhook_signature import SIGNATURE_HEADER, signature_header
from payout_service.web.webhook_requests import provider_webhook
from tests.integration.helpers import payout_body, post_payout, rows

SECRET = "whsec_current_0123456789"
OLD_SECRET = "whsec_previous_9876543210"
# The provider's clock in these webhooks: a day ahead of the test run, because a report dated
# before its payout was created is stale, and the tests create their payouts after this import.
T0 = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
WEBHOOK_PATH = "/api/webhooks/provider"


@pytest.fixture
def webhook_settings(settings: Settings) -> Settings:
    """Signed webhooks with SECRET; no Redis, so committed outbox rows wait for dispatch_outbox."""
    return replace(settings, redis_url="", provider_webhook_secrets=SECRET)


@pytest.fixture
async def webhook_services(
    webhook_settings: Settings, db: SqlUnitOfWorkFactory
) -> AsyncIterator[Services]:
    yield build_services(webhook_settings)


@pytest.fixture
async def webhook_api(webhook_services: Services, aiohttp_client):  # type: ignore[no-untyped-def]
    from payout_service.web.app import create_app

    return await aiohttp_client(create_app(webhook_services))


@pytest.fixture
def consumers(webhook_settings: Settings, db: SqlUnitOfWorkFactory) -> WorkerServices:
    return build_worker_services(webhook_settings)


def webhook(event_id: str = "evt-1", **changes: Any) -> dict[str, Any]:
    """The provider's webhook body about provider payout prov-1; `reference` (our payout id, as
    the provider keeps it) only when a test names it."""
    body: dict[str, Any] = {
        "event_id": event_id,
        "provider_payout_id": "prov-1",
        "status": "success",
        "occurred_at": T0.isoformat(),
    }
    body.update(changes)
    return body


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def raw(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def signed(data: bytes, *secrets: str, timestamp: int | None = None) -> dict[str, str]:
    moment = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature_header(data, secrets or (SECRET,), moment),
    }


async def post_webhook(
    api: TestClient, body: dict[str, Any] | bytes, headers: dict[str, str] | None = None
) -> ClientResponse:
    """Posts the body signed with SECRET unless `headers` says otherwise."""
    data = body if isinstance(body, bytes) else raw(body)
    return await api.post(
        WEBHOOK_PATH, data=data, headers=signed(data) if headers is None else headers
    )


async def accepted_payout(
    api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    reference: str = "ref-1",
    provider_payout_id: str | None = "prov-1",
    amount: str = "150.00",
    user_id: int = DEMO_USER_ID,
) -> str:
    """Created through the API, then sent and accepted by the provider as the provider-send
    actor records it (processing, provider_payout_id, payout.provider_accepted)."""
    created = await post_payout(
        api,
        auth,
        payout_body(external_reference=reference, amount=amount, user_id=user_id),
        key=reference,
    )
    assert created.status == 201, await created.text()
    payout_id = str((await created.json())["id"])
    now = SystemClock().now()
    async with db({"request_id": f"accept-{reference}"}) as tx:
        payout = await tx.payouts.get_for_update(payout_id)
        assert payout is not None
        payout.start_processing(now)
        if provider_payout_id is not None:
            payout.record_provider_acceptance(provider_payout_id, now)
        await tx.payouts.update(payout)
        await tx.commit()
    return payout_id


class OutboxDispatcher:
    """Hands every committed outbox row, once and in write order, to its books and inbox
    consumers (the provider-send consumer is the provider tests' business)."""

    def __init__(self, db: SqlUnitOfWorkFactory, consumers: WorkerServices) -> None:
        self._db = db
        self._consumers = consumers
        self._last_id = 0

    async def __call__(self) -> list[str]:
        """Dispatches until no new rows appear; returns the events dispatched."""
        dispatched: list[str] = []
        while batch := await self._new_rows():
            for row in batch:
                envelope = Envelope.from_dict(message_body(row))
                for consumer in consumers_of(row.event_name, row.headers):
                    if consumer == BOOKS:
                        await self._consumers.keep_books([envelope])
                    elif consumer == WEBHOOK_APPLY:
                        await self._consumers.apply_webhook(envelope)
                dispatched.append(row.event_name)
                self._last_id = row.id
        return dispatched

    async def envelopes(self, event: str) -> list[Envelope]:
        """Every committed row of `event`, as its consumers receive it; with none (an event no
        client endpoint heard: the demo user has none), every audited `event`, as an earlier
        version published each one."""
        found = await rows(
            self._db,
            f"SELECT {OUTBOX_COLUMNS} FROM outbox_messages WHERE event_name = %s ORDER BY id",
            event,
        )
        async with self._db() as tx:
            dialect = tx.session.dialect
        if not found and is_published(event):
            audited = await rows(
                self._db,
                "SELECT message_id, event_name, aggregate_type, aggregate_id, payload, request_id,"
                " occurred_at FROM audit_logs WHERE event_name = %s ORDER BY id",
                event,
            )
            return [_as_published(r, dialect) for r in audited]
        return [Envelope.from_dict(message_body(OutboxRow.from_db(r, dialect))) for r in found]

    async def _new_rows(self) -> list[OutboxRow]:
        found = await rows(
            self._db,
            f"SELECT {OUTBOX_COLUMNS} FROM outbox_messages WHERE id > %s ORDER BY id",
            self._last_id,
        )
        async with self._db() as tx:
            dialect = tx.session.dialect
        return [OutboxRow.from_db(r, dialect) for r in found]


def _as_published(audited: dict[str, Any], dialect: Dialect) -> Envelope:
    """An audit row as the outbox row an earlier version wrote for it would be published."""
    occurred_at = dialect.from_db(audited["occurred_at"])
    assert occurred_at is not None
    return Envelope(
        message_id=audited["message_id"],
        event=audited["event_name"],
        aggregate_type=audited["aggregate_type"],
        aggregate_id=audited["aggregate_id"],
        payload=json.loads(audited["payload"]),
        headers={"request_id": audited["request_id"]} if audited["request_id"] else {},
        occurred_at=occurred_at,
    )


@pytest.fixture
def dispatch_outbox(db: SqlUnitOfWorkFactory, consumers: WorkerServices) -> OutboxDispatcher:
    return OutboxDispatcher(db, consumers)


async def money(api: TestClient, auth: dict[str, str], currency: str = "USD") -> dict[str, str]:
    """The account as GET /api/accounts shows it."""
    response = await api.get("/api/accounts", headers=auth)
    assert response.status == 200, await response.text()
    return next(a for a in (await response.json())["data"] if a["currency"] == currency)


async def payout_of(api: TestClient, auth: dict[str, str], payout_id: str) -> dict[str, Any]:
    response = await api.get(f"/api/payouts/{payout_id}", headers=auth)
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def ledger_kinds(db: SqlUnitOfWorkFactory, payout_id: str) -> list[tuple[str, str]]:
    """(kind, direction) of the user's lines for the payout, in order."""
    found = await rows(
        db,
        "SELECT kind, direction FROM account_ledger_entries WHERE payout_id = %s"
        " AND account_id IS NOT NULL ORDER BY id",
        payout_id,
    )
    return [(r["kind"], r["direction"]) for r in found]


async def count(db: SqlUnitOfWorkFactory, table: str, where: str = "1 = 1", *values: Any) -> int:
    (row,) = await rows(db, f"SELECT COUNT(*) AS n FROM {table} WHERE {where}", *values)
    return int(row["n"])


async def store_unapplied(db: SqlUnitOfWorkFactory, body: dict[str, Any]) -> int:
    """Stores the webhook as the endpoint does when applying it fails: unapplied, with its
    provider.webhook.received message for the inbox; its inbox row id."""
    receipt = await ReceiveWebhook(db, SystemClock()).store_unapplied(
        provider_webhook(body), raw(body).decode(), canonical_sha256(body), {}
    )
    assert isinstance(receipt, WebhookReceipt) and receipt.result == RECEIVED
    return receipt.inbox_event_id
