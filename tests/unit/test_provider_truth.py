"""The audit's rules: how our record of a payout compares with the provider's own."""

from collections.abc import Callable
from datetime import timedelta

import pytest

from payout_service.domain.money import Money, currency
from payout_service.domain.payout import Payout
from payout_service.domain.provider_report import ProviderStatus
from payout_service.domain.provider_truth import (
    MONEY_AT_RISK,
    Disagreement,
    ProviderRecord,
    disagreement,
)
from tests.unit.fakes import DECLINED, START, new_payout

TOLERANCE = timedelta(minutes=10)
NOW = START + timedelta(hours=1)
USD_150 = Money(15000, currency("USD"))


def pending(payout: Payout) -> None:
    pass


def unsent(payout: Payout) -> None:
    """Processing, the provider's answer to its send never recorded."""
    payout.start_processing(START)


def accepted(payout: Payout) -> None:
    payout.start_processing(START)
    payout.record_provider_acceptance("prov-1", START)


def succeeded(payout: Payout) -> None:
    accepted(payout)
    payout.succeed(START)


def failed(payout: Payout) -> None:
    payout.start_processing(START)
    payout.fail(DECLINED, "refused", START)


def cancelled(payout: Payout) -> None:
    payout.cancel(START)


def ours(change: Callable[[Payout], None]) -> Payout:
    """Payout p-1 of USD 150.00, changed as asked."""
    payout = new_payout()
    change(payout)
    return payout


def theirs(
    status: ProviderStatus, age: timedelta = timedelta(minutes=1), amount: Money | None = USD_150
) -> ProviderRecord:
    """The provider's record: in `status` for `age` before NOW."""
    return ProviderRecord(status, NOW - age, amount)


PROCESSING, SUCCESS, FAILED = (
    ProviderStatus.PROCESSING,
    ProviderStatus.SUCCESS,
    ProviderStatus.FAILED,
)
LONG_AGO = TOLERANCE + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("change", "record", "expected"),
    [
        # The two agree.
        pytest.param(pending, None, None, id="pending-never-taken"),
        pytest.param(unsent, None, None, id="unsent-never-taken"),
        pytest.param(failed, None, None, id="failed-never-taken"),
        pytest.param(cancelled, None, None, id="cancelled-never-taken"),
        pytest.param(succeeded, theirs(SUCCESS), None, id="success-success"),
        pytest.param(accepted, theirs(PROCESSING), None, id="processing-processing"),
        pytest.param(unsent, theirs(PROCESSING), None, id="unsent-processing"),
        pytest.param(failed, theirs(FAILED), None, id="failed-failed"),
        pytest.param(cancelled, theirs(FAILED), None, id="cancelled-failed"),
        # We released the funds while the provider pays.
        pytest.param(failed, theirs(PROCESSING), Disagreement.DOUBLE_PAY_RISK, id="failed-paying"),
        pytest.param(failed, theirs(SUCCESS), Disagreement.DOUBLE_PAY_RISK, id="failed-paid"),
        pytest.param(
            cancelled, theirs(PROCESSING), Disagreement.DOUBLE_PAY_RISK, id="cancelled-paying"
        ),
        pytest.param(cancelled, theirs(SUCCESS), Disagreement.DOUBLE_PAY_RISK, id="cancelled-paid"),
        # The provider paid long ago, we have not debited.
        pytest.param(
            accepted,
            theirs(SUCCESS, LONG_AGO),
            Disagreement.UNRECORDED_PAYMENT,
            id="processing-paid-long-ago",
        ),
        pytest.param(
            unsent,
            theirs(SUCCESS, LONG_AGO),
            Disagreement.UNRECORDED_PAYMENT,
            id="unsent-paid-long-ago",
        ),
        # We debited, the provider did not pay.
        pytest.param(
            succeeded, theirs(FAILED), Disagreement.DEBIT_WITHOUT_PAYMENT, id="success-failed"
        ),
        pytest.param(succeeded, None, Disagreement.DEBIT_WITHOUT_PAYMENT, id="success-never-taken"),
        # Another amount or currency.
        pytest.param(
            accepted,
            theirs(PROCESSING, amount=Money(15001, currency("USD"))),
            Disagreement.AMOUNT_MISMATCH,
            id="another-amount",
        ),
        pytest.param(
            succeeded,
            theirs(SUCCESS, amount=Money(15000, currency("EUR"))),
            Disagreement.AMOUNT_MISMATCH,
            id="another-currency",
        ),
        # The provider is final, we are not yet.
        pytest.param(accepted, theirs(SUCCESS), Disagreement.STATUS_LAG, id="processing-paid-now"),
        pytest.param(
            accepted, theirs(FAILED, LONG_AGO), Disagreement.STATUS_LAG, id="processing-failed"
        ),
        # We recorded an acceptance the provider has no record of.
        pytest.param(accepted, None, Disagreement.UNKNOWN_TO_PROVIDER, id="accepted-never-taken"),
    ],
)
def test_our_record_and_the_providers_are_compared(change, record, expected):
    assert disagreement(ours(change), record, NOW, TOLERANCE) is expected


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        pytest.param(TOLERANCE, Disagreement.STATUS_LAG, id="at-the-tolerance"),
        pytest.param(
            TOLERANCE + timedelta(seconds=1), Disagreement.UNRECORDED_PAYMENT, id="past-it"
        ),
    ],
)
def test_a_payment_we_have_not_recorded_is_a_lag_up_to_the_tolerance(age, expected):
    # Given a payout still processing, which the provider paid `age` ago
    payout = ours(accepted)
    # When the two are compared, the tolerance decides between a lag and a missed payment
    assert disagreement(payout, theirs(SUCCESS, age), NOW, TOLERANCE) is expected


def test_a_provider_that_does_not_say_the_amount_is_not_a_mismatch():
    assert disagreement(ours(accepted), theirs(PROCESSING, amount=None), NOW, TOLERANCE) is None


def test_lags_and_unknown_acceptances_are_not_money_at_risk():
    not_at_risk = set(Disagreement) - MONEY_AT_RISK
    assert not_at_risk == {Disagreement.STATUS_LAG, Disagreement.UNKNOWN_TO_PROVIDER}
