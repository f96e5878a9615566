"""Reconciliation: ask the provider about payouts whose outcome has not arrived.

A payout the provider accepted waits for its webhooks. When one is processing with a
provider_payout_id and has not changed for `quiet_for`, the provider is asked
(`GET /provider/payouts/{id}`) and its answer is applied exactly as a webhook's would be
(application.apply_provider_status), so a lost webhook delays an outcome but never loses it.
An answer that is not final still records the provider's status, which restarts the payout's
quiet period: a payout the provider keeps processing is asked again once per `quiet_for`.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from payout_service.application.apply_provider_status import (
    ProviderStatusReport,
    apply_provider_status,
)
from payout_service.application.ports import (
    Clock,
    ProviderClient,
    ProviderError,
    UnitOfWorkFactory,
)
from payout_service.domain.payout import Payout

log = logging.getLogger("payout_service.reconciliation")
SOURCE = "reconciliation"


@dataclass
class ReconcileReport:
    checked: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # apply outcome -> payouts
    provider_errors: int = 0


class ReconcilePayouts:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        provider: ProviderClient,
        quiet_for: timedelta,
        batch_size: int,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._provider = provider
        self._quiet_for = quiet_for
        self._batch_size = batch_size

    async def __call__(self) -> ReconcileReport:
        """One pass over up to batch_size payouts, longest quiet first."""
        report = ReconcileReport()
        async with self._uow() as uow:
            quiet_since = self._clock.now() - self._quiet_for
            payouts = await uow.payouts.awaiting_provider_outcome(quiet_since, self._batch_size)
        for payout in payouts:
            report.checked += 1
            try:
                outcome = await self._reconcile(payout)
            except ProviderError as error:
                report.provider_errors += 1
                log.warning("reconciliation could not ask the provider: %s", error)
                continue
            report.outcomes[outcome] += 1
        return report

    async def _reconcile(self, payout: Payout) -> str:
        assert payout.provider_payout_id is not None
        state = await self._provider.get_payout(payout.provider_payout_id)
        report = ProviderStatusReport(
            status=state.status,
            occurred_at=state.since,
            provider_payout_id=state.provider_payout_id,
            external_reference=payout.external_reference,
            source=SOURCE,
        )
        async with self._uow() as uow:
            applied = await apply_provider_status(uow, report, self._clock.now())
            await uow.commit()
        return str(applied.outcome)
