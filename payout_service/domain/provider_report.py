"""What a provider's status report (a webhook, or a reconciliation answer) does to a payout.

Reports arrive late, twice and out of order. The rules, in the order they are checked:
- a report older (by the provider's `occurred_at`) than the last applied one is stale: ignored;
- a final payout never changes: the same outcome again is `unchanged`, anything else is a
  `conflict` for an operator to look at;
- `processing` records the provider's status; `success` and `failed` finish a processing payout.
  A pending payout has not been sent yet, so a final outcome for it is a conflict too.
- an applied report teaches a payout its provider_payout_id when the payout was found by its
  external_reference before the provider's acceptance was recorded.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from payout_service.domain.payout import Payout, PayoutStatus


class ProviderStatus(StrEnum):
    PROCESSING = "processing"
    SUCCESS = "success"
    FAILED = "failed"


class ReportOutcome(StrEnum):
    APPLIED = "applied"
    STALE = "stale"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    PAYOUT_NOT_FOUND = "payout_not_found"
    PAYOUT_AMBIGUOUS = "payout_ambiguous"


_FINAL_FOR = {
    ProviderStatus.SUCCESS: PayoutStatus.SUCCESS,
    ProviderStatus.FAILED: PayoutStatus.FAILED,
}


def apply_report(
    payout: Payout,
    status: ProviderStatus,
    occurred_at: datetime,
    now: datetime,
    failure_reason: str,
    provider_payout_id: str | None = None,
) -> ReportOutcome:
    """Applies the report to `payout` when the rules allow; the payout's events say what changed."""
    last = payout.provider_status_at
    if last is not None and occurred_at < last:
        return ReportOutcome.STALE
    if payout.status.is_final:
        return (
            ReportOutcome.UNCHANGED
            if _FINAL_FOR.get(status) is payout.status
            else ReportOutcome.CONFLICT
        )
    if status is not ProviderStatus.PROCESSING and payout.status is not PayoutStatus.PROCESSING:
        return ReportOutcome.CONFLICT
    if payout.provider_payout_id is None and provider_payout_id:
        payout.provider_payout_id = provider_payout_id
    if status is ProviderStatus.SUCCESS:
        payout.succeed(now)
    elif status is ProviderStatus.FAILED:
        payout.fail(failure_reason, now)
    payout.record_provider_status(str(status), now, occurred_at)
    return ReportOutcome.APPLIED
