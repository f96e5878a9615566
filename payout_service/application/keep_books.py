"""The books consumer: every published event into the audit log (an audit-only event is written
there by its own transaction: application.write_events), and each payout's end or return into
the ledger (ledger_settlement), once.

It is a batched consumer (event_routes.BOOKS): one message brings the events of a published
batch, kept in one transaction with their processed-message rows (an audit message, and a ledger
message per payout end, each used to cost a worker turn and a transaction). Accounts are locked
in (user_id, currency) order, so two batches kept at once cannot deadlock on each other's
accounts; the sort is stable, so a payout's success is still settled before its return. What was
settled is counted after the commit, once.

Before the books were one consumer, `record_audit` and `settle_ledger` remembered their messages
under their own names, so an event one of them applied is fresh to this consumer. Keeping it
again doubles nothing: the audit log skips an event it holds already (AuditLog.append_all), and
the ledger settles a hold once and credits a return once, whichever message asks.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from payout_service.application import ledger_settlement
from payout_service.application.consume import consume_each_once
from payout_service.application.event_routes import BOOKS
from payout_service.application.ledger_settlement import Settlement
from payout_service.application.messages import Envelope
from payout_service.application.metrics import NO_METRICS
from payout_service.application.ports import Clock, Metrics, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("payout_service.books")


class KeepBooks:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, metrics: Metrics = NO_METRICS) -> None:
        self._uow = uow
        self._clock = clock
        self._metrics = metrics

    async def __call__(self, envelopes: Sequence[Envelope]) -> int:
        """Returns how many of the events were new to the books."""
        settled: list[tuple[Envelope, list[Settlement]]] = []

        async def keep(uow: UnitOfWork, fresh: Sequence[Envelope]) -> None:
            settled.clear()  # a try that rolled back settled nothing (consume_each_once)
            now = self._clock.now()
            await uow.audit.append_all(fresh, now)
            ends = [e for e in fresh if ledger_settlement.settles(e)]
            for envelope in sorted(ends, key=ledger_settlement.account_of):
                settled.append((envelope, await ledger_settlement.settle(uow, envelope, now)))

        kept = await consume_each_once(self._uow, self._clock, BOOKS.name, envelopes, keep)
        for envelope, done in settled:
            ledger_settlement.count(self._metrics, envelope, done)
            for settlement in done:  # a batch logs one line: `grep <payout id>` finds these
                log.info(
                    "ledger %s",
                    settlement.value,
                    extra={"payout_id": envelope.aggregate_id, "event": envelope.event},
                )
        return kept
