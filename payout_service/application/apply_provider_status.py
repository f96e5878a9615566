"""Apply a provider's status report to the payout it names, inside the caller's transaction.

The one path for every report: the webhook inbox uses it, and so does reconciliation (a status
fetched from the provider). The payout is found by provider_payout_id, else by
external_reference; it is locked, the domain's rules (domain.provider_report) decide, and when
the payout changed it is saved (the commit writes its events). The caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from payout_service.application.ports import UnitOfWork
from payout_service.domain.payout import Payout
from payout_service.domain.provider_report import ProviderStatus, ReportOutcome, apply_report


@dataclass(frozen=True, slots=True)
class ProviderStatusReport:
    status: ProviderStatus
    occurred_at: datetime  # by the provider's clock
    provider_payout_id: str | None
    external_reference: str | None
    source: str  # where the report came from, e.g. "webhook evt_123" or "reconciliation"


@dataclass(frozen=True, slots=True)
class AppliedReport:
    outcome: ReportOutcome
    payout_id: str | None
    detail: str | None  # why it was not applied, for the operator


async def apply_provider_status(
    uow: UnitOfWork, report: ProviderStatusReport, now: datetime
) -> AppliedReport:
    payout = await _find_for_update(uow, report)
    if isinstance(payout, ReportOutcome):
        return AppliedReport(payout, None, _not_found_detail(report, payout))
    outcome = apply_report(
        payout,
        report.status,
        report.occurred_at,
        now,
        failure_reason=f"the provider reported the payout failed ({report.source})",
        provider_payout_id=report.provider_payout_id,
    )
    if outcome is not ReportOutcome.APPLIED:
        return AppliedReport(outcome, payout.id, _refusal_detail(report, payout, outcome))
    await uow.payouts.update(payout)
    return AppliedReport(outcome, payout.id, None)


async def _find_for_update(uow: UnitOfWork, report: ProviderStatusReport) -> Payout | ReportOutcome:
    """The payout the report names, locked; or why there is none to apply it to."""
    payout_id = None
    if report.provider_payout_id:
        payout_id = await uow.payouts.id_for_provider_payout_id(report.provider_payout_id)
    if payout_id is None and report.external_reference:
        candidates = await uow.payouts.ids_for_external_reference(report.external_reference)
        if len(candidates) > 1:
            return ReportOutcome.PAYOUT_AMBIGUOUS
        payout_id = candidates[0] if candidates else None
    payout = await uow.payouts.get_for_update(payout_id) if payout_id else None
    return payout if payout is not None else ReportOutcome.PAYOUT_NOT_FOUND


def _not_found_detail(report: ProviderStatusReport, outcome: ReportOutcome) -> str:
    names = (
        f"provider_payout_id={report.provider_payout_id!r}, "
        f"external_reference={report.external_reference!r}"
    )
    if outcome is ReportOutcome.PAYOUT_AMBIGUOUS:
        return f"several payouts match {names}"
    return f"no payout matches {names}"


def _refusal_detail(report: ProviderStatusReport, payout: Payout, outcome: ReportOutcome) -> str:
    """Not applied, so the payout is as it was."""
    if outcome is ReportOutcome.STALE and payout.provider_status_at is not None:
        return (
            f"{report.status} occurred at {report.occurred_at.isoformat()}, before the last"
            f" applied report at {payout.provider_status_at.isoformat()}"
        )
    return f"the provider reported {report.status} but the payout is {payout.status}"
