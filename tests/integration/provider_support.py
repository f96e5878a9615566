"""What the provider tests share: the mock provider on loopback, settings with short timeouts and
retries on a broker namespace of the test's own, the web app and the service's worker for real,
payouts the provider holds without the service knowing, operator commands run to their end, and
reads of what happened."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from payout_service.application.event_routes import is_published
from payout_service.application.ports import PayoutInstruction, SendAttemptOutcome
from payout_service.application.reconcile_payouts import ReconcileReport
from payout_service.bootstrap import Services, build_reconciler, build_relay, build_services
from payout_service.domain.send_attempts import SendAttemptResult
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.provider.http_client import AiohttpProviderClient
from payout_service.infrastructure.settings import Settings
from payout_service.provider_mock.app import create_mock_app
from payout_service.provider_mock.provider import MockConfig, MockMode, MockProvider
from tests.integration.helpers import payout_body, rows
from tests.integration.processes import RunningProcess, eventually, running_worker
from tests.processes import Output, free_port, service_environment, start_command

# Quick enough for tests, shaped like the defaults: a few attempts, doubling short delays.
TEST_RETRIES = {
    "provider_send_max_attempts": 3,
    "provider_send_first_backoff_ms": 200,
    "provider_send_max_backoff_ms": 1_000,
    "provider_connect_timeout_ms": 500,
    "provider_total_timeout_ms": 1_000,
    "relay_poll_interval_ms": 50,
}
QUEUES = ["provider-send", "events", "inbox"]
WEBHOOK_SECRET = "whsec_provider_tests"


@dataclass
class Refusals:
    """The next `pending` payout requests are refused with the provider's documented 400
    before the mock sees them: a provider refusing the retry of a payout it took (its
    idempotency window over, say), which no mock mode does."""

    pending: int = 0

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method == "POST" and self.pending > 0:
            self.pending -= 1
            refusal = {"error": "payout_rejected", "message": "the payout cannot be made"}
            return web.json_response(refusal, status=400)
        response: web.StreamResponse = await handler(request)
        return response


@dataclass
class MockServer:
    provider: MockProvider
    url: str
    refusals: Refusals = field(default_factory=Refusals)


@asynccontextmanager
async def serving_mock(config: MockConfig) -> AsyncIterator[MockServer]:
    """The mock provider's app on 127.0.0.1 (a free port), in this test's event loop."""
    provider = MockProvider(config)
    refusals = Refusals()
    app = create_mock_app(provider)
    app.middlewares.append(refusals.middleware)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield MockServer(provider, str(server.make_url("")).rstrip("/"), refusals)
    finally:
        await server.close()


def quiet_mock(**changes: Any) -> MockConfig:
    """A mock that sends no webhooks, moves its payouts along quickly, and pays them all out."""
    base = MockConfig(mode=MockMode.SUCCESS, step_delay=0.05, stall=3.0, success_percent=100)
    return replace(base, **changes)


@pytest.fixture
async def mock() -> AsyncIterator[MockServer]:
    async with serving_mock(quiet_mock()) as server:
        yield server


@pytest.fixture
def provider_settings(settings: Settings, mock: MockServer, redis_url: str) -> Iterator[Settings]:
    """The test's settings, pointed at the mock, on a broker namespace no other run uses."""
    namespace = f"test-provider-{uuid.uuid4().hex[:10]}"
    yield replace(
        settings,
        redis_url=redis_url,
        broker_namespace=namespace,
        provider_base_url=mock.url,
        provider_webhook_secrets=WEBHOOK_SECRET,
        **TEST_RETRIES,
    )
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{namespace}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def provider_services(provider_settings: Settings, db: SqlUnitOfWorkFactory) -> Services:
    return build_services(provider_settings)


@pytest.fixture
async def provider_api(provider_services: Services, aiohttp_client: Any) -> TestClient:
    """The real web app (its fast path publishes to the test's namespace)."""
    from payout_service.web.app import create_app

    client: TestClient = await aiohttp_client(create_app(provider_services))
    return client


@pytest.fixture
async def relay(provider_settings: Settings, db: SqlUnitOfWorkFactory) -> AsyncIterator[None]:
    """The relay on this loop: publishes what the workers write (acceptance, failure)."""
    stop, wake = asyncio.Event(), asyncio.Event()
    running = asyncio.create_task(build_relay(provider_settings, db).run(stop, 0.05, wake))
    yield
    stop.set()
    await running


def worker_environment(settings: Settings, scratch: Path) -> dict[str, str]:
    """Every setting as the variable the worker reads it from, as in production."""
    values = {f.name.upper(): str(getattr(settings, f.name)) for f in fields(settings)}
    values.update(PORT=str(free_port()), METRICS_DIR=str(scratch / "metrics"), LOG_LEVEL="INFO")
    environment = service_environment()
    environment.update(values)
    return environment


@asynccontextmanager
async def provider_worker(settings: Settings, scratch: Path) -> AsyncIterator[RunningProcess]:
    """The service's Dramatiq worker on the provider-send, events and inbox queues."""
    async with running_worker(worker_environment(settings, scratch), QUEUES) as worker:
        yield worker


@pytest.fixture
async def worker(
    provider_settings: Settings, tmp_path: Path, relay: None
) -> AsyncIterator[RunningProcess]:
    async with provider_worker(provider_settings, tmp_path) as running:
        yield running


async def create_payout(api: TestClient, auth: dict[str, str], **changes: Any) -> dict[str, Any]:
    reference = changes.pop("external_reference", f"ref-{uuid.uuid4().hex[:12]}")
    response = await api.post(
        "/api/payouts",
        json=payout_body(external_reference=reference, **changes),
        headers={**auth, "Idempotency-Key": reference},
    )
    assert response.status == 201, await response.text()
    created: dict[str, Any] = await response.json()
    return created


async def payout_row(db: SqlUnitOfWorkFactory, payout_id: str) -> dict[str, Any]:
    (row,) = await rows(db, "SELECT * FROM payouts WHERE id = %s", payout_id)
    return row


async def settled(
    db: SqlUnitOfWorkFactory, payout_id: str, timeout: float = 30.0
) -> dict[str, Any]:
    """The payout once the send is over: accepted by the provider, or finished."""
    return await eventually(
        lambda: payout_row(db, payout_id),
        lambda p: p["provider_payout_id"] is not None or p["status"] in FINAL,
        timeout=timeout,
        what=f"payout {payout_id} to be accepted or finished",
    )


FINAL = ("success", "failed", "cancelled")


async def attempts(db: SqlUnitOfWorkFactory, payout_id: str) -> list[dict[str, Any]]:
    return await rows(
        db,
        "SELECT attempt, result, http_status, error_type, provider_payout_id, started_at,"
        " finished_at FROM payout_send_attempts WHERE payout_id = %s ORDER BY attempt",
        payout_id,
    )


async def events_of(db: SqlUnitOfWorkFactory, payout_id: str) -> list[str]:
    """The payout's events some consumer acts on, in order, from the audit log, which keeps every
    event (the outbox only those a consumer hears: the demo user has no webhook endpoint)."""
    found = await rows(
        db,
        "SELECT event_name FROM audit_logs WHERE aggregate_id = %s ORDER BY id",
        payout_id,
    )
    return [r["event_name"] for r in found if is_published(r["event_name"])]


def send_key(payout_id: str) -> str:
    from payout_service.domain.send_attempts import provider_idempotency_key

    return provider_idempotency_key(payout_id)


def queue_drained(settings: Settings, queue: str = "provider-send") -> bool:
    """Nothing waiting, delayed, or in a worker's hands on the queue."""
    client = redis.Redis.from_url(settings.redis_url)
    try:
        prefix = f"{settings.broker_namespace}:{queue}"
        return client.hlen(f"{prefix}.msgs") == 0 and client.hlen(f"{prefix}.DQ.msgs") == 0
    finally:
        client.close()


async def taken_by_provider(mock: MockServer, payout: dict[str, Any]) -> str:
    """The provider takes the payout (as the API showed it) under its send key, as a send
    whose answer never arrived leaves it; returns the provider's payout id."""
    client = AiohttpProviderClient(mock.url, aiohttp.ClientTimeout(total=5))
    try:
        acceptance = await client.send_payout(
            PayoutInstruction(
                idempotency_key=send_key(payout["id"]),
                reference=payout["id"],
                amount=payout["amount"],
                currency=payout["currency"],
                wallet=payout["wallet"],
                metadata={"external_reference": payout["external_reference"]},
            )
        )
    finally:
        await client.close()
    return acceptance.provider_payout_id


async def paid_at_the_provider(mock: MockServer, payout_id: str) -> str:
    """Waits until the mock has paid out the payout it took; its provider payout id."""
    held = mock.provider.payout_for_key(send_key(payout_id))
    assert held is not None, f"the provider never took payout {payout_id}"
    await eventually(lambda: held.status, lambda s: s == "success", what="the provider's success")
    return held.provider_payout_id


async def sent_without_answer(db: SqlUnitOfWorkFactory, payout_id: str, review_reason: str) -> None:
    """The payout as a send that gave up after its one attempt got no answer leaves it:
    processing, without the provider's id, flagged for an operator with `review_reason`."""
    now = SystemClock().now()
    unanswered = SendAttemptOutcome(
        SendAttemptResult.NO_ANSWER, error_type="timeout", error_message="no answer in time"
    )
    async with db() as tx:
        payout = await tx.payouts.get_for_update(payout_id)
        assert payout is not None
        payout.start_processing(now)
        attempt = await tx.send_attempts.open(payout_id, now)
        await tx.send_attempts.close(payout_id, attempt, unanswered, now)
        payout.flag_for_review(review_reason, now)
        await tx.payouts.update(payout)
        await tx.commit()


async def operator_command(env: dict[str, str], *args: str) -> tuple[int, str]:
    """Runs `payout-service <args>` to its end: its exit code and its output."""
    process = await start_command(*args, env=env)
    output = Output(process)
    try:
        await asyncio.wait_for(process.wait(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    await output.closed()
    return int(process.returncode or 0), output.text()


async def reconcile_once(settings: Settings, db: SqlUnitOfWorkFactory) -> ReconcileReport:
    """One pass of the real reconciler, its provider client closed after."""
    reconcile, provider = build_reconciler(settings, db)
    try:
        return await reconcile()
    finally:
        await provider.close()
