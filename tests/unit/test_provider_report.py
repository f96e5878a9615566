"""What a provider's status report does to a payout: identity, order, finality and conflicts."""

from datetime import timedelta

import pytest

from payout_service.domain import events
from payout_service.domain.failure_codes import FailureCode
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.domain.provider_report import (
    ProviderReport,
    ProviderStatus,
    ReportOutcome,
    apply_report,
)
from tests.unit.fakes import START, new_payout

NOW = START + timedelta(hours=1)


def processing_payout(provider_payout_id: str | None = "prov-1") -> Payout:
    payout = new_payout()
    payout.start_processing(START)
    if provider_payout_id:
        payout.record_provider_acceptance(provider_payout_id, START)
    payout.events.clear()
    return payout


SOURCE = "webhook evt_1"
FAILED_REASON = f"the provider reported the payout failed ({SOURCE})"


def report(
    payout: Payout,
    status: ProviderStatus,
    minute: int,
    provider_payout_id: str | None = None,
    reference: str | None = None,
) -> ReportOutcome:
    moment = START + timedelta(minutes=minute)
    return apply_report(
        payout, ProviderReport(status, moment, provider_payout_id, reference, SOURCE), NOW
    )


def test_success_finishes_the_payout_and_announces_it():
    payout = processing_payout()
    assert report(payout, ProviderStatus.SUCCESS, 1) is ReportOutcome.APPLIED
    assert payout.status is PayoutStatus.SUCCESS
    assert (payout.provider_status, payout.provider_status_at) == (
        "success",
        START + timedelta(minutes=1),
    )
    assert [e.name for e in payout.events] == ["payout.succeeded"]


def test_failed_fails_the_payout_with_the_reason():
    payout = processing_payout()
    assert report(payout, ProviderStatus.FAILED, 1) is ReportOutcome.APPLIED
    assert (payout.status, payout.last_error) == (PayoutStatus.FAILED, FAILED_REASON)
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
    assert payout.provider_status_at == START + timedelta(minutes=5)
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
    assert (payout.status, payout.last_error) == (final, last_error)
    # And a contradiction is left for an operator, an agreement is not
    flagged = outcome is ReportOutcome.CONFLICT
    assert payout.needs_review is flagged
    assert [e.name for e in payout.events] == ([events.PAYOUT_NEEDS_REVIEW] if flagged else [])


def test_a_cancelled_payout_reported_successful_is_a_conflict():
    payout = processing_payout(provider_payout_id=None)
    payout.cancel(START)
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
    assert report(payout, ProviderStatus.SUCCESS, 1, "prov-9", "p-1") is ReportOutcome.APPLIED
    # Then the payout knows it, and says the provider accepted it before it succeeded
    assert payout.provider_payout_id == "prov-9"
    assert [e.name for e in payout.events] == [
        events.PAYOUT_PROVIDER_ACCEPTED,
        events.PAYOUT_SUCCEEDED,
    ]


def test_a_report_about_another_provider_payout_is_a_conflict_flagged_for_review():
    # Given a payout the provider accepted as prov-1
    payout = processing_payout()
    # When a failed report names provider payout prov-2 (with this payout's reference)
    outcome = report(payout, ProviderStatus.FAILED, 1, "prov-2", "p-1")
    # Then it is not applied: the payout stays processing, funds held, for an operator
    assert outcome is ReportOutcome.CONFLICT
    assert (payout.status, payout.provider_payout_id) == (PayoutStatus.PROCESSING, "prov-1")
    assert payout.needs_review
    assert "prov-2" in (payout.review_reason or "")
    assert [e.name for e in payout.events] == [events.PAYOUT_NEEDS_REVIEW]


def test_a_report_naming_another_reference_is_a_conflict():
    payout = processing_payout(provider_payout_id=None)
    assert report(payout, ProviderStatus.FAILED, 1, None, "p-2") is ReportOutcome.CONFLICT
    assert (payout.status, payout.needs_review) == (PayoutStatus.PROCESSING, True)


def test_a_report_dated_before_the_payout_existed_is_never_applied():
    payout = processing_payout(provider_payout_id=None)
    assert report(payout, ProviderStatus.FAILED, -1, None, "p-1") is ReportOutcome.STALE
    assert (payout.status, payout.needs_review) == (PayoutStatus.PROCESSING, False)


def returned_report(
    payout: Payout, minute: int, code: str | None = "account_closed"
) -> ReportOutcome:
    moment = START + timedelta(minutes=minute)
    returned = ProviderReport(
        ProviderStatus.RETURNED, moment, "prov-1", None, SOURCE, failure_code=code
    )
    return apply_report(payout, returned, NOW)


def test_a_return_of_a_successful_payout_returns_it_with_the_providers_code():
    # Given a payout the provider paid at minute 1
    payout = processing_payout()
    report(payout, ProviderStatus.SUCCESS, 1)
    payout.events.clear()
    # When the provider reports at minute 30 that the money came back
    assert returned_report(payout, 30) is ReportOutcome.APPLIED
    # Then it is returned, says why, and announces it
    assert payout.status is PayoutStatus.RETURNED
    assert payout.failure_code is FailureCode.ACCOUNT_CLOSED
    assert (payout.provider_status, payout.returned_at) == ("returned", NOW)
    assert [e.name for e in payout.events] == [events.PAYOUT_RETURNED]


def test_the_same_return_again_and_a_late_success_leave_a_returned_payout_as_it_is():
    payout = processing_payout()
    report(payout, ProviderStatus.SUCCESS, 1)
    returned_report(payout, 30)
    payout.events.clear()
    assert returned_report(payout, 31) is ReportOutcome.UNCHANGED
    # A success dated after the return (the provider resent its old news) is history, not news
    assert report(payout, ProviderStatus.SUCCESS, 32) is ReportOutcome.UNCHANGED
    assert report(payout, ProviderStatus.SUCCESS, 2) is ReportOutcome.STALE
    assert (payout.status, payout.needs_review, payout.events) == (
        PayoutStatus.RETURNED,
        False,
        [],
    )


def test_a_failure_reported_for_a_returned_payout_is_a_conflict():
    payout = processing_payout()
    report(payout, ProviderStatus.SUCCESS, 1)
    returned_report(payout, 30)
    assert report(payout, ProviderStatus.FAILED, 40) is ReportOutcome.CONFLICT
    assert (payout.status, payout.needs_review) == (PayoutStatus.RETURNED, True)


@pytest.mark.parametrize("known_id", ["prov-1", None])
def test_a_return_of_a_processing_payout_succeeds_it_then_returns_it(known_id):
    # Given a payout we still see processing (its success report was lost), its provider id
    # known or not yet
    payout = processing_payout(provider_payout_id=known_id)
    payout.events.clear()
    # When the provider reports, by the payout's identity, that the money came back
    assert returned_report(payout, 30) is ReportOutcome.APPLIED
    # Then it was paid and came back: succeeded, then returned, with the provider's code, and
    # nothing for an operator
    assert payout.status is PayoutStatus.RETURNED
    assert payout.failure_code is FailureCode.ACCOUNT_CLOSED
    assert (payout.provider_payout_id, payout.needs_review) == ("prov-1", False)
    assert [e.name for e in payout.events][-2:] == [events.PAYOUT_SUCCEEDED, events.PAYOUT_RETURNED]


@pytest.mark.parametrize("status", ["failed", "cancelled", "pending"])
def test_a_return_for_a_payout_that_did_not_succeed_is_a_conflict_never_applied(status):
    # Given a payout that is not successful
    payout = processing_payout(provider_payout_id=None if status == "cancelled" else "prov-1")
    if status == "failed":
        report(payout, ProviderStatus.FAILED, 1)
    elif status == "cancelled":
        payout.cancel(START)
    elif status == "pending":
        payout.status = PayoutStatus.PENDING
    before = (payout.status, payout.failure_code, payout.returned_at)
    payout.events.clear()
    # When the provider reports it returned
    assert returned_report(payout, 30) is ReportOutcome.CONFLICT
    # Then nothing moves: it is left for an operator, with why
    assert (payout.status, payout.failure_code, payout.returned_at) == before
    assert payout.needs_review
    assert "only a successful payout can come back" in (payout.review_reason or "")
    assert [e.name for e in payout.events] == [events.PAYOUT_NEEDS_REVIEW]


def test_a_failure_report_carries_the_providers_code_and_an_unknown_one_is_kept():
    known, unknown = processing_payout(), processing_payout()
    for payout, code in ((known, "no_account"), (unknown, "X9")):
        moment = START + timedelta(minutes=1)
        failed = ProviderReport(
            ProviderStatus.FAILED, moment, "prov-1", None, SOURCE, failure_code=code
        )
        apply_report(payout, failed, NOW)
    assert known.failure_code is FailureCode.NO_ACCOUNT
    assert unknown.failure_code is FailureCode.COULD_NOT_PROCESS
    assert "X9" in (unknown.failure_message or "")
    assert unknown.events[-1].payload["failure_code"] == "could_not_process"
