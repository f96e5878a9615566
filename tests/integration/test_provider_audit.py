"""`payout-service provider audit`, run as a process against the real database and the mock
provider: each payout is compared with the provider's record of it; money at risk (a payout we
released while the provider paid it) exits 1, agreement exits 0, and the `provider_disagreements`
gauge on /metrics shows the last run's counts."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from payout_service.domain.provider_truth import Disagreement
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from tests.integration.helpers import scrape
from tests.integration.provider_support import (
    MockServer,
    create_payout,
    operator_command,
    paid_at_the_provider,
    taken_by_provider,
)
from tests.processes import service_environment
from tests.unit.fakes import DECLINED


@pytest.fixture
def env(settings: Settings, mock: MockServer) -> dict[str, str]:
    return service_environment(DATABASE_URL=settings.database_url, PROVIDER_BASE_URL=mock.url)


async def paid_by_provider(
    webhook_api: TestClient, auth: dict[str, str], mock: MockServer
) -> tuple[str, str]:
    """A payout the provider took and has paid out: our payout id and the provider's."""
    created = await create_payout(webhook_api, auth)
    provider_payout_id = await taken_by_provider(mock, created)
    await paid_at_the_provider(mock, created["id"])
    return str(created["id"]), provider_payout_id


async def commit(
    db: SqlUnitOfWorkFactory, payout_id: str, provider_payout_id: str, end: str
) -> None:
    """Our record of the payout: accepted as `provider_payout_id`, then ended by `end`."""
    now = SystemClock().now()
    async with db() as tx:
        payout = await tx.payouts.get_for_update(payout_id)
        assert payout is not None
        payout.start_processing(now)
        payout.record_provider_acceptance(provider_payout_id, now)
        if end == "failed":
            payout.fail(DECLINED, "failed here while the provider paid it", now)
        else:
            payout.succeed(now)
        await tx.payouts.update(payout)
        await tx.commit()


async def disagreements_gauge(api: TestClient) -> dict[str, float]:
    samples = (await scrape(api))["provider_disagreements"]
    return {dict(labels)["kind"]: value for labels, value in samples.items()}


async def test_a_payout_we_failed_while_the_provider_paid_it_is_a_double_pay_risk(
    webhook_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    env: dict[str, str],
) -> None:
    # Given a payout the provider accepted and paid, which we failed (releasing its funds)
    payout_id, provider_payout_id = await paid_by_provider(webhook_api, auth, mock)
    await commit(db, payout_id, provider_payout_id, end="failed")
    # When the operator audits the last day
    code, printed = await operator_command(env, "provider", "audit", "--since", "1d")
    # Then the double payment risk is reported, naming both sides, and the command fails
    assert code == 1, printed
    (line,) = [line for line in printed.splitlines() if line.startswith("double_pay_risk:")]
    assert f"payout {payout_id} failed 150.00 USD" in line
    assert f"provider: {provider_payout_id} success" in line
    assert "checked 1 payouts" in printed
    # and the gauge shows the run's counts
    gauge = await disagreements_gauge(webhook_api)
    assert gauge == {str(kind): 0 for kind in Disagreement} | {"double_pay_risk": 1}


async def test_payouts_that_agree_with_the_provider_pass_the_audit(
    webhook_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    env: dict[str, str],
) -> None:
    # Given a payout both sides say succeeded, and one never sent that the provider never saw
    payout_id, provider_payout_id = await paid_by_provider(webhook_api, auth, mock)
    await commit(db, payout_id, provider_payout_id, end="success")
    await create_payout(webhook_api, auth)
    # When the operator audits the last day
    code, printed = await operator_command(env, "provider", "audit", "--since", "1d")
    # Then nothing disagrees and the command succeeds
    assert code == 0, printed
    assert "checked 2 payouts" in printed and "unanswered 0" in printed
    assert not any(line.startswith(tuple(Disagreement)) for line in printed.splitlines())
    # and the gauge shows a clean run
    assert await disagreements_gauge(webhook_api) == {str(kind): 0 for kind in Disagreement}
