"""Sending payouts to the provider, end to end: the API creates a payout, its payout.created
reaches the real `dramatiq` worker through Redis, the provider-send actor calls the mock provider
on 127.0.0.1, and the outcome lands in MariaDB/SQLite. Each mock mode, with retries shortened
(3 attempts, 200 ms doubling) through the settings."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import datetime
from typing import Any

import dramatiq
from aiohttp.test_utils import TestClient

from payout_service.application.event_routes import PROVIDER_SEND
from payout_service.domain import events
from payout_service.infrastructure.broker import build_broker
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.outbox.publisher import dramatiq_message_id
from payout_service.infrastructure.settings import Settings
from payout_service.provider_mock.provider import MockMode
from tests.integration.helpers import held_minor, rows
from tests.integration.processes import RunningProcess, eventually
from tests.integration.provider_support import (
    MockServer,
    attempts,
    create_payout,
    events_of,
    payout_row,
    queue_drained,
    send_key,
    settled,
)
from tests.integration.webhook_support import ledger_kinds


async def hold_released(db: SqlUnitOfWorkFactory) -> int:
    return await eventually(lambda: held_minor(db), lambda held: held == 0, what="the hold gone")


async def test_success_stores_the_provider_payout_and_its_acceptance(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
) -> None:
    # When a payout is created while the provider accepts everything
    created = await create_payout(provider_api, auth)
    payout = await settled(db, created["id"])
    # Then it is processing under the provider's id, accepted once, at the first attempt
    held = mock.provider.payout_for_key(send_key(created["id"]))
    assert held is not None
    assert (payout["status"], payout["provider_payout_id"]) == (
        "processing",
        held.provider_payout_id,
    )
    assert payout["provider_status"] == "accepted"
    assert [
        (a["attempt"], a["result"], a["http_status"]) for a in await attempts(db, created["id"])
    ] == [(1, "accepted", 202)]
    assert await events_of(db, created["id"]) == [events.PAYOUT_CREATED, events.PAYOUT_PROCESSING]
    # and its acceptance, which no consumer acts on, is in the audit log, written with it
    accepted = await rows(
        db,
        "SELECT payload FROM audit_logs WHERE aggregate_id = %s AND event_name = %s",
        created["id"],
        events.PAYOUT_PROVIDER_ACCEPTED,
    )
    assert [json.loads(r["payload"])["provider_payout_id"] for r in accepted] == [
        payout["provider_payout_id"]
    ]
    # and the provider keeps our payout id as its reference, the client's as metadata
    assert held.request["reference"] == created["id"] and held.request["amount"] == "150.00"
    assert held.request["metadata"] == {"external_reference": created["external_reference"]}
    # and the API shows it
    shown = await (await provider_api.get(f"/api/payouts/{created['id']}", headers=auth)).json()
    assert shown["provider_payout_id"] == held.provider_payout_id


async def test_rate_limit_then_success_waits_out_the_providers_retry_after(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
) -> None:
    # Given a provider that answers the next request with 429 and Retry-After: 1
    mock.provider.script(MockMode.RATE_LIMIT)
    # When a payout is created
    created = await create_payout(provider_api, auth)
    # Then while it waits, the payout shows the error and when it will be tried again
    waiting = await eventually(
        lambda: payout_row(db, created["id"]),
        lambda p: p["next_retry_at"] is not None or p["provider_payout_id"] is not None,
        what="the first attempt's failure recorded",
    )
    assert waiting["send_attempts"] == 1 and "429" in waiting["last_error"]
    # and the second attempt, no sooner than the provider asked, is accepted
    payout = await settled(db, created["id"])
    first, second = await attempts(db, created["id"])
    assert (first["result"], first["http_status"], first["error_type"]) == (
        "temporary_error",
        429,
        "rate_limited",
    )
    assert second["result"] == "accepted"
    assert _seconds_between(first["finished_at"], second["started_at"]) >= 1.0
    assert payout["status"] == "processing" and payout["next_retry_at"] is None
    assert payout["provider_payout_id"] == second["provider_payout_id"]


async def test_server_errors_until_the_retries_run_out_fail_the_payout_the_provider_never_took(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
) -> None:
    # Given a provider that keeps failing with 503 (an answer that cannot say whether it took
    # the payout) and in fact never takes it
    mock.provider.script(*[MockMode.SERVER_ERROR] * 3)
    # When a payout is created
    created = await create_payout(provider_api, auth)
    assert await held_minor(db) == 15000
    # Then after its three attempts the provider is asked, and as it never took the payout,
    # the payout is failed
    payout = await eventually(
        lambda: payout_row(db, created["id"]),
        lambda p: p["status"] == "failed",
        what="the payout failed",
    )
    assert payout["provider_payout_id"] is None and payout["next_retry_at"] is None
    assert payout["last_error"] == (
        "gave up after 3 attempts, and the provider has no record of it"
    )
    assert not payout["needs_review"]
    tried = await attempts(db, created["id"])
    assert [(a["result"], a["http_status"]) for a in tried] == [("ambiguous", 503)] * 3
    assert _seconds_between(tried[0]["finished_at"], tried[1]["started_at"]) >= 0.1
    assert events.PAYOUT_FAILED in await events_of(db, created["id"])
    # and the books consumer released the hold
    assert await hold_released(db) == 0
    assert len(mock.provider.requests_for(send_key(created["id"]))) == 3


async def test_timeout_then_success_makes_exactly_one_provider_payout(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
) -> None:
    # Given a provider that takes the next payout but answers past the client's 1 s timeout
    mock.provider.script(MockMode.TIMEOUT_AFTER_COMMIT)
    # When a payout is created
    created = await create_payout(provider_api, auth)
    payout = await settled(db, created["id"])
    # Then the retry, under the same key, learned the payout the provider already had
    key = send_key(created["id"])
    held = mock.provider.payout_for_key(key)
    assert held is not None
    assert len(mock.provider.payouts) == 1
    assert len(mock.provider.requests_for(key)) == 2
    assert payout["provider_payout_id"] == held.provider_payout_id
    first, second = await attempts(db, created["id"])
    assert (first["result"], first["error_type"], first["http_status"]) == (
        "no_answer",
        "timeout",
        None,
    )
    assert (second["result"], second["provider_payout_id"]) == ("accepted", held.provider_payout_id)


async def test_permanent_error_fails_the_payout_at_once_without_retry(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
    provider_settings: Settings,
) -> None:
    # Given a provider that refuses the next payout
    mock.provider.script(MockMode.PERMANENT_ERROR)
    # When a payout is created
    created = await create_payout(provider_api, auth)
    payout = await eventually(
        lambda: payout_row(db, created["id"]),
        lambda p: p["status"] == "failed",
        what="the payout failed",
    )
    # Then it failed on the one refusal, with the provider's reason
    assert "the provider refused the payout" in payout["last_error"]
    assert [(a["result"], a["http_status"]) for a in await attempts(db, created["id"])] == [
        ("permanent_error", 400)
    ]
    assert await hold_released(db) == 0
    # and the message was not retried: Dramatiq holds it as failed, not delayed
    await eventually(lambda: queue_drained(provider_settings), what="provider-send drained")
    assert len(mock.provider.requests_for(send_key(created["id"]))) == 1


async def test_a_message_delivered_again_after_success_changes_nothing(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
    provider_settings: Settings,
) -> None:
    # Given a payout sent and accepted
    created = await create_payout(provider_api, auth)
    before = await settled(db, created["id"])
    (message,) = await rows(
        db,
        "SELECT message_id, payload, created_at FROM outbox_messages"
        " WHERE aggregate_id = %s AND event_name = %s",
        created["id"],
        events.PAYOUT_CREATED,
    )
    outbox_before = await events_of(db, created["id"])
    # When the broker delivers its provider-send message again (same Dramatiq id and body)
    broker = build_broker(provider_settings)
    envelope = {
        "message_id": message["message_id"],
        "event": events.PAYOUT_CREATED,
        "aggregate_type": "payout",
        "aggregate_id": created["id"],
        "payload": json.loads(message["payload"]),
        "headers": {},
        "occurred_at": datetime.now().isoformat(),
    }
    broker.enqueue(
        dramatiq.Message(
            queue_name=PROVIDER_SEND.queue,
            actor_name=PROVIDER_SEND.name,
            args=(),
            kwargs={"envelope": envelope},
            options={},
            message_id=dramatiq_message_id(message["message_id"], PROVIDER_SEND),
        )
    )
    await eventually(lambda: queue_drained(provider_settings), what="the redelivery consumed")
    await worker.output.wait_for("skipped")
    # Then nothing changed: no new request to the provider, no new attempt, no new event
    assert len(mock.provider.requests_for(send_key(created["id"]))) == 1
    assert len(await attempts(db, created["id"])) == 1
    assert await events_of(db, created["id"]) == outbox_before
    assert await payout_row(db, created["id"]) == before
    broker.close()


def _seconds_between(earlier: datetime | str, later: datetime | str) -> float:
    def moment(value: datetime | str) -> datetime:
        return datetime.fromisoformat(value) if isinstance(value, str) else value

    return (moment(later) - moment(earlier)).total_seconds()


async def test_retries_running_out_after_an_unanswered_attempt_adopt_the_providers_payout(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
) -> None:
    # Given a provider that takes the payout without answering in time, then fails twice
    # with 503, and pays the payout out meanwhile
    mock.provider.script(
        MockMode.TIMEOUT_AFTER_COMMIT, MockMode.SERVER_ERROR, MockMode.SERVER_ERROR
    )
    # When the payout's retries run out
    created = await create_payout(provider_api, auth)
    payout = await settled(db, created["id"])
    # Then it is not failed: the provider's record, found by our reference, is adopted
    held = mock.provider.payout_for_key(send_key(created["id"]))
    assert held is not None
    assert (payout["status"], payout["provider_payout_id"]) == ("success", held.provider_payout_id)
    assert not payout["needs_review"]
    assert [a["result"] for a in await attempts(db, created["id"])] == [
        "no_answer",
        "ambiguous",
        "ambiguous",
    ]
    assert events.PAYOUT_FAILED not in await events_of(db, created["id"])
    # and the hold became the debit of the provider's payment, never a release
    assert await hold_released(db) == 0
    assert await ledger_kinds(db, created["id"]) == [("hold", "debit"), ("debit", "debit")]


async def test_random_mode_never_fails_a_payout_the_provider_holds_nor_pays_one_twice(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
) -> None:
    # Given a provider answering at random: mostly accepting, sometimes 429, 503, too late,
    # 500 or a broken body after taking the payout, 409 on a retry, 400
    mock.provider.config = replace(mock.provider.config, mode=MockMode.RANDOM)
    mock.provider.rng = random.Random(3)
    # When a dozen payouts are sent
    created = [await create_payout(provider_api, auth, amount="1.00") for _ in range(12)]

    def done(p: dict[str, Any]) -> bool:
        return p["provider_payout_id"] is not None or p["status"] == "failed" or p["needs_review"]

    finished = [
        await eventually(lambda i=c["id"]: payout_row(db, i), done, what="the send over")
        for c in created
    ]
    # Then each is accepted (or adopted) under the provider's one payout for it, or failed
    # while the provider holds nothing, or left held for an operator when the provider may hold
    # it and did not say
    for payout in finished:
        key = send_key(payout["id"])
        held = mock.provider.payout_for_key(key)
        results = [a["result"] for a in await attempts(db, payout["id"])]
        if payout["provider_payout_id"] is not None:
            assert held is not None and held.provider_payout_id == payout["provider_payout_id"]
        elif payout["status"] == "failed":
            assert held is None, (payout, results)
        else:
            assert {"no_answer", "ambiguous"} & set(results), (payout, results)
        assert sum(p.idempotency_key == key for p in mock.provider.payouts.values()) <= 1
        assert sum(p.reference == payout["id"] for p in mock.provider.payouts.values()) <= 1
