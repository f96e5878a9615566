"""What a provider's status report does to a payout: order, finality and conflicts."""

from datetime import UTC, datetime, timedelta

import pytest

from payout_service.domain.money import Money, currency
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.domain.provider_report import ProviderStatus, ReportOutcome, apply_report

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=1)


def processing_payout(provider_payout_id: str | None = "prov-1") -> Payout:
    payout = Payout.create(
        payout_id="p-1",
        user_id=123,
        amount=Money(15000, currency("USD")),
        wallet="W1",
        external_reference="ref-1",
        now=T0,
    )
    payout.start_processing(T0)
    if provider_payout_id:
        payout.record_provider_acceptance(provider_payout_id, T0)
    payout.events.clear()
    return payout


def report(payout: Payout, status: ProviderStatus, minute: int) -> ReportOutcome:
    return apply_report(
        payout, status, T0 + timedelta(minutes=minute), NOW, failure_reason="declined"
    )


def test_success_finishes_the_payout_and_announces_it():
    payout = processing_payout()
    assert report(payout, ProviderStatus.SUCCESS, 1) is ReportOutcome.APPLIED
    assert payout.status is PayoutStatus.SUCCESS
    assert (payout.provider_status, payout.provider_status_at) == (
        "success",
        T0 + timedelta(minutes=1),
    )
    assert [e.name for e in payout.events] == ["payout.succeeded"]


def test_failed_fails_the_payout_with_the_reason():
    payout = processing_payout()
    assert report(payout, ProviderStatus.FAILED, 1) is ReportOutcome.APPLIED
    assert (payout.status, payout.last_error) == (PayoutStatus.FAILED, "declined")
    assert [e.name for e in payout.events] == ["payout.failed"]


def test_processing_records_the_provider_status_without_an_event():
    payout = processing_payout()
    assert report(payout, ProviderStatus.PROCESSING, 1) is ReportOutcome.APPLIED
    assert (payout.status, payout.provider_status) == (PayoutStatus.PROCESSING, "processing")
    assert payout.events == []


def test_a_report_older_than_the_last_applied_one_is_stale_and_changes_nothing():
    # Given success reported at minute 5
    payout = processing_payout()
    report(payout, ProviderStatus.SUCCESS, 5)
    payout.events.clear()
    # When processing from minute 2 arrives late
    outcome = report(payout, ProviderStatus.PROCESSING, 2)
    # Then it is stale, and the payout still says success as of minute 5
    assert outcome is ReportOutcome.STALE
    assert (payout.status, payout.provider_status) == (PayoutStatus.SUCCESS, "success")
    assert payout.provider_status_at == T0 + timedelta(minutes=5)
    assert payout.events == []


def test_a_stale_final_outcome_does_not_finish_the_payout():
    payout = processing_payout()
    report(payout, ProviderStatus.PROCESSING, 5)
    assert report(payout, ProviderStatus.SUCCESS, 4) is ReportOutcome.STALE
    assert payout.status is PayoutStatus.PROCESSING


@pytest.mark.parametrize(
    ("first", "then", "outcome"),
    [
        (ProviderStatus.SUCCESS, ProviderStatus.SUCCESS, ReportOutcome.UNCHANGED),
        (ProviderStatus.FAILED, ProviderStatus.FAILED, ReportOutcome.UNCHANGED),
        (ProviderStatus.SUCCESS, ProviderStatus.FAILED, ReportOutcome.CONFLICT),
        (ProviderStatus.FAILED, ProviderStatus.SUCCESS, ReportOutcome.CONFLICT),
        (ProviderStatus.SUCCESS, ProviderStatus.PROCESSING, ReportOutcome.CONFLICT),
    ],
)
def test_a_final_payout_never_changes(first, then, outcome):
    payout = processing_payout()
    report(payout, first, 1)
    final, last_error = payout.status, payout.last_error
    payout.events.clear()
    assert report(payout, then, 2) is outcome
    assert (payout.status, payout.last_error, payout.events) == (final, last_error, [])


def test_a_cancelled_payout_reported_successful_is_a_conflict():
    payout = processing_payout(provider_payout_id=None)
    payout.cancel(T0)
    payout.events.clear()
    assert report(payout, ProviderStatus.SUCCESS, 1) is ReportOutcome.CONFLICT
    assert payout.status is PayoutStatus.CANCELLED


def test_a_final_outcome_for_a_payout_never_sent_is_a_conflict():
    payout = processing_payout()
    payout.status = PayoutStatus.PENDING
    assert report(payout, ProviderStatus.SUCCESS, 1) is ReportOutcome.CONFLICT
    assert payout.status is PayoutStatus.PENDING


def test_an_applied_report_teaches_the_payout_its_provider_id():
    # Given a payout found by reference before the provider's acceptance was recorded
    payout = processing_payout(provider_payout_id=None)
    # When success is reported with the provider's id
    apply_report(payout, ProviderStatus.SUCCESS, T0, NOW, "declined", provider_payout_id="prov-9")
    # Then the payout knows it
    assert payout.provider_payout_id == "prov-9"
