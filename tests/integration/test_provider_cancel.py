"""Cancelling a payout: before it is sent it never reaches the provider (its queued message is
aborted), while it is being sent or may already be held by the provider it is refused, and a
cancel racing a send ends one way or the other, never both. Real web app, Redis, worker, mock."""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from payout_service.application.event_routes import PROVIDER_SEND
from payout_service.domain import events
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from payout_service.provider_mock.provider import MockMode
from tests.integration.helpers import add_user, held_minor, problem, rows
from tests.integration.processes import RunningProcess, eventually
from tests.integration.provider_support import (
    MockServer,
    attempts,
    create_payout,
    events_of,
    payout_row,
    provider_worker,
    queue_drained,
    send_key,
    settled,
)


async def cancel(api: TestClient, auth: dict[str, str], payout_id: str) -> Any:
    return await api.post(f"/api/payouts/{payout_id}/cancel", headers=auth)


async def hold_released(db: SqlUnitOfWorkFactory) -> None:
    await eventually(lambda: held_minor(db), lambda held: held == 0, what="the hold released")


async def test_cancel_before_the_send_aborts_it_and_the_provider_never_hears_of_it(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    provider_settings: Settings,
    relay: None,
    tmp_path: Path,
) -> None:
    # Given a payout whose provider-send message waits in Redis, no worker running yet
    created = await create_payout(provider_api, auth)
    # When it is cancelled
    response = await cancel(provider_api, auth, created["id"])
    body = await response.json()
    assert response.status == 200, body
    assert body["status"] == "cancelled" and body["completed_at"] is not None
    # and the workers start
    async with provider_worker(provider_settings, tmp_path):
        await eventually(lambda: queue_drained(provider_settings), what="provider-send drained")
        await hold_released(db)
    # Then the provider never heard of it: the aborted message never ran the send at all
    assert mock.provider.requests_for(send_key(created["id"])) == []
    (created_row,) = await rows(
        db,
        "SELECT message_id FROM outbox_messages WHERE aggregate_id = %s AND event_name = %s",
        created["id"],
        events.PAYOUT_CREATED,
    )
    assert (
        await rows(
            db,
            "SELECT 1 AS ran FROM processed_messages WHERE consumer = %s AND message_id = %s",
            PROVIDER_SEND.name,
            created_row["message_id"],
        )
        == []
    )
    assert await attempts(db, created["id"]) == []
    assert await events_of(db, created["id"]) == [events.PAYOUT_CREATED, events.PAYOUT_CANCELLED]


async def test_cancelling_again_returns_the_cancelled_payout(
    provider_api: TestClient, auth: dict[str, str], db: SqlUnitOfWorkFactory
) -> None:
    created = await create_payout(provider_api, auth)
    first = await (await cancel(provider_api, auth, created["id"])).json()
    again = await cancel(provider_api, auth, created["id"])
    assert again.status == 200
    assert await again.json() == first
    assert await events_of(db, created["id"]) == [events.PAYOUT_CREATED, events.PAYOUT_CANCELLED]


async def test_someone_elses_or_an_unknown_payout_is_not_found(
    provider_api: TestClient, auth: dict[str, str], db: SqlUnitOfWorkFactory
) -> None:
    created = await create_payout(provider_api, auth)
    stranger = await add_user(db, 777, "psk_stranger_key_for_cancel_tests")
    await problem(await cancel(provider_api, stranger, created["id"]), 404)
    await problem(await cancel(provider_api, auth, "no-such-payout"), 404)
    assert (await payout_row(db, created["id"]))["status"] == "pending"


async def test_cancel_while_the_provider_is_answering_is_refused_and_the_send_completes(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
) -> None:
    # Given a provider that takes 0.5 s to answer (well within the client's 1 s timeout)
    mock.provider.config = replace(mock.provider.config, stall=0.5)
    mock.provider.script(MockMode.TIMEOUT_AFTER_COMMIT)
    created = await create_payout(provider_api, auth)
    key = send_key(created["id"])
    await eventually(lambda: mock.provider.requests_for(key), what="the send in flight")
    # When the payout is cancelled while the provider is answering
    refused = await problem(await cancel(provider_api, auth, created["id"]), 409)
    # Then the cancel is refused, and the send completes
    assert refused["code"] == "payout_not_cancellable" and "being sent" in refused["detail"]
    payout = await settled(db, created["id"])
    assert payout["status"] == "processing" and payout["provider_payout_id"] is not None
    # and once the provider accepted it, cancelling is refused for good
    accepted = await problem(await cancel(provider_api, auth, created["id"]), 409)
    assert "accepted by the provider" in accepted["detail"]
    assert (await payout_row(db, created["id"]))["status"] == "processing"


async def test_cancel_after_an_unanswered_attempt_is_refused_and_adopts_the_providers_payout(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
    provider_settings: Settings,
) -> None:
    # Given a first attempt that timed out (the provider took the payout) and a second one
    # rate-limited, so the payout waits a second for its third attempt
    mock.provider.script(MockMode.TIMEOUT_AFTER_COMMIT, MockMode.RATE_LIMIT)
    created = await create_payout(provider_api, auth)
    await eventually(
        lambda: attempts(db, created["id"]),
        lambda tried: [a["result"] for a in tried] == ["no_answer", "temporary_error"],
        what="two attempts without acceptance",
    )
    # When the payout is cancelled meanwhile
    refused = await problem(await cancel(provider_api, auth, created["id"]), 409)
    # Then it is refused: the provider, asked by our reference, holds it, and the payout
    # adopts the provider's payout instead of releasing its funds
    held = mock.provider.payout_for_key(send_key(created["id"]))
    assert held is not None
    assert f"the provider holds it as {held.provider_payout_id}" in refused["detail"]
    payout = await payout_row(db, created["id"])
    assert payout["provider_payout_id"] == held.provider_payout_id
    assert payout["status"] in ("processing", "success")
    assert events.PAYOUT_CANCELLED not in await events_of(db, created["id"])
    # and the waiting retry finds it accepted and never calls the provider again
    await eventually(lambda: queue_drained(provider_settings), what="the retry consumed")
    assert len(mock.provider.requests_for(send_key(created["id"]))) == 2
    assert len(mock.provider.payouts) == 1


async def test_cancel_while_waiting_for_a_retry_cancels_and_the_retry_never_sends(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
    provider_settings: Settings,
) -> None:
    # Given a payout whose first attempt was rate-limited (retry in about a second)
    mock.provider.script(MockMode.RATE_LIMIT)
    created = await create_payout(provider_api, auth)
    await eventually(
        lambda: payout_row(db, created["id"]),
        lambda p: p["next_retry_at"] is not None,
        what="the retry scheduled",
    )
    # When it is cancelled
    response = await cancel(provider_api, auth, created["id"])
    assert response.status == 200 and (await response.json())["status"] == "cancelled"
    # Then the delayed retry is consumed without reaching the provider again
    await eventually(lambda: queue_drained(provider_settings), what="the retry consumed")
    assert len(mock.provider.requests_for(send_key(created["id"]))) == 1
    assert mock.provider.payouts == {}
    payout = await payout_row(db, created["id"])
    assert (payout["status"], payout["next_retry_at"]) == ("cancelled", None)
    await hold_released(db)


async def test_cancel_of_a_failed_payout_is_refused(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
) -> None:
    mock.provider.script(MockMode.PERMANENT_ERROR)
    created = await create_payout(provider_api, auth)
    await eventually(
        lambda: payout_row(db, created["id"]), lambda p: p["status"] == "failed", what="failed"
    )
    refused = await problem(await cancel(provider_api, auth, created["id"]), 409)
    assert "final" in refused["detail"]


async def test_cancel_racing_the_send_is_cancelled_and_unsent_or_refused_and_sent(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
) -> None:
    # Given a provider that answers in 0.2 s, and payouts cancelled at scattered moments
    mock.provider.config = replace(
        mock.provider.config, mode=MockMode.TIMEOUT_AFTER_COMMIT, stall=0.2
    )
    moments = random.Random(11)

    async def create_then_cancel(delay: float) -> tuple[str, int]:
        created = await create_payout(provider_api, auth, amount="1.00")
        await asyncio.sleep(delay)
        response = await cancel(provider_api, auth, created["id"])
        return created["id"], response.status

    outcomes = await asyncio.gather(
        *(create_then_cancel(moments.uniform(0, 0.6)) for _ in range(16))
    )
    # Then each payout is either cancelled and never sent, or refused and sent; never both
    for payout_id, status in outcomes:
        payout = await settled(db, payout_id)
        held = mock.provider.payout_for_key(send_key(payout_id))
        if status == 200:
            assert payout["status"] == "cancelled", payout
            assert mock.provider.requests_for(send_key(payout_id)) == [], payout_id
        else:
            assert status == 409, status
            assert held is not None and payout["provider_payout_id"] == held.provider_payout_id
            assert payout["status"] == "processing"
        assert not (payout["status"] == "cancelled" and held is not None)
