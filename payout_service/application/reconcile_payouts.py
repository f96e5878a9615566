"""Reconciliation: ask the provider about payouts whose outcome (or return) has not arrived.

Each pass asks about up to batch_size payouts of each of four kinds, the first three longest
quiet first:
- accepted ones (processing with a provider_payout_id) unchanged for `quiet_for`: the provider
  is asked for that payout (`GET /provider/payouts/{id}`) and its answer is applied exactly as a
  webhook's would be (application.apply_provider_status), so a lost webhook delays an outcome but
  never loses it. An answer that is not final still records the provider's status, which
  restarts the payout's quiet period: a payout the provider keeps processing is asked again once
  per `quiet_for`;
- ones left for an operator because no send attempt's answer settled whether the provider took
  them (needs_review, no provider_payout_id, no send under way): the provider is asked by our
  reference (application.provider_lookup). Its record is adopted; its "never taken" fails the
  payout and releases the funds; no answer leaves it for the operator;
- stalled ones: pending, or processing without the provider's id, which no send has touched for
  `stalled_after` (longer than any retry delay): their send's message was lost (a broker outage
  can drop a delayed retry), so a send is asked for again (payout.send_requested). Safe however
  often: every send goes under the payout's one provider key;
- successful ones (with the provider's id) completed within `return_window`, off when zero:
  asked about as accepted ones are, so a return the provider never announced by webhook still
  reaches the payout and the ledger. There may be far more of them than a pass asks about, so
  each pass goes on from where the previous one stopped, by (completed_at, id), and after the
  newest starts over from the window's beginning: each is asked about once per round. A restart
  starts a new round.

It also asks the notify consumer again (DELIVERIES_REQUESTED through the outbox) for the webhook
deliveries of endpoints holding one overdue by `stalled_after`: the wake-up that should have sent
it was lost (Redis can drop a delayed message, as it can a delayed send).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from payout_service.application.apply_provider_status import apply_provider_status
from payout_service.application.ports import (
    Clock,
    ProviderClient,
    ProviderError,
    UnitOfWork,
    UnitOfWorkFactory,
)
from payout_service.application.provider_lookup import (
    LookupAnswer,
    adopt_record,
    ask_provider,
    unchanged_since,
)
from payout_service.application.write_events import write_events
from payout_service.domain.client_events import DELIVERIES_REQUESTED, ENDPOINT_AGGREGATE
from payout_service.domain.events import DomainEvent
from payout_service.domain.failure_codes import Failure, FailureCode
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.domain.provider_report import ProviderReport

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
        stalled_after: timedelta = timedelta(minutes=15),
        return_window: timedelta = timedelta(0),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._provider = provider
        self._quiet_for = quiet_for
        self._batch_size = batch_size
        self._stalled_after = stalled_after
        self._return_window = return_window
        # (completed_at, id) of the last successful payout asked about; None: start the window
        # over. Held here, not stored: a restart only starts a new round.
        self._returns_after: tuple[datetime, str] | None = None

    async def __call__(self) -> ReconcileReport:
        """One pass over up to batch_size payouts of each kind, longest quiet first (the
        successful ones in their round's order)."""
        report = ReconcileReport()
        async with self._uow() as uow:
            quiet_since = self._clock.now() - self._quiet_for
            accepted = await uow.payouts.awaiting_provider_outcome(quiet_since, self._batch_size)
            unknown = await uow.payouts.unsent_needing_review(self._batch_size)
            stalled_since = self._clock.now() - self._stalled_after
            stalled = await uow.payouts.stalled_sends(stalled_since, self._batch_size)
            succeeded = await self._next_in_return_window(uow)
            overdue = await uow.webhook_deliveries.overdue_endpoints(
                stalled_since, self._batch_size
            )
        # Both are asked by the provider's payout id, the answer applied as a webhook's would be.
        for payout in (*accepted, *succeeded):
            report.checked += 1
            try:
                outcome = await self._reconcile(payout)
            except ProviderError as error:
                report.provider_errors += 1
                log.warning("reconciliation could not ask the provider: %s", error)
                continue
            report.outcomes[outcome] += 1
        for payout in unknown:
            report.checked += 1
            outcome = await self._look_up(payout)
            if outcome == LookupAnswer.NO_ANSWER:
                report.provider_errors += 1
            else:
                report.outcomes[outcome] += 1
        for payout in stalled:
            report.checked += 1
            report.outcomes[await self._request_send(payout.id, stalled_since)] += 1
        for endpoint_id in overdue:
            await self._request_deliveries(endpoint_id)
            report.outcomes["deliveries_requested"] += 1
        return report

    async def _next_in_return_window(self, uow: UnitOfWork) -> Sequence[Payout]:
        """The next batch of this round's successful payouts within the return window; none
        when the window is off. A batch short of full ends the round."""
        if self._return_window <= timedelta(0):
            return ()
        since = self._clock.now() - self._return_window
        batch = await uow.payouts.succeeded_since(since, self._returns_after, self._batch_size)
        self._returns_after = None
        if batch and len(batch) == self._batch_size:
            last = batch[-1]
            assert last.completed_at is not None  # a successful payout has completed
            self._returns_after = (last.completed_at, last.id)
        return batch

    async def _request_send(self, payout_id: str, stalled_since: datetime) -> str:
        async with self._uow({"request_id": f"reconcile-{payout_id}"}) as uow:
            payout = await uow.payouts.get_for_update(payout_id)
            if payout is None or payout.needs_review or not payout.awaits_sending:
                return "changed"
            if payout.updated_at >= stalled_since:
                return "changed"
            payout.request_send(self._clock.now())
            await uow.payouts.update(payout)
            await uow.commit()
        log.warning("a payout's send stalled; asked for again", extra={"payout_id": payout_id})
        return "send_requested"

    async def _request_deliveries(self, endpoint_id: str) -> None:
        """Safe however often: draining sends only what is due, one claimer per chain."""
        request = DomainEvent(
            DELIVERIES_REQUESTED, ENDPOINT_AGGREGATE, endpoint_id, {"endpoint_id": endpoint_id}
        )
        async with self._uow() as uow:
            await write_events(
                uow, [(request, self._clock.now())], {"request_id": f"reconcile-{endpoint_id}"}
            )
            await uow.commit()
        log.warning(
            "a webhook delivery is overdue; asked for again", extra={"endpoint_id": endpoint_id}
        )

    async def _reconcile(self, payout: Payout) -> str:
        assert payout.provider_payout_id is not None
        state = await self._provider.get_payout(payout.provider_payout_id)
        report = ProviderReport(
            status=state.status,
            occurred_at=state.since,
            provider_payout_id=state.provider_payout_id,
            reference=state.reference,
            source=SOURCE,
            failure_code=state.failure_code,
        )
        async with self._uow() as uow:
            applied = await apply_provider_status(uow, report, self._clock.now())
            await uow.commit()
        return str(applied.outcome)

    async def _look_up(self, flagged: Payout) -> str:
        async with self._uow() as uow:
            seen = len(await uow.send_attempts.results(flagged.id))
        lookup = await ask_provider(self._provider, flagged.id)
        if lookup.answer is LookupAnswer.NO_ANSWER:
            log.warning("reconciliation could not ask the provider: %s", lookup.error)
            return str(lookup.answer)
        now = self._clock.now()
        async with self._uow() as uow:
            payout = await uow.payouts.get_for_update(flagged.id)
            results = await uow.send_attempts.results(flagged.id)
            if (
                payout is None
                or not (payout.needs_review and payout.awaits_sending)
                or not unchanged_since(seen, results)
            ):
                return "changed"
            if lookup.answer is LookupAnswer.RECORD:
                outcome = str((await adopt_record(uow, lookup, now)).outcome)
            else:
                if payout.status is PayoutStatus.PENDING:
                    payout.start_processing(now)
                payout.fail(
                    Failure.of(FailureCode.SEND_GAVE_UP),
                    f"sending stopped and {lookup.describe()} ({SOURCE})",
                    now,
                )
                await uow.payouts.update(payout)
                outcome = "failed"
            await uow.commit()
        return outcome
