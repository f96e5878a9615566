"""Ledger consumer: a finished payout settles its hold.

payout.succeeded posts the hold (balance and held both go down by the amount); payout.failed and
payout.cancelled void it (held goes down). Each is one transaction with its ledger entry and the
consumer-inbox row; a hold is never settled twice, even if two different messages try.
"""

from __future__ import annotations

from payout_service.application.consume import consume_once
from payout_service.application.event_routes import LEDGER
from payout_service.application.messages import Envelope
from payout_service.application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from payout_service.domain import events


class SettleLedger:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, envelope: Envelope) -> bool:
        return await consume_once(self._uow, self._clock, LEDGER.name, envelope, self._settle)

    async def _settle(self, uow: UnitOfWork, envelope: Envelope) -> None:
        if envelope.event not in (
            events.PAYOUT_SUCCEEDED,
            events.PAYOUT_FAILED,
            events.PAYOUT_CANCELLED,
        ):
            return
        payout_id = envelope.aggregate_id
        payload = envelope.payload
        account = await uow.accounts.get_for_update(int(payload["user_id"]), payload["currency"])
        if account is None or await uow.ledger.has_settled(payout_id):
            return
        amount = int(payload["amount_minor"])
        if envelope.event == events.PAYOUT_SUCCEEDED:
            entry = account.debit_held(amount, payout_id)
        else:
            entry = account.release(amount, payout_id)
        now = self._clock.now()
        await uow.accounts.save_balances(account, now)
        await uow.accounts.append_entry(entry, now)
