"""The books consumer, for the events an earlier version left to it: each into the audit log, and
each payout's end or return into the ledger (ledger_settlement.settle), once.

Today's transactions keep their own books (application.write_events, ledger_settlement
.post_transitions) and mark their outbox rows so (event_routes.BOOKS_KEPT); rows written before
that still come here, and so do messages published before it. Keeping an event twice doubles
nothing: the audit log skips an event it holds already (AuditLog.append_all), and the ledger
settles a hold once and credits a return once, whoever asks.

It is a batched consumer (event_routes.BOOKS): one message brings the events of a published
batch, kept in one transaction with their processed-message rows. Accounts are locked in
(user_id, currency) order, so two batches kept at once cannot deadlock on each other's accounts;
the sort is stable, so a payout's success is still settled before its return. What was settled
is counted after the commit, once.
"""

from __future__ import annotations

from collections.abc import Sequence

from payout_service.application import ledger_settlement
from payout_service.application.consume import consume_each_once
from payout_service.application.event_routes import BOOKS
from payout_service.application.messages import Envelope
from payout_service.application.metrics import NO_METRICS
from payout_service.application.ports import Clock, Metrics, UnitOfWork, UnitOfWorkFactory


class KeepBooks:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, metrics: Metrics = NO_METRICS) -> None:
        self._uow = uow
        self._clock = clock
        self._metrics = metrics

    async def __call__(self, envelopes: Sequence[Envelope]) -> int:
        """Returns how many of the events were new to the books."""
        posted: list[ledger_settlement.Posted] = []

        async def keep(uow: UnitOfWork, fresh: Sequence[Envelope]) -> None:
            posted.clear()  # a try that rolled back settled nothing (consume_each_once)
            now = self._clock.now()
            await uow.audit.append_all(fresh, now)
            ends = [e for e in fresh if ledger_settlement.settles(e.event)]
            for e in sorted(ends, key=lambda e: ledger_settlement.account_of(e.payload)):
                done = await ledger_settlement.settle(uow, e, now)
                posted.append((e.event, e.aggregate_id, e.payload, done))

        kept = await consume_each_once(self._uow, self._clock, BOOKS.name, envelopes, keep)
        ledger_settlement.report(self._metrics, posted)
        return kept
