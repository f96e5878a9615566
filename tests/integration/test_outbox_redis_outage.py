"""Redis stopped while payouts are created: the API keeps answering 201, the outbox rows
accumulate with their failed attempts recorded, and once Redis is back the relay delivers every
event and the (reconnected) notify worker tells the client of each once. The stopped Redis is the
test's own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from payout_service.bootstrap import build_services
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from tests.installed_programs import installed
from tests.integration.helpers import payout_body, post_payout
from tests.integration.outgoing_webhook_support import add_endpoint, client_receiver
from tests.integration.processes import (
    effects,
    environment,
    eventually,
    outbox_counts,
    running_relay,
    running_worker,
)
from tests.private_redis import PrivateRedis

BEFORE, DURING = 3, 10


@pytest.fixture
async def private_redis(tmp_path: Path) -> AsyncIterator[PrivateRedis]:
    installed("redis-server")  # in CI a failure: PrivateRedis.start alone would skip
    server = PrivateRedis(tmp_path)
    await server.start()
    yield server
    await server.stop()


async def failed_attempts(db: SqlUnitOfWorkFactory) -> list[tuple[int, str]]:
    async with db() as tx:
        rows = await tx.session.rows(
            "SELECT attempts, last_error FROM outbox_messages WHERE status = 'pending'"
        )
    return [(int(r["attempts"]), str(r["last_error"] or "")) for r in rows]


async def test_api_keeps_accepting_while_redis_is_down_and_delivers_when_it_returns(
    outbox_settings: Settings,
    db: SqlUnitOfWorkFactory,
    private_redis: PrivateRedis,
    aiohttp_client: Any,
    aiohttp_server: Any,
    auth: dict[str, str],
    tmp_path: Path,
) -> None:
    # Given the API (with its fast path) and a notify worker, both on the test's own Redis, and
    # a client endpoint for the payouts' events
    from payout_service.web.app import create_app

    settings = replace(
        outbox_settings,
        redis_url=private_redis.url,
        outgoing_webhooks_allow_http_loopback="on",
    )
    receiver = await client_receiver(aiohttp_server)
    await add_endpoint(db, receiver.url, ("payout.created",))
    api: TestClient[Any, Any] = await aiohttp_client(create_app(build_services(settings)))
    env = environment(settings, tmp_path)

    async def create(n: int) -> int:
        response = await post_payout(
            api, auth, payout_body(amount="1.00", external_reference=f"ref-{n}"), key=f"k-{n}"
        )
        return response.status

    async with running_worker(env, ["notifications"]):
        assert [await create(n) for n in range(BEFORE)] == [201] * BEFORE
        await receiver.until(lambda r: len(r.delivered()) == BEFORE)

        # When Redis stops while more payouts are created
        await private_redis.stop()
        statuses = [await create(n) for n in range(BEFORE, BEFORE + DURING)]
        stranded = await eventually(
            lambda: failed_attempts(db),
            lambda rows: len(rows) == DURING and all(n >= 1 and err for n, err in rows),
            what="every fast-path publish failed and recorded",
        )

        # And Redis comes back, with the relay running
        await private_redis.start()
        async with running_relay(env):
            await eventually(
                lambda: outbox_counts(db),
                lambda c: c == {"published": BEFORE + DURING},
                timeout=60,
                what="every row published",
            )
            await receiver.until(lambda r: len(r.delivered()) >= BEFORE + DURING, timeout=60)

    # Then every request was accepted, the failures were on record, and the client was told of
    # each payout once
    assert statuses == [201] * DURING
    assert all("Connection" in error for _, error in stranded), stranded
    told = [event["data"]["external_reference"] for event in receiver.delivered()]
    assert sorted(told) == sorted(f"ref-{n}" for n in range(BEFORE + DURING))
    assert (await effects(db))["audit_logs"] == BEFORE + DURING
