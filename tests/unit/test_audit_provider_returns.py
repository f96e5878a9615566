"""The provider audit takes in returned payouts like any other, and finds returns the two sides
do not agree on."""

from datetime import timedelta

import pytest

from payout_service.application.audit_provider import AuditProvider, AuditReport
from payout_service.application.ports import ProviderPayoutState
from payout_service.domain.failure_codes import Failure, FailureCode
from payout_service.domain.provider_report import ProviderStatus
from payout_service.domain.provider_truth import Disagreement
from tests.unit.fakes import (
    START,
    FakeClock,
    FakeDatabase,
    FakeProviderClient,
    FakeUnitOfWorkFactory,
    new_payout,
)

TOLERANCE = timedelta(minutes=10)
RETURNED_AT = START + timedelta(minutes=1)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START + timedelta(hours=1))


@pytest.fixture
def audit(database: FakeDatabase, clock: FakeClock, provider: FakeProviderClient) -> AuditProvider:
    return AuditProvider(FakeUnitOfWorkFactory(database), clock, provider, TOLERANCE)


def given(database: FakeDatabase, n: int, returned: bool) -> None:
    """Payout p-{n} of USD 150.00, accepted as prv-{n} and paid at START; returned (its account
    closed) if told."""
    payout = new_payout(f"p-{n}")
    payout.start_processing(START)
    payout.record_provider_acceptance(f"prv-{n}", START)
    payout.succeed(START)
    if returned:
        payout.mark_returned(Failure.of(FailureCode.ACCOUNT_CLOSED), RETURNED_AT)
    database.add_payout(payout)


def provider_holds(
    provider: FakeProviderClient, n: int, status: ProviderStatus, failure_code: str | None = None
) -> None:
    provider.payouts[f"prv-{n}"] = ProviderPayoutState(
        f"prv-{n}", status, RETURNED_AT, f"p-{n}", "150.00", "USD", failure_code
    )


def found(report: AuditReport) -> dict[str, Disagreement]:
    return {f.payout.id: f.kind for f in report.findings}


async def test_returns_the_two_sides_disagree_on_are_money_at_risk(audit, database, provider):
    # Given a payout returned on both sides, one we returned that the provider still holds as
    # paid, and one the provider returned long ago that we still hold as paid
    given(database, 1, returned=True)
    provider_holds(provider, 1, ProviderStatus.RETURNED, "account_closed")
    given(database, 2, returned=True)
    provider_holds(provider, 2, ProviderStatus.SUCCESS)
    given(database, 3, returned=False)
    provider_holds(provider, 3, ProviderStatus.RETURNED, "no_account")
    # When the audit runs
    report = await audit(START)
    # Then all three were asked about, the two disagreements found, and money is at risk
    assert provider.looked_up == ["p-1", "p-2", "p-3"]
    assert found(report) == {
        "p-2": Disagreement.RETURN_WITHOUT_PROVIDER_RETURN,
        "p-3": Disagreement.RETURN_NOT_RECORDED,
    }
    assert report.money_at_risk is True
    assert report.counts["return_without_provider_return"] == 1
    assert report.counts["return_not_recorded"] == 1


async def test_a_finding_about_a_return_says_the_providers_code(audit, database, provider):
    given(database, 1, returned=False)
    provider_holds(provider, 1, ProviderStatus.RETURNED, "no_account")

    report = await audit(START)

    assert [f.provider for f in report.findings] == [
        f"prv-1 returned (no_account) since {RETURNED_AT.isoformat()}, 150.00 USD"
    ]
