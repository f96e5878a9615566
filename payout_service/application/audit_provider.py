"""An audit of the provider's truth against ours: `payout-service provider audit`.

Walks every payout created since a moment, whatever its status (returned ones too), oldest
first, asks the provider for its record of each (by our reference) and compares the two by
domain.provider_truth's rules. The run's counts are kept (provider_audits) for the
provider_disagreements gauge. Unlike `ledger verify`, which proves our books agree with
themselves, this catches the provider paying what we released, or sending back what we count
as paid.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from payout_service.application.ports import (
    AuditRun,
    Clock,
    PageCursor,
    ProviderClient,
    ProviderError,
    ProviderPayoutState,
    UnitOfWorkFactory,
)
from payout_service.domain.errors import DomainError
from payout_service.domain.money import Money
from payout_service.domain.payout import Payout
from payout_service.domain.provider_truth import (
    MONEY_AT_RISK,
    Disagreement,
    ProviderRecord,
    disagreement,
)

PAGE = 200


@dataclass(frozen=True, slots=True)
class Finding:
    payout: Payout
    kind: Disagreement
    provider: str  # the provider's side, for the operator


@dataclass
class AuditReport:
    checked: int = 0
    unanswered: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(str(f.kind) for f in self.findings)
        return {str(kind): counted[str(kind)] for kind in Disagreement}

    @property
    def money_at_risk(self) -> bool:
        return any(f.kind in MONEY_AT_RISK for f in self.findings)


class AuditProvider:
    """`tolerance`: how long the provider may have been final before our not being final yet
    stops being a lag and becomes an unrecorded payment."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, provider: ProviderClient, tolerance: timedelta
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._provider = provider
        self._tolerance = tolerance

    async def __call__(self, since: datetime) -> AuditReport:
        started = self._clock.now()
        report = AuditReport()
        cursor: PageCursor | None = None
        while True:
            async with self._uow() as uow:
                page = await uow.payouts.created_since(since, cursor, PAGE)
            for payout in page:
                await self._compare(payout, report)
            if len(page) < PAGE:
                break
            cursor = PageCursor(page[-1].created_at, page[-1].id)
        run = AuditRun(started, self._clock.now(), report.checked, report.unanswered, report.counts)
        async with self._uow() as uow:
            await uow.provider_audits.record(run)
            await uow.commit()
        return report

    async def _compare(self, payout: Payout, report: AuditReport) -> None:
        report.checked += 1
        try:
            state = await self._provider.find_payout(payout.id)
        except ProviderError:
            report.unanswered += 1
            return
        record = None if state is None else _record(state, payout)
        kind = disagreement(payout, record, self._clock.now(), self._tolerance)
        if kind is not None:
            report.findings.append(Finding(payout, kind, _describe(state)))


def _record(state: ProviderPayoutState, payout: Payout) -> ProviderRecord:
    return ProviderRecord(state.status, state.since, _amount(state, payout))


def _amount(state: ProviderPayoutState, payout: Payout) -> Money | None:
    if state.amount is None:
        return None
    try:
        return Money.parse(state.amount, state.currency or payout.amount.currency.code, 2**63 - 1)
    except DomainError:
        return Money(0, payout.amount.currency)  # unreadable: never equal to a real amount


def _describe(state: ProviderPayoutState | None) -> str:
    if state is None:
        return "no record at the provider"
    # A failure's or a return's code says what the bank said, which the operator passes on.
    why = f" ({state.failure_code})" if state.failure_code else ""
    return (
        f"{state.provider_payout_id} {state.status}{why} since {state.since.isoformat()},"
        f" {state.amount} {state.currency}"
    )
