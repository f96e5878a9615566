"""Answers that do not say whether the provider took the payout (a timeout, a 500 after it
committed, a 2xx with a broken body, a 409 on a retry) never fail it, nor does a refusal or a
give-up that follows one: the payout is retried under the same key or adopts the record the
provider's lookup finds, and its funds stay held until the provider's outcome. Real web app,
Redis, worker and mock provider."""

from __future__ import annotations

from dataclasses import replace

from aiohttp.test_utils import TestClient

from payout_service.domain import events
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from payout_service.provider_mock.provider import MockMode
from tests.integration.helpers import held_minor
from tests.integration.processes import RunningProcess, eventually
from tests.integration.provider_support import (
    MockServer,
    attempts,
    create_payout,
    events_of,
    paid_at_the_provider,
    payout_row,
    reconcile_once,
    send_key,
    settled,
)
from tests.integration.webhook_support import ledger_kinds

HOLD = ("hold", "debit")
DEBIT = ("debit", "debit")


async def debited(db: SqlUnitOfWorkFactory, payout_id: str) -> list[tuple[str, str]]:
    """The payout's ledger lines once the books consumer has settled its hold."""
    return await eventually(
        lambda: ledger_kinds(db, payout_id), lambda kinds: len(kinds) > 1, what="the hold settled"
    )


async def test_a_refusal_after_a_timeout_adopts_the_providers_payout_and_keeps_the_hold(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
    provider_settings: Settings,
) -> None:
    # Given a provider that takes the payout but answers past the client's timeout, refuses
    # the retry under the same key with its documented 400, and pays the payout out later
    mock.provider.config = replace(mock.provider.config, step_delay=2.0)
    mock.provider.script(MockMode.TIMEOUT_AFTER_COMMIT)
    created = await create_payout(provider_api, auth)
    key = send_key(created["id"])
    await eventually(lambda: mock.provider.requests_for(key), what="the first attempt sent")
    mock.refusals.pending = 1
    # When the retry is refused
    payout = await settled(db, created["id"])
    # Then the payout is not failed: the provider's lookup found its payout, which it adopts
    held = mock.provider.payout_for_key(key)
    assert held is not None and len(mock.provider.payouts) == 1
    assert payout["status"] == "processing"
    assert payout["provider_payout_id"] == held.provider_payout_id
    assert [(a["result"], a["http_status"]) for a in await attempts(db, created["id"])] == [
        ("no_answer", None),
        ("permanent_error", 400),
    ]
    assert await held_minor(db) == 15000
    # and when the provider has paid it, reconciliation succeeds it: the hold becomes the debit
    await paid_at_the_provider(mock, created["id"])
    await reconcile_once(replace(provider_settings, reconcile_after_seconds=0), db)
    assert (await payout_row(db, created["id"]))["status"] == "success"
    assert await debited(db, created["id"]) == [HOLD, DEBIT]
    assert events.PAYOUT_FAILED not in await events_of(db, created["id"])


async def test_a_conflict_on_every_retry_after_a_timeout_adopts_the_providers_payout(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
) -> None:
    # Given a provider that takes the payout but answers past the client's timeout, then
    # answers each retry under the same key with 409, until the retries run out
    mock.provider.script(
        MockMode.TIMEOUT_AFTER_COMMIT, MockMode.CONFLICT_ON_RETRY, MockMode.CONFLICT_ON_RETRY
    )
    # When the payout is sent
    created = await create_payout(provider_api, auth)
    payout = await settled(db, created["id"])
    # Then it is not failed: the give-up asked the provider, and adopted what it paid
    held = mock.provider.payout_for_key(send_key(created["id"]))
    assert held is not None and len(mock.provider.payouts) == 1
    assert (payout["status"], payout["provider_payout_id"]) == ("success", held.provider_payout_id)
    assert [(a["result"], a["http_status"]) for a in await attempts(db, created["id"])] == [
        ("no_answer", None),
        ("ambiguous", 409),
        ("ambiguous", 409),
    ]
    # and the hold became the debit, never a release
    assert await debited(db, created["id"]) == [HOLD, DEBIT]
    assert events.PAYOUT_FAILED not in await events_of(db, created["id"])


async def test_a_success_with_a_broken_body_is_retried_and_the_hold_waits_for_the_outcome(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
    provider_settings: Settings,
) -> None:
    # Given a provider that takes the payout but answers 200 without its payout id, and pays
    # the payout out a few seconds later
    mock.provider.config = replace(mock.provider.config, step_delay=2.0)
    mock.provider.script(MockMode.MALFORMED_SUCCESS)
    # When the payout is sent
    created = await create_payout(provider_api, auth)
    payout = await settled(db, created["id"])
    # Then it is not failed: the retry, under the same key, learned the provider's payout
    held = mock.provider.payout_for_key(send_key(created["id"]))
    assert held is not None and len(mock.provider.payouts) == 1
    assert payout["status"] == "processing"
    assert payout["provider_payout_id"] == held.provider_payout_id
    tried = await attempts(db, created["id"])
    assert [(a["result"], a["http_status"], a["error_type"]) for a in tried] == [
        ("ambiguous", 200, "malformed_response"),
        ("accepted", 202, None),
    ]
    # and the funds stay held until the provider's outcome, which makes them the debit
    assert await held_minor(db) == 15000
    await paid_at_the_provider(mock, created["id"])
    await reconcile_once(replace(provider_settings, reconcile_after_seconds=0), db)
    assert await debited(db, created["id"]) == [HOLD, DEBIT]
    assert events.PAYOUT_FAILED not in await events_of(db, created["id"])


async def test_giving_up_after_server_errors_the_provider_committed_adopts_its_payout(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
) -> None:
    # Given a provider that takes the payout and answers every attempt with a 500
    mock.provider.script(*[MockMode.SERVER_ERROR_AFTER_COMMIT] * 3)
    # When the payout's retries run out
    created = await create_payout(provider_api, auth)
    payout = await settled(db, created["id"])
    # Then it is not failed: the give-up's lookup found the provider's payout and adopted it
    held = mock.provider.payout_for_key(send_key(created["id"]))
    assert held is not None and len(mock.provider.payouts) == 1
    assert (payout["status"], payout["provider_payout_id"]) == ("success", held.provider_payout_id)
    assert [(a["result"], a["http_status"]) for a in await attempts(db, created["id"])] == [
        ("ambiguous", 500)
    ] * 3
    assert not payout["needs_review"]
    assert await debited(db, created["id"]) == [HOLD, DEBIT]
    assert events.PAYOUT_FAILED not in await events_of(db, created["id"])
