"""What a unit of work's commit() writes before committing: the new events of the aggregates
saved in it, what a payout's end or return does to its account, and what a batch item's end does
to its batch.

Both unit-of-work adapters (SQL, and the fakes of the unit tests) call write_saved_events, so the
rules are written once: each payout's end or return posted to the ledger, the accounts locked
first, in order (ledger_settlement.post_transitions); each item that ended (or came back) counted
on its batch, under the batch's row lock: the batch's payout_batch.completed follows its last
item's event; the client-visible events to the client event log (a payout's at its version, a
batch's as an event of no payout whose id its outbox row carries, so the notify consumer finds
it), under the users' event counters, and then, read under lock, which of those users have an
endpoint to hear of them (event_routes.UNHEARD); last, every new event to the audit log, and to the
outbox if a consumer acts on it (application.write_events), in order, dated when its aggregate last
changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from payout_service.application import ledger_settlement
from payout_service.application.ports import NewClientEvent, UnitOfWork
from payout_service.application.representation import batch_client_event_of, client_event_of
from payout_service.application.write_events import write_events
from payout_service.domain.client_events import new_event_id
from payout_service.domain.events import DomainEvent
from payout_service.domain.payout import Payout
from payout_service.domain.payout_batch import moves_batch


async def write_saved_events(
    uow: UnitOfWork,
    headers: Mapping[str, str],
    headers_of: Mapping[str, Mapping[str, str]] | None = None,
) -> list[ledger_settlement.Posted]:
    """What was posted to the ledger: report it once the transaction commits
    (ledger_settlement.report). `headers_of`: by aggregate id, other headers for its events."""
    payouts = list(uow.payouts.seen)
    dated: list[tuple[DomainEvent, datetime]] = []
    visible: list[NewClientEvent] = []
    for payout in payouts:
        for event in payout.events:
            dated.append((event, payout.updated_at))
            if event.snapshot is not None:
                visible.append(client_event_of(event.snapshot, event.name))
    posted = await ledger_settlement.post_transitions(uow, dated)
    await _move_batches(uow, payouts)
    for payout in payouts:
        payout.events.clear()
    for batch in uow.batches.seen.values():
        for event in batch.events:
            event_id = new_event_id()
            named = replace(event, payload={**event.payload, "event_id": event_id})
            dated.append((named, batch.updated_at))
            visible.append(batch_client_event_of(event.snapshot, event.name, event_id))
        batch.events.clear()
    unheard_at: set[int] = set()
    if visible:
        listening = await uow.client_events.append_heard(
            visible, max(moment for _, moment in dated)
        )
        unheard_at = {
            i
            for i, (event, _) in enumerate(dated)
            if event.snapshot is not None and event.snapshot.user_id not in listening
        }
    if dated:
        await write_events(uow, dated, headers, unheard_at, headers_of)
    return posted


async def _move_batches(uow: UnitOfWork, payouts: list[Payout]) -> None:
    """Counts each batch item's end or return on its batch, the batches locked in id order."""
    moves: dict[str, list[tuple[str, datetime]]] = {}
    for payout in payouts:
        if payout.batch_id is not None:
            moves.setdefault(payout.batch_id, []).extend(
                (e.name, payout.updated_at) for e in payout.events if moves_batch(e.name)
            )
    for batch_id in sorted(b for b, moved in moves.items() if moved):
        batch = await uow.batches.get_for_update(batch_id)
        if batch is None:
            raise LookupError(f"batch {batch_id} of an item saved in this transaction is missing")
        for name, moment in moves[batch_id]:
            batch.record_item_event(name, moment)
        await uow.batches.update(batch)
