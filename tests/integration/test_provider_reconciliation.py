"""Reconciliation: a payout the provider finished without its webhook reaching the service is
asked about and finished the way the webhook would have finished it, and one left for an
operator because its send got no answer is looked up by our reference. The mock provider here
sends no webhooks at all; `payout-service reconcile --repeat` runs as a real process, one pass
(`reconcile`) in this process, as cli.py runs it (commands_in_process)."""

from __future__ import annotations

import signal
from dataclasses import replace
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestClient

from payout_service.domain import events
from payout_service.infrastructure.db.seed import DEMO_USER_ID
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from tests.integration.commands_in_process import InProcessCommands
from tests.integration.helpers import held_minor, rows
from tests.integration.processes import RunningProcess, eventually
from tests.integration.provider_support import (
    MockServer,
    create_payout,
    events_of,
    paid_at_the_provider,
    payout_row,
    reconcile_once,
    sent_without_answer,
    settled,
    taken_by_provider,
    worker_environment,
)
from tests.processes import Output, free_port, start_command

USD_OPENING_MINOR = 1_000_000


async def accepted_and_finished_at_the_provider(
    api: TestClient, auth: dict[str, str], db: SqlUnitOfWorkFactory, mock: MockServer, outcome: str
) -> dict[str, str]:
    """A payout the provider accepted and then finished with `outcome`, unknown to the service."""
    created = await create_payout(api, auth)
    payout = await settled(db, created["id"])
    held = mock.provider.payouts[payout["provider_payout_id"]]
    await eventually(lambda: held.status, lambda s: s == outcome, what=f"the provider's {outcome}")
    assert (await payout_row(db, created["id"]))["status"] == "processing"
    return payout


async def usd_balance(db: SqlUnitOfWorkFactory) -> tuple[int, int]:
    (row,) = await rows(
        db,
        "SELECT balance_minor, held_minor FROM user_accounts WHERE user_id = %s AND currency = %s",
        DEMO_USER_ID,
        "USD",
    )
    return int(row["balance_minor"]), int(row["held_minor"])


async def test_reconcile_applies_a_success_the_webhook_never_delivered(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
    provider_settings: Settings,
    tmp_path: Path,
    commands: InProcessCommands,
) -> None:
    # Given a payout the provider paid out, whose webhook never came
    payout = await accepted_and_finished_at_the_provider(provider_api, auth, db, mock, "success")
    # When the operator runs a reconciliation pass
    env = worker_environment(provider_settings, tmp_path)
    printed = await commands.ok(dict(env, RECONCILE_AFTER_SECONDS="0"), "reconcile")
    # Then the payout is succeeded, as the webhook would have made it
    assert "payouts checked: 1" in printed and "applied: 1" in printed
    after = await payout_row(db, payout["id"])
    assert (after["status"], after["provider_status"]) == ("success", "success")
    assert after["completed_at"] is not None
    assert events.PAYOUT_SUCCEEDED in await events_of(db, payout["id"])
    # and the books consumer debited the balance by exactly the amount
    await eventually(
        lambda: usd_balance(db),
        lambda money: money == (USD_OPENING_MINOR - 15000, 0),
        what="the balance debited and the hold gone",
    )
    # and a second pass finds nothing left to ask
    again = await commands.ok(dict(env, RECONCILE_AFTER_SECONDS="0"), "reconcile")
    assert "payouts checked: 0" in again


async def test_reconcile_applies_a_failure_and_the_hold_is_released(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
    provider_settings: Settings,
) -> None:
    mock.provider.config = replace(mock.provider.config, success_percent=0)
    payout = await accepted_and_finished_at_the_provider(provider_api, auth, db, mock, "failed")
    report = await reconcile_once(replace(provider_settings, reconcile_after_seconds=0), db)
    assert (report.checked, dict(report.outcomes)) == (1, {"applied": 1})
    after = await payout_row(db, payout["id"])
    assert after["status"] == "failed" and "provider reported" in after["last_error"]
    assert events.PAYOUT_FAILED in await events_of(db, payout["id"])
    await eventually(lambda: held_minor(db), lambda held: held == 0, what="the hold released")


async def test_a_payout_that_changed_recently_is_not_asked_about(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
    provider_settings: Settings,
) -> None:
    payout = await accepted_and_finished_at_the_provider(provider_api, auth, db, mock, "success")
    quiet_hour = replace(provider_settings, reconcile_after_seconds=3600)
    report = await reconcile_once(quiet_hour, db)
    assert report.checked == 0
    assert (await payout_row(db, payout["id"]))["status"] == "processing"


async def test_a_provider_still_processing_is_recorded_and_asked_again_later(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
    provider_settings: Settings,
) -> None:
    # Given a provider that keeps the payout processing for a minute
    mock.provider.config = replace(mock.provider.config, step_delay=60.0)
    created = await create_payout(provider_api, auth)
    accepted = await settled(db, created["id"])
    # When reconciliation asks about it
    report = await reconcile_once(replace(provider_settings, reconcile_after_seconds=0), db)
    # Then the provider's answer is recorded, and the payout's quiet period starts again
    assert (report.checked, dict(report.outcomes)) == (1, {"applied": 1})
    after = await payout_row(db, created["id"])
    assert after["status"] == "processing" and after["provider_status"] == "processing"
    assert str(after["updated_at"]) > str(accepted["updated_at"])


async def test_the_reconciler_process_runs_a_pass_every_interval_until_sigterm(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
    provider_settings: Settings,
    tmp_path: Path,
) -> None:
    # Given the reconciler process type running with a one-second interval, its metrics on a
    # port of its own
    env = worker_environment(provider_settings, tmp_path)
    port = free_port()
    env.update(RECONCILE_AFTER_SECONDS="0", RECONCILE_INTERVAL_SECONDS="1", PORT=str(port))
    process = await start_command("reconcile", "--repeat", env=env)
    output = Output(process)
    try:
        await output.wait_for("payouts checked: 0")
        # When a payout finishes at the provider (which sends no webhooks)
        created = await create_payout(provider_api, auth)
        # Then a later pass finishes it here too
        await eventually(
            lambda: payout_row(db, created["id"]),
            lambda p: p["status"] == "success",
            what="the payout succeeded by reconciliation",
        )
        # And the pass that ended it settled its hold and counted the success where it did so
        assert await held_minor(db) == 0
        async with aiohttp.ClientSession() as session:
            response = await session.get(f"http://127.0.0.1:{port}/metrics")
            text = await response.text()
        assert "\npayouts_succeeded_total 1.0\n" in text, text
    finally:
        process.send_signal(signal.SIGTERM)
        code = await process.wait()
        await output.closed()
    assert code == 0, output.text()


async def test_reconcile_adopts_the_providers_record_of_a_payout_left_for_an_operator(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    provider_settings: Settings,
) -> None:
    # Given a payout left for an operator after its attempt got no answer, which the provider
    # took and paid
    created = await create_payout(provider_api, auth)
    provider_payout_id = await taken_by_provider(mock, created)
    await sent_without_answer(db, created["id"], "gave up; the provider did not answer")
    await paid_at_the_provider(mock, created["id"])
    # When reconciliation runs a pass
    report = await reconcile_once(provider_settings, db)
    # Then the provider's record, found by our reference, is adopted and ends the review
    assert (report.checked, dict(report.outcomes)) == (1, {"applied": 1})
    after = await payout_row(db, created["id"])
    assert (after["status"], after["provider_payout_id"]) == ("success", provider_payout_id)
    assert not after["needs_review"]


async def test_reconcile_fails_a_payout_left_for_an_operator_that_the_provider_never_took(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    provider_settings: Settings,
) -> None:
    # Given a payout left for an operator after its attempt got no answer, never taken
    created = await create_payout(provider_api, auth)
    await sent_without_answer(db, created["id"], "gave up; the provider did not answer")
    # When reconciliation runs a pass
    report = await reconcile_once(provider_settings, db)
    # Then the provider's "never taken" fails it, releasing its funds
    assert (report.checked, dict(report.outcomes)) == (1, {"failed": 1})
    after = await payout_row(db, created["id"])
    assert (after["status"], after["needs_review"]) == ("failed", False)
    assert "the provider has no record of it" in after["last_error"]
    assert events.PAYOUT_FAILED in await events_of(db, created["id"])
