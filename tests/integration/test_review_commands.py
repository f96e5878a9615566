"""`payout-service payouts review|resolve` against the real database and the mock provider: the
queue shows why each payout waits; resolving asks the provider and applies its answer; an
operator forces an outcome only when the provider never took the payout, or when they say they
checked with the provider, and the decision is written down with their reason. The review runs
as a `payout-service` process; the resolutions run in this process (commands_in_process), as
cli.py runs them."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from aiohttp.test_utils import TestClient

from payout_service.domain import events
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from tests.integration.commands_in_process import InProcessCommands
from tests.integration.helpers import rows
from tests.integration.provider_support import (
    MockServer,
    create_payout,
    events_of,
    operator_command,
    paid_at_the_provider,
    payout_row,
    sent_without_answer,
    taken_by_provider,
)
from tests.processes import service_environment

REASON = "gave up after 3 attempts; check with the provider before acting"


@pytest.fixture
def env(settings: Settings, mock: MockServer) -> dict[str, str]:
    return service_environment(DATABASE_URL=settings.database_url, PROVIDER_BASE_URL=mock.url)


async def resolved_events(db: SqlUnitOfWorkFactory, payout_id: str) -> list[dict]:
    found = await rows(
        db,
        "SELECT payload FROM audit_logs WHERE aggregate_id = %s AND event_name = %s",
        payout_id,
        events.PAYOUT_REVIEW_RESOLVED,
    )
    return [json.loads(r["payload"]) for r in found]


async def test_review_lists_a_flagged_payout_with_its_reason(
    webhook_api: TestClient, auth: dict[str, str], db: SqlUnitOfWorkFactory, env: dict[str, str]
) -> None:
    # Given a payout left for an operator after an unanswered attempt, and one that is not
    flagged = await create_payout(webhook_api, auth)
    await sent_without_answer(db, flagged["id"], REASON)
    calm = await create_payout(webhook_api, auth)
    # When the operator lists the review queue
    code, printed = await operator_command(env, "payouts", "review")
    # Then the flagged payout is listed with why it waits and the provider's last answer
    assert code == 0, printed
    (line,) = [line for line in printed.splitlines() if line.startswith(flagged["id"])]
    assert "processing 150.00 USD" in line and REASON in line
    assert "last attempt no_answer" in line
    assert calm["id"] not in printed
    assert "payouts needing review: 1" in printed


async def test_resolve_asks_the_provider_and_applies_its_outcome(
    webhook_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    env: dict[str, str],
    commands: InProcessCommands,
) -> None:
    # Given a flagged payout the provider took (its answer lost) and has paid
    created = await create_payout(webhook_api, auth)
    provider_payout_id = await taken_by_provider(mock, created)
    await sent_without_answer(db, created["id"], REASON)
    await paid_at_the_provider(mock, created["id"])
    # When the operator resolves it
    code, printed = await commands(env, "payouts", "resolve", created["id"])
    # Then the provider's record is adopted: the payout succeeded, and its review is over
    assert code == 0, printed
    assert f"the provider holds it as {provider_payout_id}, success" in printed
    assert f"payout {created['id']}: success" in printed
    payout = await payout_row(db, created["id"])
    assert (payout["status"], payout["provider_payout_id"]) == ("success", provider_payout_id)
    assert not payout["needs_review"]


async def test_forcing_failed_is_refused_while_the_provider_holds_the_payout_unless_checked(
    webhook_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    env: dict[str, str],
    commands: InProcessCommands,
) -> None:
    # Given a flagged payout the provider took and keeps processing
    mock.provider.config = replace(mock.provider.config, step_delay=60.0)
    created = await create_payout(webhook_api, auth)
    await taken_by_provider(mock, created)
    await sent_without_answer(db, created["id"], REASON)
    force = ("payouts", "resolve", created["id"], "--outcome", "failed", "--reason", "ticket 9")
    # When the operator forces it failed
    code, printed = await commands(env, *force)
    # Then it is refused: the provider holds it, and nothing changed
    assert code == 1, printed
    assert "not resolved" in printed and "the provider holds it as" in printed
    payout = await payout_row(db, created["id"])
    assert (payout["status"], payout["needs_review"]) == ("processing", True)
    assert await resolved_events(db, created["id"]) == []
    # When the operator says they checked with the provider
    code, printed = await commands(env, *force, "--i-checked-with-the-provider")
    # Then the outcome is forced, with the operator's reason written down
    assert code == 0, printed
    payout = await payout_row(db, created["id"])
    assert (payout["status"], payout["needs_review"]) == ("failed", False)
    (resolved,) = await resolved_events(db, created["id"])
    assert (resolved["outcome"], resolved["reason"]) == ("failed", "ticket 9")


async def test_forcing_failed_after_the_provider_answered_never_taken_writes_the_reason_down(
    webhook_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    env: dict[str, str],
    commands: InProcessCommands,
) -> None:
    # Given a flagged payout the provider never took
    created = await create_payout(webhook_api, auth)
    await sent_without_answer(db, created["id"], REASON)
    # When the operator forces it failed, with a reason
    code, printed = await commands(
        env,
        "payouts",
        "resolve",
        created["id"],
        "--outcome",
        "failed",
        "--reason",
        "provider support ticket 123",
        "--operator",
        "alice",
    )
    # Then the provider's 404 allowed it: the payout failed, its review over
    assert code == 0, printed
    assert "the provider has no record of it" in printed
    assert f"payout {created['id']}: failed" in printed
    payout = await payout_row(db, created["id"])
    assert (payout["status"], payout["needs_review"]) == ("failed", False)
    # and a payout.review_resolved audit row, written with the failure, names the operator's
    # reason; the failure is published (the books release the hold, the client is told)
    (resolved,) = await resolved_events(db, created["id"])
    assert (resolved["outcome"], resolved["reason"], resolved["operator"]) == (
        "failed",
        "provider support ticket 123",
        "alice",
    )
    written = await events_of(db, created["id"])
    assert written[-1] == events.PAYOUT_FAILED
    assert events.PAYOUT_REVIEW_RESOLVED not in written
