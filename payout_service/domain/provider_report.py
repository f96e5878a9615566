"""What a provider's status report (a webhook, a lookup, a reconciliation answer) does to a payout.

A report names its payout by identity: the provider's payout id, or our payout id, which the
provider keeps as the payout's `reference`. Never by a client's external_reference, which is
guessable and only unique per user. Reports arrive late, twice and out of order. The rules, in
the order they are checked:
- a report about another provider payout than the one the payout holds is a `conflict`;
- a report dated before the payout existed, or older (by the provider's `occurred_at`) than the
  last applied one, is stale: ignored;
- a final payout never changes, but for a return of a successful one: the same outcome again is
  `unchanged` (and so is `success` for a returned payout, which did succeed first), anything
  else a `conflict` (a return for a payout that did not succeed among them);
- `processing` records the provider's status; `success` and `failed` finish a processing payout.
  A pending payout has not been sent yet, so a final outcome for it is a conflict too;
- `returned` ends a successful payout as returned, with the provider's failure code. A
  processing payout it ends as succeeded, then returned: the provider paid it, and its success
  report was lost or is still on its way (a reconciliation or a lookup asks only for the current
  status). A payout we failed, cancelled or never sent cannot come back: a conflict.
- an applied report teaches a processing payout its provider_payout_id when the provider's
  answer to the send has not been recorded (it was lost, or is still on its way).
A conflict is never applied: it flags the payout for an operator (needs_review), funds untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from payout_service.domain.failure_codes import provider_failure
from payout_service.domain.payout import Payout, PayoutStatus


class ProviderStatus(StrEnum):
    PROCESSING = "processing"
    SUCCESS = "success"
    FAILED = "failed"
    RETURNED = "returned"  # it was paid, and the money came back


class ReportOutcome(StrEnum):
    APPLIED = "applied"
    STALE = "stale"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    PAYOUT_NOT_FOUND = "payout_not_found"


@dataclass(frozen=True, slots=True)
class ProviderReport:
    status: ProviderStatus
    occurred_at: datetime  # by the provider's clock
    provider_payout_id: str | None
    reference: str | None  # our payout id, as the provider keeps it
    source: str  # where the report came from, e.g. "webhook evt_123" or "reconciliation"
    # The provider's code for a failure or a return, as it sent it (domain.failure_codes maps it).
    failure_code: str | None = None
    # The provider's current record, asked for now by us: it cannot be a report from before the
    # payout existed, so its date (by the provider's clock, which may lag ours) is not held
    # against the payout's creation; it is still ordered against the last applied report.
    asked: bool = False


_FINAL_FOR = {
    ProviderStatus.SUCCESS: PayoutStatus.SUCCESS,
    ProviderStatus.FAILED: PayoutStatus.FAILED,
}


def apply_report(payout: Payout, report: ProviderReport, now: datetime) -> ReportOutcome:
    """Applies the report to `payout` when the rules allow; the payout's events say what changed.
    A conflict flags the payout for review and changes nothing else."""
    outcome, why = _judge(payout, report)
    if outcome is ReportOutcome.CONFLICT:
        payout.flag_for_review(why, now)
    if outcome is not ReportOutcome.APPLIED:
        return outcome
    learns_id = report.provider_payout_id if payout.provider_payout_id is None else None
    if learns_id and payout.status is PayoutStatus.PROCESSING:
        payout.record_provider_acceptance(learns_id, now)
    if report.status is ProviderStatus.SUCCESS:
        payout.succeed(now)
    elif report.status is ProviderStatus.RETURNED and payout.status is PayoutStatus.PROCESSING:
        payout.succeed(now)
        payout.mark_returned(provider_failure(report.failure_code), now)
    elif report.status is ProviderStatus.FAILED:
        payout.fail(
            provider_failure(report.failure_code),
            f"the provider reported the payout failed ({report.source})",
            now,
        )
    elif report.status is ProviderStatus.RETURNED:
        payout.mark_returned(provider_failure(report.failure_code), now)
    payout.record_provider_status(str(report.status), now, report.occurred_at)
    return ReportOutcome.APPLIED


def conflict_reason(payout: Payout, report: ProviderReport) -> str:
    """Why a report is not applied, for the operator who reviews the payout."""
    return _judge(payout, report)[1]


def _judge(payout: Payout, report: ProviderReport) -> tuple[ReportOutcome, str]:
    """The report's outcome, and, for a conflict, why (for the operator)."""
    held = payout.provider_payout_id
    if held is not None and report.provider_payout_id not in (None, held):
        return ReportOutcome.CONFLICT, (
            f"{report.source} reported {report.status} for provider payout"
            f" {report.provider_payout_id}, but the payout is provider payout {held}"
        )
    if report.reference is not None and report.reference != payout.id:
        return ReportOutcome.CONFLICT, (
            f"{report.source} named reference {report.reference}, not this payout"
        )
    contradicts = f"{report.source} reported {report.status} but the payout is {payout.status}"
    last = payout.provider_status_at
    before_payout = not report.asked and report.occurred_at < payout.created_at
    if before_payout or (last is not None and report.occurred_at < last):
        return ReportOutcome.STALE, ""
    if report.status is ProviderStatus.RETURNED:
        if payout.status in (PayoutStatus.SUCCESS, PayoutStatus.PROCESSING):
            return ReportOutcome.APPLIED, ""
        if payout.status is PayoutStatus.RETURNED:
            return ReportOutcome.UNCHANGED, ""
        return ReportOutcome.CONFLICT, f"{contradicts}: only a successful payout can come back"
    if payout.status.is_final:
        same = _FINAL_FOR.get(report.status) is payout.status or (
            report.status is ProviderStatus.SUCCESS and payout.status is PayoutStatus.RETURNED
        )
        return (ReportOutcome.UNCHANGED, "") if same else (ReportOutcome.CONFLICT, contradicts)
    finishing = report.status is not ProviderStatus.PROCESSING
    if finishing and payout.status is not PayoutStatus.PROCESSING:
        return ReportOutcome.CONFLICT, contradicts
    return ReportOutcome.APPLIED, ""
