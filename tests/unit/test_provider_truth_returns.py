"""The audit's rules for money that comes back: a return the provider made and we have not
recorded, and one we recorded that the provider did not make."""

from collections.abc import Callable
from datetime import timedelta

import pytest

from payout_service.domain.failure_codes import Failure, FailureCode
from payout_service.domain.money import Money, currency
from payout_service.domain.payout import Payout
from payout_service.domain.provider_report import ProviderStatus
from payout_service.domain.provider_truth import (
    MONEY_AT_RISK,
    Disagreement,
    ProviderRecord,
    disagreement,
)
from tests.unit.fakes import START, new_payout

TOLERANCE = timedelta(minutes=10)
NOW = START + timedelta(hours=1)
LONG_AGO = TOLERANCE + timedelta(minutes=1)


def succeeded(payout: Payout) -> None:
    payout.start_processing(START)
    payout.record_provider_acceptance("prov-1", START)
    payout.succeed(START)


def returned(payout: Payout) -> None:
    succeeded(payout)
    payout.mark_returned(Failure.of(FailureCode.ACCOUNT_CLOSED), START)


def failed(payout: Payout) -> None:
    payout.start_processing(START)
    payout.fail(Failure.of(FailureCode.DECLINED), "refused", START)


def ours(change: Callable[[Payout], None]) -> Payout:
    """Payout p-1 of USD 150.00, changed as asked."""
    payout = new_payout()
    change(payout)
    return payout


def theirs(status: ProviderStatus, age: timedelta = timedelta(minutes=1)) -> ProviderRecord:
    """The provider's record of USD 150.00: in `status` for `age` before NOW."""
    return ProviderRecord(status, NOW - age, Money(15000, currency("USD")))


RETURNED, SUCCESS, FAILED = ProviderStatus.RETURNED, ProviderStatus.SUCCESS, ProviderStatus.FAILED


@pytest.mark.parametrize(
    ("change", "record", "expected"),
    [
        # The two agree.
        pytest.param(returned, theirs(RETURNED), None, id="returned-returned"),
        pytest.param(returned, theirs(RETURNED, LONG_AGO), None, id="returned-long-ago"),
        pytest.param(failed, theirs(RETURNED), None, id="released-and-it-came-back"),
        # The provider sent it back; we still count it paid.
        pytest.param(succeeded, theirs(RETURNED), Disagreement.STATUS_LAG, id="return-on-its-way"),
        pytest.param(
            succeeded,
            theirs(RETURNED, LONG_AGO),
            Disagreement.RETURN_NOT_RECORDED,
            id="return-not-recorded",
        ),
        # We gave the money back; the provider did not get it back.
        pytest.param(
            returned,
            theirs(SUCCESS),
            Disagreement.RETURN_WITHOUT_PROVIDER_RETURN,
            id="returned-but-paid",
        ),
        pytest.param(
            returned,
            theirs(FAILED),
            Disagreement.RETURN_WITHOUT_PROVIDER_RETURN,
            id="returned-but-failed",
        ),
        pytest.param(
            returned, None, Disagreement.RETURN_WITHOUT_PROVIDER_RETURN, id="returned-never-taken"
        ),
    ],
)
def test_returns_are_compared_with_the_providers_record(change, record, expected):
    assert disagreement(ours(change), record, NOW, TOLERANCE) is expected


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        pytest.param(TOLERANCE, Disagreement.STATUS_LAG, id="at-the-tolerance"),
        pytest.param(
            TOLERANCE + timedelta(seconds=1), Disagreement.RETURN_NOT_RECORDED, id="past-it"
        ),
    ],
)
def test_a_return_we_have_not_recorded_is_a_lag_up_to_the_tolerance(age, expected):
    # Given a successful payout, which the provider says came back `age` ago
    payout = ours(succeeded)
    # When the two are compared, the tolerance decides between a lag and a missed return
    assert disagreement(payout, theirs(RETURNED, age), NOW, TOLERANCE) is expected


def test_both_kinds_of_return_disagreement_are_money_at_risk():
    # The user is owed the amount, or was credited an amount nobody gave back.
    assert {
        Disagreement.RETURN_NOT_RECORDED,
        Disagreement.RETURN_WITHOUT_PROVIDER_RETURN,
    } <= MONEY_AT_RISK
