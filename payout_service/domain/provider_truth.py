"""How our record of a payout compares with the provider's own: the audit's rules.

The ledger agreeing with itself proves nothing about the provider; this compares each payout's
status and amount with what the provider says it did with it. Kinds of disagreement, most
serious first:
- double_pay_risk: we failed or cancelled it (its funds went back to the user) while the provider
  is paying it out or has paid it;
- unrecorded_payment: the provider paid it, we have no debit for it, for longer than the
  tolerance;
- debit_without_payment: we debited the user, the provider did not pay (failed, or no record);
- amount_mismatch: the provider pays (or is paying) another amount or currency than we hold;
- return_not_recorded: the provider returned it (the money came back), we still count it paid,
  for longer than the tolerance: the user is owed the amount;
- return_without_provider_return: we credited the user back, the provider says it was not
  returned;
- status_lag: the provider is final and we are not yet, or not returned yet (its outcome is on
  its way);
- unknown_to_provider: we recorded the provider's acceptance, the provider has no record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from payout_service.domain.money import Money
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.domain.provider_report import ProviderStatus


class Disagreement(StrEnum):
    DOUBLE_PAY_RISK = "double_pay_risk"
    UNRECORDED_PAYMENT = "unrecorded_payment"
    DEBIT_WITHOUT_PAYMENT = "debit_without_payment"
    AMOUNT_MISMATCH = "amount_mismatch"
    RETURN_NOT_RECORDED = "return_not_recorded"
    RETURN_WITHOUT_PROVIDER_RETURN = "return_without_provider_return"
    STATUS_LAG = "status_lag"
    UNKNOWN_TO_PROVIDER = "unknown_to_provider"


# The kinds where money is, or may be, wrong: `provider audit` exits 1 when any is found.
MONEY_AT_RISK = frozenset(
    {
        Disagreement.DOUBLE_PAY_RISK,
        Disagreement.UNRECORDED_PAYMENT,
        Disagreement.DEBIT_WITHOUT_PAYMENT,
        Disagreement.AMOUNT_MISMATCH,
        Disagreement.RETURN_NOT_RECORDED,
        Disagreement.RETURN_WITHOUT_PROVIDER_RETURN,
    }
)


@dataclass(frozen=True, slots=True)
class ProviderRecord:
    """What the provider says of the payout: its status, since when, and what it pays."""

    status: ProviderStatus
    since: datetime
    amount: Money | None  # None when the provider did not say


_RELEASED = frozenset({PayoutStatus.FAILED, PayoutStatus.CANCELLED})


def disagreement(
    payout: Payout, record: ProviderRecord | None, now: datetime, tolerance: timedelta
) -> Disagreement | None:
    """`record` None: the provider has never taken the payout. None when the two agree."""
    if record is None:
        if payout.status is PayoutStatus.SUCCESS:
            return Disagreement.DEBIT_WITHOUT_PAYMENT
        if payout.status is PayoutStatus.RETURNED:
            return Disagreement.RETURN_WITHOUT_PROVIDER_RETURN
        if payout.status is PayoutStatus.PROCESSING and payout.provider_payout_id is not None:
            return Disagreement.UNKNOWN_TO_PROVIDER
        return None
    paying = record.status in (ProviderStatus.PROCESSING, ProviderStatus.SUCCESS)
    if payout.status in _RELEASED and paying:
        return Disagreement.DOUBLE_PAY_RISK
    if payout.status is PayoutStatus.SUCCESS and record.status is ProviderStatus.FAILED:
        return Disagreement.DEBIT_WITHOUT_PAYMENT
    if paying and record.amount is not None and record.amount != payout.amount:
        return Disagreement.AMOUNT_MISMATCH
    returned = record.status is ProviderStatus.RETURNED
    if payout.status is PayoutStatus.RETURNED and not returned:
        return Disagreement.RETURN_WITHOUT_PROVIDER_RETURN
    if payout.status is PayoutStatus.SUCCESS and returned:
        late = now - record.since > tolerance
        return Disagreement.RETURN_NOT_RECORDED if late else Disagreement.STATUS_LAG
    if payout.status.is_final or record.status is ProviderStatus.PROCESSING:
        return None
    if record.status is ProviderStatus.SUCCESS and now - record.since > tolerance:
        return Disagreement.UNRECORDED_PAYMENT
    return Disagreement.STATUS_LAG
