"""Settling the ledger, a step of keeping the books: a finished payout settles its hold, and a
returned one gets its money back.

payout.succeeded posts the hold (balance and held both go down by the amount); payout.failed and
payout.cancelled void it (held goes down); payout.returned credits the debited amount back to
the user with a reversing `return` posting, the debit staying as it was. A hold is never settled
twice, nor a return credited twice, even if two different messages try: the checks are locking
reads made after the account's row lock. A return whose payout.succeeded has not been applied
yet (its message is late) posts the debit first: the payout did succeed before it came back,
and the late message then finds the hold settled.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from payout_service.application.messages import Envelope
from payout_service.application.ports import Metrics, UnitOfWork
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


def settles(envelope: Envelope) -> bool:
    """Whether the event ends or returns a payout: the events the ledger acts on."""
    return envelope.event in OUTCOMES or envelope.event == events.PAYOUT_RETURNED


def account_of(envelope: Envelope) -> tuple[int, str]:
    """The (user_id, currency) whose account `settle` locks: the order to lock accounts in."""
    return int(envelope.payload["user_id"]), envelope.payload["currency"]


async def settle(uow: UnitOfWork, envelope: Envelope, now: datetime) -> list[Settlement]:
    """What was posted, in order; nothing when the event is not an end or a return, or what it
    asks for was posted before."""
    if not settles(envelope):
        return []
    returning = envelope.event == events.PAYOUT_RETURNED
    payout_id = envelope.aggregate_id
    account = await uow.accounts.get_for_update(*account_of(envelope))
    if account is None:
        return []
    amount = int(envelope.payload["amount_minor"])
    done = []
    if not await uow.ledger.has_settled(payout_id):
        paid = returning or envelope.event == events.PAYOUT_SUCCEEDED
        done.append(await _close_hold(uow, account, amount, payout_id, paid, now))
    if returning and not await uow.ledger.has_returned(payout_id):
        entry = account.credit_return(amount, payout_id)
        await uow.accounts.save_balances(account, now)
        await uow.accounts.append_entry(entry, now)
        done.append(Settlement.RETURNED)
    return done


async def _close_hold(
    uow: UnitOfWork, account: Account, amount: int, payout_id: str, paid: bool, now: datetime
) -> Settlement:
    entry = account.debit_held(amount, payout_id) if paid else account.release(amount, payout_id)
    await uow.accounts.save_balances(account, now)
    await uow.accounts.append_entry(entry, now)
    return Settlement.DEBITED if paid else Settlement.RELEASED


def count(metrics: Metrics, envelope: Envelope, done: list[Settlement]) -> None:
    """Counts each payout's end once, when its hold is settled, and each return once, when it is
    credited: call it after the commit, with what `settle` posted (a second message about what
    was done posted nothing, and counts nothing)."""
    code = envelope.payload.get("failure_code")
    for settlement in done:
        if settlement is Settlement.RETURNED:
            metrics.payout_returned(str(code or "unknown"))
            continue
        outcome = OUTCOMES.get(envelope.event, "succeeded")  # a return's late debit
        metrics.payout_finished(outcome, None if outcome == "succeeded" else code)
        if settlement is Settlement.DEBITED:
            metrics.account_debited()
