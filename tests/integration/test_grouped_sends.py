"""Sends reaching a step together share its transaction (SendPayout's groups), on the real
database, with the mock provider over HTTP on 127.0.0.1: the attempts opened together are one
transaction, the answers recorded together another, each payout's events carry its own message's
request id; a group holding a redelivery and a cancelled payout gives each send what it would
have got alone."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from payout_service.application.messages import Envelope
from payout_service.application.ports import (
    PayoutInstruction,
    ProviderAcceptance,
    ProviderPayoutState,
)
from payout_service.application.send_payout import SendOutcome, SendPayout
from payout_service.bootstrap import send_retry_policy
from payout_service.domain import events
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.provider.http_client import AiohttpProviderClient
from payout_service.infrastructure.settings import Settings
from tests.integration.helpers import rows
from tests.integration.provider_support import MockServer, attempts, create_payout, send_key


class AnswersTogether:
    """The real client of the mock provider, each answer held until `count` have come: the sends
    then record their answers in one turn of the loop, as a busy worker's do."""

    def __init__(self, client: AiohttpProviderClient, count: int) -> None:
        self._client = client
        self._count = count
        self._all_answered = asyncio.Event()

    async def send_payout(self, instruction: PayoutInstruction) -> ProviderAcceptance:
        acceptance = await self._client.send_payout(instruction)
        self._count -= 1
        if self._count == 0:
            self._all_answered.set()
        await self._all_answered.wait()
        return acceptance

    async def get_payout(self, provider_payout_id: str) -> ProviderPayoutState:
        return await self._client.get_payout(provider_payout_id)

    async def find_payout(self, reference: str) -> ProviderPayoutState | None:
        return await self._client.find_payout(reference)


def client_of(mock: MockServer) -> AiohttpProviderClient:
    return AiohttpProviderClient(mock.url, aiohttp.ClientTimeout(total=10))


def sender(db: SqlUnitOfWorkFactory, settings: Settings, provider: Any) -> SendPayout:
    return SendPayout(db, SystemClock(), provider, send_retry_policy(settings))


async def created_message(db: SqlUnitOfWorkFactory, payout_id: str) -> Envelope:
    """The payout's payout.created message as the provider-send consumer receives it."""
    (audited,) = await rows(
        db,
        "SELECT message_id, request_id, occurred_at FROM audit_logs"
        " WHERE aggregate_id = %s AND event_name = %s",
        payout_id,
        events.PAYOUT_CREATED,
    )
    async with db() as tx:
        occurred_at = tx.session.dialect.from_db(audited["occurred_at"])
    assert occurred_at is not None and audited["request_id"]
    return Envelope(
        message_id=audited["message_id"],
        event=events.PAYOUT_CREATED,
        aggregate_type="payout",
        aggregate_id=payout_id,
        payload={"payout_id": payout_id},
        headers={"request_id": audited["request_id"]},
        occurred_at=occurred_at,
    )


async def handled(db: SqlUnitOfWorkFactory) -> set[str]:
    """The message ids remembered as handled."""
    return {r["message_id"] for r in await rows(db, "SELECT message_id FROM processed_messages")}


async def test_sends_reaching_a_step_together_share_its_transaction(
    provider_api: TestClient,
    provider_settings: Settings,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
) -> None:
    # Given four pending payouts, each created by its own request
    created = [await create_payout(provider_api, auth) for _ in range(4)]
    envelopes = [await created_message(db, p["id"]) for p in created]
    assert len({e.headers["request_id"] for e in envelopes}) == 4
    provider = client_of(mock)
    try:
        send = sender(db, provider_settings, AnswersTogether(provider, 4))
        # When one worker sends them at once
        outcomes = await asyncio.gather(*(send(e, retries=0) for e in envelopes))
    finally:
        await provider.close()
    # Then each is accepted, under the provider's payout for its own key, at one attempt
    assert outcomes == [SendOutcome.ACCEPTED] * 4
    tried = []
    for payout in created:
        (row,) = await rows(db, "SELECT * FROM payouts WHERE id = %s", payout["id"])
        held = mock.provider.payout_for_key(send_key(payout["id"]))
        assert held is not None and held.request["reference"] == payout["id"]
        assert (row["status"], row["provider_payout_id"]) == ("processing", held.provider_payout_id)
        (attempt,) = await attempts(db, payout["id"])
        assert (attempt["result"], attempt["provider_payout_id"]) == (
            "accepted",
            held.provider_payout_id,
        )
        tried.append(attempt)
    # And the attempts were opened in one transaction and closed in another: each at its one
    # moment
    assert len({a["started_at"] for a in tried}) == 1
    assert len({a["finished_at"] for a in tried}) == 1
    # And each payout's acceptance carries its own message's request id
    for envelope in envelopes:
        (accepted,) = await rows(
            db,
            "SELECT request_id FROM audit_logs WHERE aggregate_id = %s AND event_name = %s",
            envelope.aggregate_id,
            events.PAYOUT_PROVIDER_ACCEPTED,
        )
        assert accepted["request_id"] == envelope.headers["request_id"]
    # And every message is remembered as handled
    assert {e.message_id for e in envelopes} <= await handled(db)


async def test_a_group_with_a_redelivery_and_a_cancelled_payout_gives_each_its_own_answer(
    provider_api: TestClient,
    provider_settings: Settings,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
) -> None:
    # Given a payout already sent, a cancelled one, and two pending
    sent, cancelled, *pending = [await create_payout(provider_api, auth) for _ in range(4)]
    envelopes = [await created_message(db, p["id"]) for p in (sent, cancelled, *pending)]
    provider = client_of(mock)
    try:
        assert await sender(db, provider_settings, provider)(envelopes[0], 0) is (
            SendOutcome.ACCEPTED
        )
        response = await provider_api.post(f"/api/payouts/{cancelled['id']}/cancel", headers=auth)
        assert response.status == 200, await response.text()
        send = sender(db, provider_settings, AnswersTogether(provider, 2))
        # When the four messages reach one worker at once, the first delivered again
        outcomes = await asyncio.gather(*(send(e, retries=0) for e in envelopes))
    finally:
        await provider.close()
    # Then the redelivery and the cancelled payout are skipped, the two others accepted
    assert outcomes == [
        SendOutcome.SKIPPED,
        SendOutcome.SKIPPED,
        SendOutcome.ACCEPTED,
        SendOutcome.ACCEPTED,
    ]
    # And the provider was asked once for the first, never for the cancelled one
    assert [a["result"] for a in await attempts(db, sent["id"])] == ["accepted"]
    assert await attempts(db, cancelled["id"]) == []
    assert mock.provider.payout_for_key(send_key(cancelled["id"])) is None
    (row,) = await rows(db, "SELECT status FROM payouts WHERE id = %s", cancelled["id"])
    assert row["status"] == "cancelled"
    for payout in pending:
        assert [a["result"] for a in await attempts(db, payout["id"])] == ["accepted"]
    # And every message is remembered as handled
    assert {e.message_id for e in envelopes} <= await handled(db)
