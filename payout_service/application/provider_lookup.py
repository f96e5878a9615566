"""Asking the provider about a payout whose fate is unknown: the one way to end such a payout.

After an unknown answer (domain.send_attempts) only the provider's own word about the payout may
end it. Cancel, give-up, a refusal that follows an unknown attempt, reconciliation and the
operator's resolve all ask the provider by our reference (`find_payout`) outside any
transaction, then act on the answer under the payout's lock:
- never taken (404): safe to end the payout and release its funds, as long as no send attempt
  started since the question was asked (`unchanged_since`);
- a record: the payout adopts the provider's id and status, as any report would be applied;
- no answer: nothing may be released; the payout waits for an operator (needs_review).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from payout_service.application.apply_provider_status import AppliedReport, apply_provider_status
from payout_service.application.ports import (
    ProviderClient,
    ProviderError,
    ProviderPayoutState,
    UnitOfWork,
)
from payout_service.domain.provider_report import ProviderReport, ProviderStatus, ReportOutcome
from payout_service.domain.send_attempts import SendAttemptResult, is_being_sent

SOURCE = "provider lookup"


class LookupAnswer(StrEnum):
    NEVER_TAKEN = "never_taken"
    RECORD = "record"
    NO_ANSWER = "no_answer"


@dataclass(frozen=True, slots=True)
class Lookup:
    payout_id: str
    answer: LookupAnswer
    record: ProviderPayoutState | None = None
    error: str | None = None

    def describe(self) -> str:
        if self.record is not None:
            return (
                f"the provider holds it as {self.record.provider_payout_id},"
                f" {self.record.status} since {self.record.since.isoformat()}"
            )
        if self.answer is LookupAnswer.NEVER_TAKEN:
            return "the provider has no record of it"
        return f"the provider did not answer about it ({self.error})"


async def ask_provider(provider: ProviderClient, payout_id: str) -> Lookup:
    """Never raises: no usable answer is LookupAnswer.NO_ANSWER."""
    try:
        record = await provider.find_payout(payout_id)
    except ProviderError as error:
        return Lookup(payout_id, LookupAnswer.NO_ANSWER, error=f"{error.reason}: {error}")
    if record is None:
        return Lookup(payout_id, LookupAnswer.NEVER_TAKEN)
    return Lookup(payout_id, LookupAnswer.RECORD, record)


async def adopt_record(
    uow: UnitOfWork, lookup: Lookup, now: datetime, *, history: bool = False
) -> AppliedReport:
    """Applies the provider's record to the payout, as its report (inside the caller's
    transaction; the caller commits). With `history` (an operator's resolution), a `returned`
    record of a payout that never learnt of its success is applied as what it says happened:
    paid, then returned. Elsewhere such a return is a conflict left for the operator."""
    assert lookup.record is not None
    record = lookup.record
    report = ProviderReport(
        status=record.status,
        occurred_at=record.since,
        provider_payout_id=record.provider_payout_id,
        reference=record.reference or lookup.payout_id,
        source=SOURCE,
        asked=True,
        failure_code=record.failure_code,
    )
    if history and record.status is ProviderStatus.RETURNED:
        paid = replace(report, status=ProviderStatus.SUCCESS, failure_code=None)
        await apply_provider_status(uow, paid, now)
    applied = await apply_provider_status(uow, report, now)
    if applied.outcome is ReportOutcome.STALE:
        await _leave_for_review(uow, lookup, applied, now)
    return applied


async def _leave_for_review(
    uow: UnitOfWork, lookup: Lookup, applied: AppliedReport, now: datetime
) -> None:
    """The provider holds the payout but its record could not be applied: never leave the
    payout without a way to end (no send will come back to it): an operator takes it."""
    payout = await uow.payouts.get_for_update(lookup.payout_id)
    if payout is not None and not payout.status.is_final:
        payout.flag_for_review(f"{lookup.describe()}, not applied: {applied.detail}", now)
        await uow.payouts.update(payout)


def unchanged_since(attempts_seen: int, results: Sequence[SendAttemptResult]) -> bool:
    """No send attempt opened since the lookup was decided on (when the payout had
    `attempts_seen` of them), and none is under way: a 404 still means what it said."""
    return len(results) == attempts_seen and not is_being_sent(results)
