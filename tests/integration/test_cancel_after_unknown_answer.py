"""Cancelling a payout whose send got an answer that does not say whether the provider took it:
the provider is asked by our reference first. It holds the payout: the cancel is refused (409)
and the payout adopts the provider's record, funds held. It never took it: the cancel goes
ahead. Real web app, Redis, worker and mock provider."""

from __future__ import annotations

from dataclasses import replace

import pytest
from aiohttp.test_utils import TestClient

from payout_service.domain import events
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from payout_service.provider_mock.provider import MockMode
from tests.integration.helpers import held_minor, problem
from tests.integration.processes import RunningProcess, eventually
from tests.integration.provider_support import (
    MockServer,
    attempts,
    create_payout,
    events_of,
    paid_at_the_provider,
    payout_row,
    send_key,
)
from tests.integration.webhook_support import ledger_kinds


@pytest.fixture
def provider_settings(provider_settings: Settings) -> Settings:
    """A retry half a minute after a failed attempt: the cancel comes in between."""
    return replace(
        provider_settings,
        provider_send_first_backoff_ms=30_000,
        provider_send_max_backoff_ms=30_000,
    )


async def first_attempt_over(db: SqlUnitOfWorkFactory, payout_id: str) -> dict:
    (attempt,) = await eventually(
        lambda: attempts(db, payout_id),
        lambda tried: len(tried) == 1 and tried[0]["result"] != "sending",
        what="the first attempt over",
    )
    return attempt


async def test_cancel_after_a_server_error_the_provider_committed_is_refused_and_adopts_it(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
) -> None:
    # Given a payout the provider took, and paid, answering 500; it waits for its retry
    mock.provider.script(MockMode.SERVER_ERROR_AFTER_COMMIT)
    created = await create_payout(provider_api, auth)
    attempt = await first_attempt_over(db, created["id"])
    assert (attempt["result"], attempt["http_status"]) == ("ambiguous", 500)
    await paid_at_the_provider(mock, created["id"])
    held = mock.provider.payout_for_key(send_key(created["id"]))
    assert held is not None
    # When the client cancels it
    refused = await problem(
        await provider_api.post(f"/api/payouts/{created['id']}/cancel", headers=auth), 409
    )
    # Then the cancel is refused: the provider holds the payout, which adopts its record
    assert refused["code"] == "payout_not_cancellable"
    assert f"the provider holds it as {held.provider_payout_id}" in refused["detail"]
    payout = await payout_row(db, created["id"])
    assert (payout["status"], payout["provider_payout_id"]) == ("success", held.provider_payout_id)
    # and nothing released the hold: no cancel, no failure, the funds end as the debit
    assert events.PAYOUT_CANCELLED not in await events_of(db, created["id"])
    assert events.PAYOUT_FAILED not in await events_of(db, created["id"])
    debited = await eventually(
        lambda: ledger_kinds(db, created["id"]),
        lambda kinds: len(kinds) > 1,
        what="the hold settled by the provider's outcome",
    )
    assert debited == [("hold", "debit"), ("debit", "debit")]


async def test_cancel_after_a_server_error_the_provider_never_took_cancels_and_releases(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
) -> None:
    # Given a payout whose first attempt got a 503 (unknown to us; the provider took nothing)
    mock.provider.script(MockMode.SERVER_ERROR)
    created = await create_payout(provider_api, auth)
    attempt = await first_attempt_over(db, created["id"])
    assert (attempt["result"], attempt["http_status"]) == ("ambiguous", 503)
    # When the client cancels it
    response = await provider_api.post(f"/api/payouts/{created['id']}/cancel", headers=auth)
    # Then the provider's lookup said it never took it, so the payout is cancelled
    assert response.status == 200, await response.text()
    assert (await response.json())["status"] == "cancelled"
    assert mock.provider.payouts == {}
    # and its hold is released
    await eventually(lambda: held_minor(db), lambda held: held == 0, what="the hold released")
    assert await ledger_kinds(db, created["id"]) == [("hold", "debit"), ("release", "credit")]
