"""Settling the ledger: a finished payout settles its hold, and a returned one gets its money back.

payout.succeeded posts the hold (balance and held both go down by the amount); payout.failed and
payout.cancelled void it (held goes down); payout.returned credits the debited amount back to
the user with a reversing `return` posting, the debit staying as it was.

The transaction that ends or returns a payout posts it (post_transitions, called by the unit of
work's commit: application.saved_events), so a payout's status and its account never disagree,
not even for a moment. Those transitions happen once each, under the payout's row lock (the
state machine refuses a second), so nothing is read back to check they were posted before.

The books consumer settles the events an earlier version left to it (settle): it checks with
locking reads, made after the account's row lock, that the hold was not settled nor the return
credited before, by another message or by the transaction that wrote the event. A return whose
payout.succeeded it has not seen yet posts the debit first: the payout did succeed before it came
back, and the late message then finds the hold settled.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import Enum
from itertools import groupby
from typing import Any

from payout_service.application.messages import Envelope
from payout_service.application.ports import Metrics, UnitOfWork
from payout_service.domain import events
from payout_service.domain.accounts import Account, LedgerEntry
from payout_service.domain.events import DomainEvent

log = logging.getLogger("payout_service.books")

OUTCOMES = {
    events.PAYOUT_SUCCEEDED: "succeeded",
    events.PAYOUT_FAILED: "failed",
    events.PAYOUT_CANCELLED: "cancelled",
}


class Settlement(Enum):
    DEBITED = "debited"  # the hold left the user's balance: the payout was paid
    RELEASED = "released"  # the hold went back to the user's available funds
    RETURNED = "returned"  # the paid amount came back to the user's balance


# What an event posted: its name, its payout, its payload, and the settlements in order.
Posted = tuple[str, str, Mapping[str, Any], list[Settlement]]


def settles(event_name: str) -> bool:
    """Whether the event ends or returns a payout: the events the ledger acts on."""
    return event_name in OUTCOMES or event_name == events.PAYOUT_RETURNED


def account_of(payload: Mapping[str, Any]) -> tuple[int, str]:
    """The (user_id, currency) of the account an end or return posts to: the order to lock
    accounts in."""
    return int(payload["user_id"]), payload["currency"]


async def post_transitions(
    uow: UnitOfWork, dated: Sequence[tuple[DomainEvent, datetime]]
) -> list[Posted]:
    """Posts the ends and returns among a transaction's payout events, in their order per
    account; the accounts locked in account_of order, each once, their balances written and
    their postings inserted together: three statements however many accounts (a transaction of
    several payouts, as the groups of webhooks and sends make)."""
    ends = sorted(
        ((e, moment) for e, moment in dated if settles(e.name)),
        key=lambda pair: account_of(pair[0].payload),
    )
    if not ends:
        return []
    by_account = [
        (key, list(mine)) for key, mine in groupby(ends, lambda p: account_of(p[0].payload))
    ]
    accounts = await uow.accounts.get_all_for_update([key for key, _ in by_account])
    posted: list[Posted] = []
    entries: list[LedgerEntry] = []
    for key, mine in by_account:
        account = accounts.get(key)
        if account is None:
            continue  # no account, no balances to move (accounts are never deleted)
        for event, _ in mine:
            amount = int(event.payload["amount_minor"])
            done = []
            if event.name != events.PAYOUT_RETURNED:
                entries.append(_close_hold(account, event.name, amount, event.aggregate_id))
                done.append(_closing(event.name))
            else:
                entries.append(account.credit_return(amount, event.aggregate_id))
                done.append(Settlement.RETURNED)
            posted.append((event.name, event.aggregate_id, event.payload, done))
    if not entries:
        return posted
    now = max(moment for _, moment in ends)
    await uow.accounts.save_all_balances(list(accounts.values()), now)
    await uow.accounts.append_entries(entries, now)
    return posted


async def settle(uow: UnitOfWork, envelope: Envelope, now: datetime) -> list[Settlement]:
    """The books consumer's settlement of an earlier version's event: what was posted, in
    order; nothing when the event is not an end or a return, or what it asks for was posted
    before."""
    if not settles(envelope.event):
        return []
    returning = envelope.event == events.PAYOUT_RETURNED
    payout_id = envelope.aggregate_id
    account = await uow.accounts.get_for_update(*account_of(envelope.payload))
    if account is None:
        return []
    amount = int(envelope.payload["amount_minor"])
    done = []
    if not await uow.ledger.has_settled(payout_id):
        closing = events.PAYOUT_SUCCEEDED if returning else envelope.event
        entry = _close_hold(account, closing, amount, payout_id)
        await uow.accounts.save_balances(account, now)
        await uow.accounts.append_entry(entry, now)
        done.append(_closing(closing))
    if returning and not await uow.ledger.has_returned(payout_id):
        entry = account.credit_return(amount, payout_id)
        await uow.accounts.save_balances(account, now)
        await uow.accounts.append_entry(entry, now)
        done.append(Settlement.RETURNED)
    return done


def _close_hold(account: Account, event_name: str, amount: int, payout_id: str) -> LedgerEntry:
    if event_name == events.PAYOUT_SUCCEEDED:
        return account.debit_held(amount, payout_id)
    return account.release(amount, payout_id)


def _closing(event_name: str) -> Settlement:
    return Settlement.DEBITED if event_name == events.PAYOUT_SUCCEEDED else Settlement.RELEASED


def report(
    metrics: Metrics,
    posted: Sequence[Posted],
    headers_of: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    """Counts and logs what was posted: call it after the commit. Each payout's end is counted
    once, when its hold is settled, and each return once, when it is credited (a second message
    about what was done posted nothing, and counts nothing). `headers_of`: the transaction's
    headers by payout, when it made several requests' payouts: each line names its own
    payout's request, not the one the group ran under."""
    for event_name, payout_id, payload, done in posted:
        code = payload.get("failure_code")
        line = {"payout_id": payout_id, "event": event_name}
        if request_id := (headers_of or {}).get(payout_id, {}).get("request_id"):
            line["request_id"] = request_id
        for settlement in done:
            # one line per posting: `grep <payout id>` finds it
            log.info("ledger %s", settlement.value, extra=line)
            if settlement is Settlement.RETURNED:
                metrics.payout_returned(str(code or "unknown"))
                continue
            outcome = OUTCOMES.get(event_name, "succeeded")  # a return's late debit
            metrics.payout_finished(outcome, None if outcome == "succeeded" else code)
            if settlement is Settlement.DEBITED:
                metrics.account_debited()
