"""The whole flow through the running processes, as production runs them: `payout-service web`,
`payout-service relay` and `payout-service worker events inbox`, on real MariaDB and Redis.

create -> provider accepted -> signed webhook -> success -> balance debited by exactly the amount
(as GET /api/accounts shows), hold gone, `ledger verify` clean, audit rows present; and 200
concurrent deliveries of one webhook change the payout once and debit it once. The first test
runs `ledger verify` as a process too; the others run it in this process, as cli.py runs it
(commands_in_process).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis

from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from tests.integration.commands_in_process import InProcessCommands
from tests.integration.helpers import payout_body, post_payout, rows
from tests.integration.processes import eventually
from tests.integration.webhook_support import (
    SECRET,
    accepted_payout,
    count,
    ledger_kinds,
    money,
    payout_of,
    post_webhook,
    webhook,
)
from tests.processes import Output, free_port, service_environment, start_command

QUEUES = ("events", "inbox")


@pytest.fixture
def database_url(mysql_url: str) -> str:
    """MariaDB only: several processes share the database, as in production."""
    return mysql_url


@pytest.fixture
def process_settings(settings: Settings, redis_url: str) -> AsyncIterator[Settings]:
    """The shared test Redis under a broker namespace of this test's own, removed afterwards."""
    namespace = f"test-webhooks-{uuid.uuid4().hex[:10]}"
    yield replace(
        settings,
        redis_url=redis_url,
        broker_namespace=namespace,
        provider_webhook_secrets=SECRET,
        relay_poll_interval_ms=50,
    )
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{namespace}:*"))
    if keys:
        client.delete(*keys)
    client.close()


class Remote:
    """The running web process, spoken to like aiohttp's TestClient (paths, not URLs)."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self._session = session
        self._base = base

    def get(self, path: str, **kwargs: Any) -> Any:
        return self._session.get(self._base + path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self._session.post(self._base + path, **kwargs)


@dataclass
class Service:
    api: Remote
    environment: dict[str, str]


@asynccontextmanager
async def running(*args: str, env: dict[str, str]) -> AsyncIterator[Output]:
    """`payout-service <args>` in a session of its own, killed with all it started on leaving:
    the tests here are over by then. How each stops on SIGTERM is the concern of
    test_graceful_shutdown (web), test_relay_process and test_worker_metrics (a worker takes
    2-3 s to stop)."""
    process = await start_command(*args, env=env, new_session=True)
    output = Output(process)
    try:
        yield output
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        await output.closed()


def base_environment(settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "BROKER_NAMESPACE": settings.broker_namespace,
        "PROVIDER_WEBHOOK_SECRETS": SECRET,
        "RELAY_POLL_INTERVAL_MS": "50",
        "METRICS_DIR": str(tmp_path / "metrics"),
        "LOG_LEVEL": "INFO",
        # `payout-service worker` runs `dramatiq` from this interpreter's scripts, as `run` does.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }


@asynccontextmanager
async def service_running(
    values: dict[str, str],
    web_port: int,
    *more: tuple[tuple[str, ...], int, str | None],
    relay: bool = True,
) -> AsyncIterator[Service]:
    """Relay, the events+inbox worker and the web process (plus `more`), started together and
    up once each logged its `ready` line (the web process once it answers), until leaving."""
    relay_process = (("relay",), free_port(), "relay started")
    async with AsyncExitStack() as stack:
        readiness = []
        for args, port, ready in (
            *((relay_process,) if relay else ()),
            (("worker", *QUEUES, "--threads", "4"), free_port(), "ready for action"),
            *more,
            (("web",), web_port, None),
        ):
            env = service_environment(**values, PORT=str(port))
            output = await stack.enter_async_context(running(*args, env=env))
            if ready:
                readiness.append(output.wait_for(ready))
        await asyncio.gather(*readiness)
        session = await stack.enter_async_context(aiohttp.ClientSession())
        base = f"http://127.0.0.1:{web_port}"
        await eventually(lambda: _answers(session, base + "/ready"), what="the web process")
        yield Service(Remote(session, base), service_environment(**values))


@pytest.fixture
async def service(
    process_settings: Settings, db: SqlUnitOfWorkFactory, tmp_path: Path
) -> AsyncIterator[Service]:
    """No provider: the tests record the provider's acceptance themselves."""
    async with service_running(base_environment(process_settings, tmp_path), free_port()) as up:
        yield up


@pytest.fixture(params=["with relay", "without relay"])
async def service_with_provider(
    request: pytest.FixtureRequest,
    process_settings: Settings,
    db: SqlUnitOfWorkFactory,
    tmp_path: Path,
) -> AsyncIterator[Service]:
    """Plus the provider-send worker and the mock provider, which accepts every payout and
    reports processing then success by signed webhooks to the web process. Without the relay,
    every event travels by the fast path of the process that committed it."""
    web_port, mock_port = free_port(), free_port()
    values = base_environment(process_settings, tmp_path)
    values.update(
        PROVIDER_BASE_URL=f"http://127.0.0.1:{mock_port}",
        MOCK_PROVIDER_MODE="success",
        MOCK_PROVIDER_SUCCESS_PERCENT="100",
        MOCK_PROVIDER_STEP_DELAY_MS="100",
        MOCK_PROVIDER_WEBHOOK_URL=f"http://127.0.0.1:{web_port}/api/webhooks/provider",
    )
    provider = (
        (("provider-mock",), mock_port, "provider mock serving"),
        (("worker", "provider-send", "--threads", "2"), free_port(), "ready for action"),
    )
    relay = request.param == "with relay"
    async with service_running(values, web_port, *provider, relay=relay) as up:
        yield up


async def _answers(session: aiohttp.ClientSession, url: str) -> bool:
    try:
        async with session.get(url) as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


def drained(settings: Settings) -> bool:
    client = redis.Redis.from_url(settings.redis_url)
    try:
        return all(
            client.hlen(f"{settings.broker_namespace}:{queue}{suffix}.msgs") == 0
            for queue in QUEUES
            for suffix in ("", ".DQ")
        )
    finally:
        client.close()


async def settled(db: SqlUnitOfWorkFactory, settings: Settings) -> bool:
    """Every outbox row published and every message consumed: nothing more will happen."""
    pending = await count(db, "outbox_messages", "status <> %s", "published")
    return pending == 0 and drained(settings)


async def ledger_verify(env: dict[str, str]) -> tuple[int, str]:
    process = await start_command("ledger", "verify", env=env)
    output = Output(process)
    await asyncio.wait_for(process.wait(), 60)
    await output.closed()
    return int(process.returncode or 0), output.text()


async def audited(db: SqlUnitOfWorkFactory) -> Counter[str]:
    return Counter(r["event_name"] for r in await rows(db, "SELECT event_name FROM audit_logs"))


async def test_a_signed_success_webhook_debits_the_balance_through_the_running_processes(
    service: Service, auth, db, process_settings
):
    api = service.api
    # Given a payout of 150.00 created over HTTP and accepted by the provider
    payout_id = await accepted_payout(api, auth, db)  # type: ignore[arg-type]
    assert (await money(api, auth))["held"] == "150.00"  # type: ignore[arg-type]
    # When the provider's signed success webhook reaches the web process
    response = await post_webhook(api, webhook(status="success"))  # type: ignore[arg-type]
    assert response.status == 202, await response.text()
    # Then the workers settle it: balance down by exactly 150.00, nothing held
    settled_money = await eventually(
        lambda: money(api, auth),  # type: ignore[arg-type]
        lambda m: m["held"] == "0.00",
        what="the hold to be settled",
    )
    assert settled_money == {
        "currency": "USD",
        "balance": "9850.00",
        "held": "0.00",
        "available": "9850.00",
    }
    assert (await payout_of(api, auth, payout_id))["status"] == "success"  # type: ignore[arg-type]
    # And once everything is consumed, the ledger verifies and every event was audited once
    await eventually(lambda: settled(db, process_settings), what="the outbox and queues to drain")
    code, text = await ledger_verify(service.environment)
    assert code == 0 and "ledger clean" in text, text
    assert await audited(db) == {
        "payout.created": 1,
        "payout.processing": 1,
        "payout.provider_accepted": 1,
        "provider.webhook.applied": 1,
        "payout.succeeded": 1,
    }
    assert await ledger_kinds(db, payout_id) == [("hold", "debit"), ("debit", "debit")]


async def test_200_concurrent_deliveries_make_one_inbox_row_one_change_and_one_debit(
    service: Service, auth, db, process_settings, commands: InProcessCommands
):
    api = service.api
    payout_id = await accepted_payout(api, auth, db)  # type: ignore[arg-type]
    # When the provider delivers the same success webhook 200 times at once
    body = webhook(status="success")
    answers = await asyncio.gather(*(post_webhook(api, body) for _ in range(200)))  # type: ignore[arg-type]
    # Then every delivery is acknowledged and exactly one was new
    assert [a.status for a in answers] == [202] * 200
    duplicates = [(await a.json())["duplicate"] for a in answers]
    assert duplicates.count(False) == 1
    # And when everything has been consumed: one inbox row, one state change, one debit
    await eventually(
        lambda: money(api, auth),  # type: ignore[arg-type]
        lambda m: m["held"] == "0.00",
        what="the hold to be settled",
    )
    await eventually(lambda: settled(db, process_settings), what="the outbox and queues to drain")
    assert await count(db, "provider_webhook_events") == 1
    assert await count(db, "audit_logs", "event_name = %s", "payout.succeeded") == 1
    assert await ledger_kinds(db, payout_id) == [("hold", "debit"), ("debit", "debit")]
    assert (await money(api, auth))["balance"] == "9850.00"  # type: ignore[arg-type]
    assert (await audited(db))["provider.webhook.applied"] == 1
    code, text = await commands(service.environment, "ledger", "verify")
    assert code == 0, text


async def test_the_mock_provider_drives_a_payout_to_success_by_signed_webhooks(
    service_with_provider: Service, auth, db, process_settings, commands: InProcessCommands
):
    api = service_with_provider.api
    # When a payout is created over HTTP, and nothing else is done by hand
    created = await post_payout(api, auth, payout_body(amount="42.50"))  # type: ignore[arg-type]
    assert created.status == 201, await created.text()
    payout_id = (await created.json())["id"]
    # Then the provider accepts it and its signed webhooks make it a success, debited once
    await eventually(
        lambda: payout_of(api, auth, payout_id),  # type: ignore[arg-type]
        lambda p: p["status"] == "success",
        what="the payout to succeed",
    )
    await eventually(
        lambda: money(api, auth),  # type: ignore[arg-type]
        lambda m: m["held"] == "0.00",
        what="the hold to be settled",
    )
    assert (await money(api, auth))["balance"] == "9957.50"  # type: ignore[arg-type]
    inbox = await rows(db, "SELECT status, result FROM provider_webhook_events ORDER BY id")
    assert {(r["status"], r["result"]) for r in inbox} >= {("success", "applied")}
    assert await ledger_kinds(db, payout_id) == [("hold", "debit"), ("debit", "debit")]
    code, text = await commands(service_with_provider.environment, "ledger", "verify")
    assert code == 0, text
    # And every event was published and audited, the relay or no relay
    await eventually(lambda: settled(db, process_settings), what="the outbox and queues to drain")
    assert (await audited(db))["payout.provider_accepted"] == 1
