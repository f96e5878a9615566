"""Ledger consumer: a finished payout settles its hold.

payout.succeeded posts the hold (balance and held both go down by the amount); payout.failed and
payout.cancelled void it (held goes down). Each is one transaction with its ledger entry and the
processed-message row; a hold is never settled twice, even if two different messages try.
"""

from __future__ import annotations

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


class SettleLedger:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, metrics: Metrics = NO_METRICS) -> None:
        self._uow = uow
        self._clock = clock
        self._metrics = metrics

    async def __call__(self, envelope: Envelope) -> bool:
        """Counts each payout's end once (a redelivery is not applied again)."""
        debited = False

        async def settle(uow: UnitOfWork, envelope: Envelope) -> None:
            nonlocal debited
            debited = await self._settle(uow, envelope)

        applied = await consume_once(self._uow, self._clock, LEDGER.name, envelope, settle)
        if applied and envelope.event in OUTCOMES:
            self._metrics.payout_finished(OUTCOMES[envelope.event])
        if applied and debited:
            self._metrics.account_debited()
        return applied

    async def _settle(self, uow: UnitOfWork, envelope: Envelope) -> bool:
        """True when the hold was posted as a debit of the user's balance."""
        if envelope.event not in (
            events.PAYOUT_SUCCEEDED,
            events.PAYOUT_FAILED,
            events.PAYOUT_CANCELLED,
        ):
            return False
        payout_id = envelope.aggregate_id
        payload = envelope.payload
        account = await uow.accounts.get_for_update(int(payload["user_id"]), payload["currency"])
        if account is None or await uow.ledger.has_settled(payout_id):
            return False
        amount = int(payload["amount_minor"])
        if envelope.event == events.PAYOUT_SUCCEEDED:
            entry = account.debit_held(amount, payout_id)
        else:
            entry = account.release(amount, payout_id)
        now = self._clock.now()
        await uow.accounts.save_balances(account, now)
        await uow.accounts.append_entry(entry, now)
        return envelope.event == events.PAYOUT_SUCCEEDED
