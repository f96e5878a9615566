"""Ledger consumer: a finished payout settles its hold, and a returned one gets its money back.

payout.succeeded posts the hold (balance and held both go down by the amount); payout.failed and
payout.cancelled void it (held goes down); payout.returned credits the debited amount back to
the user with a reversing `return` posting, the debit staying as it was. Each is one
transaction with its ledger entries and the processed-message row; a hold is never settled
twice, nor a return credited twice, even if two different messages try. A return whose
payout.succeeded has not been applied yet (its message is late) posts the debit first: the
payout did succeed before it came back, and the late message then finds the hold settled.
"""

from __future__ import annotations

from enum import Enum

from payout_service.application.consume import consume_once
from payout_service.application.event_routes import LEDGER
from payout_service.application.messages import Envelope
from payout_service.application.metrics import NO_METRICS
from payout_service.application.ports import Clock, Metrics, UnitOfWork, UnitOfWorkFactory
from payout_service.domain import events
from payout_service.domain.accounts import Account

OUTCOMES = {
    events.PAYOUT_SUCCEEDED: "succeeded",
    events.PAYOUT_FAILED: "failed",
    events.PAYOUT_CANCELLED: "cancelled",
}


class Settlement(Enum):
    DEBITED = "debited"  # the hold left the user's balance: the payout was paid
    RELEASED = "released"  # the hold went back to the user's available funds
    RETURNED = "returned"  # the paid amount came back to the user's balance


class SettleLedger:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, metrics: Metrics = NO_METRICS) -> None:
        self._uow = uow
        self._clock = clock
        self._metrics = metrics

    async def __call__(self, envelope: Envelope) -> bool:
        """Counts each payout's end once, when its hold is settled, and each return once, when
        it is credited (a redelivery, or a second message about what was done, counts
        nothing)."""
        done: list[Settlement] = []

        async def settle(uow: UnitOfWork, envelope: Envelope) -> None:
            done[:] = await self._settle(uow, envelope)

        applied = await consume_once(self._uow, self._clock, LEDGER.name, envelope, settle)
        if applied:
            self._count(envelope, done)
        return applied

    def _count(self, envelope: Envelope, done: list[Settlement]) -> None:
        code = envelope.payload.get("failure_code")
        for settlement in done:
            if settlement is Settlement.RETURNED:
                self._metrics.payout_returned(str(code or "unknown"))
                continue
            outcome = OUTCOMES.get(envelope.event, "succeeded")  # a return's late debit
            self._metrics.payout_finished(outcome, None if outcome == "succeeded" else code)
            if settlement is Settlement.DEBITED:
                self._metrics.account_debited()

    async def _settle(self, uow: UnitOfWork, envelope: Envelope) -> list[Settlement]:
        """What was posted, in order; nothing when the event is not an end or a return, or what
        it asks for was posted before."""
        returning = envelope.event == events.PAYOUT_RETURNED
        if envelope.event not in OUTCOMES and not returning:
            return []
        payout_id = envelope.aggregate_id
        payload = envelope.payload
        account = await uow.accounts.get_for_update(int(payload["user_id"]), payload["currency"])
        if account is None:
            return []
        amount = int(payload["amount_minor"])
        done = []
        if not await uow.ledger.has_settled(payout_id):
            paid = returning or envelope.event == events.PAYOUT_SUCCEEDED
            done.append(await self._close_hold(uow, account, amount, payout_id, paid))
        if returning and not await uow.ledger.has_returned(payout_id):
            now = self._clock.now()
            entry = account.credit_return(amount, payout_id)
            await uow.accounts.save_balances(account, now)
            await uow.accounts.append_entry(entry, now)
            done.append(Settlement.RETURNED)
        return done

    async def _close_hold(
        self, uow: UnitOfWork, account: Account, amount: int, payout_id: str, paid: bool
    ) -> Settlement:
        now = self._clock.now()
        entry = (
            account.debit_held(amount, payout_id) if paid else account.release(amount, payout_id)
        )
        await uow.accounts.save_balances(account, now)
        await uow.accounts.append_entry(entry, now)
        return Settlement.DEBITED if paid else Settlement.RELEASED
