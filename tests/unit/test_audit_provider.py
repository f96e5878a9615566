"""The provider audit: every payout created since a moment, compared with the provider's record."""

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from payout_service.application import audit_provider
from payout_service.application.audit_provider import AuditProvider
from payout_service.application.ports import AuditRun, ProviderOutcomeUnknown, ProviderPayoutState
from payout_service.domain.payout import Payout
from payout_service.domain.provider_report import ProviderStatus
from payout_service.domain.provider_truth import Disagreement
from tests.unit.fakes import (
    DECLINED,
    START,
    FakeClock,
    FakeDatabase,
    FakeProviderClient,
    FakeUnitOfWorkFactory,
    new_payout,
)

TOLERANCE = timedelta(minutes=10)
SINCE = START


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START + timedelta(hours=1))


@pytest.fixture
def audit(database: FakeDatabase, clock: FakeClock, provider: FakeProviderClient) -> AuditProvider:
    return AuditProvider(FakeUnitOfWorkFactory(database), clock, provider, TOLERANCE)


def given(
    database: FakeDatabase, n: int, change: Callable[[Payout], None] = lambda p: None
) -> None:
    """Payout p-{n} of USD 150.00, created at START, changed as asked."""
    payout = new_payout(f"p-{n}")
    change(payout)
    database.add_payout(payout)


def provider_holds(
    provider: FakeProviderClient,
    n: int,
    status: ProviderStatus,
    amount: str | None = "150.00",
    currency: str | None = "USD",
    since: datetime = START + timedelta(minutes=1),
) -> None:
    """The provider's record prv-{n} of payout p-{n}, in `status` since a minute after START
    unless told otherwise."""
    provider.payouts[f"prv-{n}"] = ProviderPayoutState(
        f"prv-{n}", status, since, f"p-{n}", amount, currency
    )


def accepted(payout: Payout) -> None:
    payout.start_processing(START)
    payout.record_provider_acceptance(f"prv-{payout.id.removeprefix('p-')}", START)


def failed(payout: Payout) -> None:
    payout.start_processing(START)
    payout.fail(DECLINED, "refused", START)


def succeeded(payout: Payout) -> None:
    accepted(payout)
    payout.succeed(START)


def found(report: audit_provider.AuditReport) -> dict[str, Disagreement]:
    return {f.payout.id: f.kind for f in report.findings}


async def test_every_payout_created_since_is_asked_about_once_across_pages(
    audit, database, provider, monkeypatch
):
    # Given pages of two, five payouts created at one moment (ordered by id) and one created
    # before the audit's start
    monkeypatch.setattr(audit_provider, "PAGE", 2)
    for n in range(1, 6):
        given(database, n)
    database.add_payout(new_payout("p-0", now=SINCE - timedelta(seconds=1)))
    # When the audit runs
    report = await audit(SINCE)
    # Then each payout since was asked about by its id, oldest first, once
    assert provider.looked_up == ["p-1", "p-2", "p-3", "p-4", "p-5"]
    assert report.checked == 5


async def test_disagreements_are_found_and_the_run_recorded_with_its_counts(
    audit, database, provider, clock
):
    # Given a failed payout the provider paid, a success it never took, an acceptance it has no
    # record of, a pending payout it never took, and one it does not answer about
    given(database, 1, failed)
    provider_holds(provider, 1, ProviderStatus.SUCCESS)
    given(database, 2, succeeded)
    given(database, 3, accepted)
    given(database, 4)
    given(database, 5, accepted)
    provider.lookups["p-5"] = ProviderOutcomeUnknown("timeout", "read timed out")
    # When the audit runs
    report = await audit(SINCE)
    # Then each disagreement is found, the silence counted, and money is at risk
    assert found(report) == {
        "p-1": Disagreement.DOUBLE_PAY_RISK,
        "p-2": Disagreement.DEBIT_WITHOUT_PAYMENT,
        "p-3": Disagreement.UNKNOWN_TO_PROVIDER,
    }
    assert (report.checked, report.unanswered, report.money_at_risk) == (5, 1, True)
    counts = {str(kind): 0 for kind in Disagreement} | {
        "double_pay_risk": 1,
        "debit_without_payment": 1,
        "unknown_to_provider": 1,
    }
    assert report.counts == counts
    # And the run is kept with those counts
    assert database.committed.provider_audits == [AuditRun(clock.now(), clock.now(), 5, 1, counts)]


async def test_a_finding_says_what_the_provider_holds(audit, database, provider):
    given(database, 1, failed)
    provider_holds(provider, 1, ProviderStatus.PROCESSING)
    given(database, 2, succeeded)

    report = await audit(SINCE)

    assert [f.provider for f in report.findings] == [
        f"prv-1 processing since {(START + timedelta(minutes=1)).isoformat()}, 150.00 USD",
        "no record at the provider",
    ]


async def test_lags_and_unknown_acceptances_alone_put_no_money_at_risk(
    audit, database, provider, clock
):
    # Given a payout the provider paid a minute ago, and an acceptance it has no record of
    given(database, 1, accepted)
    provider_holds(provider, 1, ProviderStatus.SUCCESS, since=clock.now() - timedelta(minutes=1))
    given(database, 2, accepted)
    # When the audit runs
    report = await audit(SINCE)
    # Then both are found, and neither puts money at risk
    assert found(report) == {
        "p-1": Disagreement.STATUS_LAG,
        "p-2": Disagreement.UNKNOWN_TO_PROVIDER,
    }
    assert report.money_at_risk is False


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        pytest.param("150.00", "USD", None, id="same"),
        pytest.param("150.00", None, None, id="currency-unsaid-is-ours"),
        pytest.param(None, None, None, id="amount-unsaid"),
        pytest.param("150.01", "USD", Disagreement.AMOUNT_MISMATCH, id="another-amount"),
        pytest.param("150.00", "EUR", Disagreement.AMOUNT_MISMATCH, id="another-currency"),
        pytest.param("150.00", "XXX", Disagreement.AMOUNT_MISMATCH, id="unknown-currency"),
        pytest.param("a lot", "USD", Disagreement.AMOUNT_MISMATCH, id="unreadable"),
    ],
)
async def test_the_providers_amount_is_read_in_its_currency(
    audit, database, provider, amount, currency, expected
):
    # Given an accepted payout of USD 150.00 the provider is paying
    given(database, 1, accepted)
    provider_holds(provider, 1, ProviderStatus.PROCESSING, amount, currency)
    # When the audit runs, only the amount can disagree
    report = await audit(SINCE)
    assert found(report).get("p-1") is expected
