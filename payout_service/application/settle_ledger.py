"""Ledger consumer: a finished payout settles its hold.

payout.succeeded posts the hold (balance and held both go down by the amount); payout.failed and
payout.cancelled void it (held goes down). Each is one transaction with its ledger entry and the
processed-message row; a hold is never settled twice, even if two different messages try.
"""

from __future__ import annotations

from enum import Enum

from payout_service.application.consume import consume_once
from payout_service.application.event_routes import LEDGER
from payout_service.application.messages import Envelope
from payout_service.application.metrics import NO_METRICS
from payout_service.application.ports import Clock, Metrics, UnitOfWork, UnitOfWorkFactory
from payout_service.domain import events

OUTCOMES = {
    events.PAYOUT_SUCCEEDED: "succeeded",
    events.PAYOUT_FAILED: "failed",
    events.PAYOUT_CANCELLED: "cancelled",
}


class Settlement(Enum):
    DEBITED = "debited"  # the hold left the user's balance: the payout was paid
    RELEASED = "released"  # the hold went back to the user's available funds


class SettleLedger:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, metrics: Metrics = NO_METRICS) -> None:
        self._uow = uow
        self._clock = clock
        self._metrics = metrics

    async def __call__(self, envelope: Envelope) -> bool:
        """Counts each payout's end once: when its hold is settled (a redelivery, or a second
        message about a hold already settled, settles and counts nothing)."""
        settled: Settlement | None = None

        async def settle(uow: UnitOfWork, envelope: Envelope) -> None:
            nonlocal settled
            settled = await self._settle(uow, envelope)

        applied = await consume_once(self._uow, self._clock, LEDGER.name, envelope, settle)
        if applied and settled is not None:
            self._metrics.payout_finished(OUTCOMES[envelope.event])
            if settled is Settlement.DEBITED:
                self._metrics.account_debited()
        return applied

    async def _settle(self, uow: UnitOfWork, envelope: Envelope) -> Settlement | None:
        """How the hold was settled; None when nothing was (not an end, or settled before)."""
        if envelope.event not in OUTCOMES:
            return None
        payout_id = envelope.aggregate_id
        payload = envelope.payload
        account = await uow.accounts.get_for_update(int(payload["user_id"]), payload["currency"])
        if account is None or await uow.ledger.has_settled(payout_id):
            return None
        amount = int(payload["amount_minor"])
        if envelope.event == events.PAYOUT_SUCCEEDED:
            entry = account.debit_held(amount, payout_id)
        else:
            entry = account.release(amount, payout_id)
        now = self._clock.now()
        await uow.accounts.save_balances(account, now)
        await uow.accounts.append_entry(entry, now)
        return (
            Settlement.DEBITED if envelope.event == events.PAYOUT_SUCCEEDED else Settlement.RELEASED
        )
