"""A payout the bank sent back after its success, with no webhook to say so, is found by
reconciliation's return window and ends returned, and `provider audit` (run in this process,
as cli.py runs it: commands_in_process) reports it until then; the window's successes are read a
page at a time by the real database. The mock provider here sends no webhooks."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from payout_service.domain import events
from payout_service.domain.failure_codes import PROVIDER_CODES
from payout_service.domain.money import Money, currency
from payout_service.domain.payout import Payout
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.seed import DEMO_USER_ID
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from payout_service.provider_mock.payouts import MockPayout
from tests.integration.commands_in_process import InProcessCommands
from tests.integration.processes import RunningProcess, eventually
from tests.integration.provider_support import (
    MockServer,
    create_payout,
    events_of,
    payout_row,
    reconcile_once,
    settled,
)
from tests.processes import service_environment

# Long enough for the test to record the success before the bank sends the payout back.
RETURN_DELAY = 2.0


async def returned_after_we_recorded_success(
    api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    settings: Settings,
) -> tuple[dict[str, Any], MockPayout]:
    """A payout the provider paid, which reconciliation recorded as a success, and which the
    bank then sent back, no webhook saying so: our row, and the provider's payout."""
    mock.provider.config = replace(
        mock.provider.config, return_percent=100, return_delay=RETURN_DELAY
    )
    payout = await settled(db, (await create_payout(api, auth))["id"])
    held = mock.provider.payouts[payout["provider_payout_id"]]
    await eventually(lambda: held.status, lambda s: s == "success", what="the provider's success")
    await reconcile_once(settings, db)
    assert (await payout_row(db, payout["id"]))["status"] == "success"
    await eventually(
        lambda: held.status,
        lambda s: s == "returned",
        timeout=RETURN_DELAY + 10,
        what="the provider's return",
    )
    return payout, held


async def test_reconcile_finds_a_return_no_webhook_announced(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
    provider_settings: Settings,
    commands: InProcessCommands,
) -> None:
    # Given a success we recorded, which the bank sent back without a webhook
    asking_at_once = replace(provider_settings, reconcile_after_seconds=0)
    payout, held = await returned_after_we_recorded_success(
        provider_api, auth, db, mock, asking_at_once
    )
    # When reconciliation runs with the window off, then on
    off = await reconcile_once(asking_at_once, db)
    on = await reconcile_once(replace(asking_at_once, reconcile_return_window_days=1), db)
    # Then only the pass with the window on asked, and the payout came back with the bank's code
    assert off.checked == 0
    assert (on.checked, dict(on.outcomes), on.provider_errors) == (1, {"applied": 1}, 0)
    after = await payout_row(db, payout["id"])
    assert (after["status"], after["provider_status"]) == ("returned", "returned")
    assert after["failure_code"] == held.failure_code
    assert after["failure_code"] in PROVIDER_CODES
    assert after["returned_at"] is not None
    assert events.PAYOUT_RETURNED in await events_of(db, payout["id"])


async def test_provider_audit_reports_a_return_until_it_is_recorded(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
    provider_settings: Settings,
    commands: InProcessCommands,
) -> None:
    # Given a success we recorded, which the bank sent back without a webhook
    asking_at_once = replace(provider_settings, reconcile_after_seconds=0)
    payout, held = await returned_after_we_recorded_success(
        provider_api, auth, db, mock, asking_at_once
    )
    env = service_environment(
        DATABASE_URL=provider_settings.database_url,
        PROVIDER_BASE_URL=mock.url,
        PROVIDER_AUDIT_TOLERANCE_SECONDS="0",
    )
    # When the operator audits the last day
    code, printed = await commands(env, "provider", "audit", "--since", "1d")
    # Then the return we have not recorded is money at risk, with the bank's code
    assert code == 1, printed
    (line,) = [line for line in printed.splitlines() if line.startswith("return_not_recorded:")]
    assert f"payout {payout['id']} success" in line
    assert f"provider: {held.provider_payout_id} returned ({held.failure_code})" in line
    # and once reconciliation recorded the return, the two agree again
    await reconcile_once(replace(asking_at_once, reconcile_return_window_days=1), db)
    code, printed = await commands(env, "provider", "audit", "--since", "1d")
    assert code == 0, printed
    assert "return_not_recorded 0, return_without_provider_return 0" in printed


async def given_payout(
    db: SqlUnitOfWorkFactory, n: int, at: datetime, succeed: bool = True
) -> None:
    """Payout p-{n} of 1.00 held on the demo user's account, accepted as prov-{n} at `at`, and
    succeeded then (its hold debited) unless told otherwise."""
    payout = Payout.create(
        payout_id=f"p-{n}",
        user_id=DEMO_USER_ID,
        amount=Money(100, currency("USD")),
        wallet="W-1",
        external_reference=f"ref-{n}",
        now=at,
    )
    payout.start_processing(at)
    payout.record_provider_acceptance(f"prov-{n}", at)
    if succeed:
        payout.succeed(at)
    async with db() as tx:
        account = await tx.accounts.get_for_update(DEMO_USER_ID, "USD")
        assert account is not None
        await tx.accounts.append_entry(account.hold(100, payout.id), at)
        await tx.accounts.save_balances(account, at)
        await tx.payouts.add(payout)
        await tx.commit()


async def test_the_windows_successes_are_read_in_completion_order_a_page_at_a_time(
    db: SqlUnitOfWorkFactory,
) -> None:
    # Given successes before and within the window, two at one moment, and a payout not
    # finished
    now = SystemClock().now()
    since = now - timedelta(days=30)
    await given_payout(db, 1, since - timedelta(seconds=1))
    await given_payout(db, 4, now - timedelta(days=2))
    await given_payout(db, 3, now - timedelta(days=2))
    await given_payout(db, 2, now - timedelta(days=3))
    await given_payout(db, 5, now - timedelta(days=1), succeed=False)
    # When they are read two at a time, each page after the previous one's last
    pages: list[list[str]] = []
    after: tuple[datetime, str] | None = None
    while not pages or len(pages[-1]) == 2:
        async with db() as tx:
            page = await tx.payouts.succeeded_since(since, after, 2)
        pages.append([p.id for p in page])
        if page:
            assert page[-1].completed_at is not None
            after = (page[-1].completed_at, page[-1].id)
    # Then the window's successes come once each, earliest first, a tie in id order
    assert pages == [["p-2", "p-3"], ["p-4"]]
