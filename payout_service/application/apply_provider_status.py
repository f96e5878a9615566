"""Apply a provider's report to the payout it names, inside the caller's transaction.

The one path for every report: the webhook inbox uses it, and so do reconciliation and the
provider lookups (application.provider_lookup). The payout is found by identity only: by the
provider payout id the report names, else by its reference, which is our payout id. Never by a
client's external_reference. It is locked, the domain's rules (domain.provider_report) decide,
and when the payout changed (applied, or flagged for review by a conflict) it is saved; the
commit writes its events. The caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from payout_service.application.ports import UnitOfWork
from payout_service.domain.payout import Payout
from payout_service.domain.provider_report import (
    ProviderReport,
    ReportOutcome,
    apply_report,
    conflict_reason,
)


@dataclass(frozen=True, slots=True)
class AppliedReport:
    outcome: ReportOutcome
    payout_id: str | None
    detail: str | None  # why it was not applied, for the operator


async def apply_provider_status(
    uow: UnitOfWork, report: ProviderReport, now: datetime
) -> AppliedReport:
    payout = await _find_for_update(uow, report)
    if payout is None:
        return AppliedReport(ReportOutcome.PAYOUT_NOT_FOUND, None, _not_found_detail(report))
    outcome = apply_report(payout, report, now)
    if outcome in (ReportOutcome.APPLIED, ReportOutcome.CONFLICT):
        await uow.payouts.update(payout)
    if outcome is ReportOutcome.APPLIED:
        return AppliedReport(outcome, payout.id, None)
    return AppliedReport(outcome, payout.id, _refusal_detail(report, payout, outcome))


async def _find_for_update(uow: UnitOfWork, report: ProviderReport) -> Payout | None:
    """The payout the report names, locked: the one holding its provider payout id, else the
    one whose id is its reference. A provider echoes our id as the reference, so that payout is
    locked first: when it holds the provider payout id (unique) it is the one, found in one
    statement instead of a lookup and a lock."""
    named = await uow.payouts.get_for_update(report.reference) if report.reference else None
    if named is not None and (
        not report.provider_payout_id or named.provider_payout_id == report.provider_payout_id
    ):
        return named
    holder = None
    if report.provider_payout_id:
        holder = await uow.payouts.id_for_provider_payout_id(report.provider_payout_id)
    if holder is None or (named is not None and holder == named.id):
        return named
    return await uow.payouts.get_for_update(holder)


def _not_found_detail(report: ProviderReport) -> str:
    return (
        f"no payout matches provider_payout_id={report.provider_payout_id!r},"
        f" reference={report.reference!r}"
    )


def _refusal_detail(report: ProviderReport, payout: Payout, outcome: ReportOutcome) -> str:
    """Not applied, so the payout is as it was (a conflict flags it for review)."""
    if outcome is ReportOutcome.STALE:
        if report.occurred_at < payout.created_at:
            return (
                f"{report.status} occurred at {report.occurred_at.isoformat()}, before the"
                f" payout was created at {payout.created_at.isoformat()}"
            )
        if payout.provider_status_at is not None:
            return (
                f"{report.status} occurred at {report.occurred_at.isoformat()}, before the last"
                f" applied report at {payout.provider_status_at.isoformat()}"
            )
    if outcome is ReportOutcome.CONFLICT:
        return conflict_reason(payout, report)
    return f"the provider reported {report.status} but the payout is {payout.status}"
